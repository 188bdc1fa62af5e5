import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harnessPath, packageRoot, unreachable } from '../../src/sandbox/harness-path.js';

/** Install layouts people use, built for real under a temp $HOME (the sandbox hides $HOME). */
describe('a harness installed under $HOME', () => {
  let home: string;
  const mk = (rel: string, text: string, mode = 0o755) => {
    const p = path.join(home, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text, { mode });
    return p;
  };
  const link = (rel: string, target: string) => {
    const p = path.join(home, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.symlinkSync(target, p);
    return p;
  };
  beforeEach(() => {
    home = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'omni-hp-')));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('npm prefix: follows the bin symlink to the package; a native binary needs no interpreter', () => {
    mk('.npm-global/lib/node_modules/@anthropic-ai/claude-code/package.json', '{}');
    const real = mk('.npm-global/lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe', '\x7fELF…');
    const bin = link('.npm-global/bin/claude', '../lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe');
    const hp = harnessPath(bin, { path: `${home}/.npm-global/bin:/usr/bin`, home, hidden: [home] });
    expect(hp.chain).toEqual([bin, real]);
    expect(hp.readable).toEqual(expect.arrayContaining([path.join(home, '.npm-global/lib/node_modules/@anthropic-ai/claude-code'), path.join(home, '.npm-global/bin')]));
    expect(hp.readable).not.toContain(home);
    expect(unreachable('claude', hp, { hidden: [home], binds: hp.readable })).toBeUndefined();
    // Without those binds it says what is missing, hop by hop.
    expect(unreachable('claude', hp, { hidden: [home], binds: [path.join(home, '.npm-global/bin')] })).toBe(
      `claude is not reachable inside the sandbox: ${bin} → ${real} (${real} is in a hidden tree and not bound)`,
    );
  });

  it('nvm: a `#!/usr/bin/env node` script brings the node on the caller\'s PATH and its prefix', () => {
    const node = mk('.nvm/versions/node/v22.1.0/bin/node', '\x7fELF…');
    mk('.nvm/versions/node/v22.1.0/lib/node_modules/pi/package.json', '{}');
    const script = mk('.nvm/versions/node/v22.1.0/lib/node_modules/pi/dist/cli.js', '#!/usr/bin/env -S node --no-warnings\nconsole.log(1)\n');
    const bin = link('.nvm/versions/node/v22.1.0/bin/pi', '../lib/node_modules/pi/dist/cli.js');
    const hp = harnessPath(bin, { path: `${home}/.nvm/versions/node/v22.1.0/bin:/usr/bin`, home, hidden: [home] });
    expect(hp.chain).toEqual([bin, script, node]);
    expect(hp.readable).toEqual(expect.arrayContaining([path.join(home, '.nvm/versions/node/v22.1.0'), path.join(home, '.nvm/versions/node/v22.1.0/lib/node_modules/pi')]));
    // No node on the caller's PATH: said plainly.
    const none = harnessPath(bin, { path: '/nonexistent', home, hidden: [home] });
    expect(unreachable('pi', none, { hidden: [home], binds: none.readable })).toMatch(/interpreter "node" .* is not on PATH/);
  });

  it('a stray ~/package.json never makes all of $HOME the package root', () => {
    mk('package.json', '{}');
    const real = mk('tools/claude/claude', '\x7fELF…');
    expect(packageRoot(real, home)).toBe(path.join(home, 'tools/claude'));
    const hp = harnessPath(real, { path: '', home, hidden: [home] });
    expect(hp.readable).toEqual([path.join(home, 'tools/claude')]);
  });

  it('binds nothing for a harness outside the hidden trees', () => {
    const hp = harnessPath('/bin/sh', { path: '/usr/bin:/bin', home, hidden: [home] });
    expect(hp.readable).toEqual([]);
  });
});
