import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { claudeAdapter } from '../../src/harnesses/claude/index.js';
import type { LaunchContext } from '../../src/harnesses/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function launch(sandboxed: boolean, extraArgs: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-csl-'));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, 'home'));
  const ctx: LaunchContext = {
    session: { id: 's_x', name: 'x', harness: 'claude', cwd: dir, status: 'starting', lastSeq: 0 } as SessionRecord,
    sessionDir: dir,
    env: { HOME: path.join(dir, 'home'), PATH: '/usr/bin:/bin' },
    ...(sandboxed ? { sandboxed: true } : {}),
    binary: { path: '/usr/bin/claude' },
    extraArgs,
    agentSocket: path.join(dir, 'hook.sock'),
    hookClient: { node: '/n', omniJs: '/o', omniHome: dir },
    hooks: { command: (e, m) => `hook ${e} ${m}` },
  };
  const spec = await claudeAdapter.prepareLaunch(ctx);
  const settings = JSON.parse(fs.readFileSync(spec.args[spec.args.indexOf('--settings') + 1]!, 'utf8')) as Record<string, unknown>;
  return { spec, settings };
}

describe('the permission mode of a sandboxed Claude Code', () => {
  it('sandboxed with no flag of the user: bypassPermissions, IS_SANDBOX=1, no warning dialog; hooks still wired', async () => {
    const { spec, settings } = await launch(true, ['--verbose']);
    expect(spec.args.slice(2)).toEqual(['--permission-mode', 'bypassPermissions', '--verbose']);
    expect(spec.env.IS_SANDBOX).toBe('1');
    expect(settings.skipDangerousModePermissionPrompt).toBe(true);
    expect(Object.keys(settings.hooks as object)).toContain('PreToolUse');
  });

  it("the user's own permission flag wins, in either spelling", async () => {
    for (const args of [['--permission-mode', 'default'], ['--permission-mode=plan'], ['--dangerously-skip-permissions']]) {
      const { spec, settings } = await launch(true, args);
      expect(spec.args.slice(2)).toEqual(args);
      expect(spec.env.IS_SANDBOX).toBeUndefined();
      expect(settings.skipDangerousModePermissionPrompt).toBeUndefined();
    }
  });

  it('outside the sandbox nothing changes', async () => {
    const { spec, settings } = await launch(false, []);
    expect(spec.args.slice(2)).toEqual([]);
    expect(spec.env.IS_SANDBOX).toBeUndefined();
    expect(settings.skipDangerousModePermissionPrompt).toBeUndefined();
  });
});
