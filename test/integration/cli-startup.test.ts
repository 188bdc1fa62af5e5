import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestEnv, type TestEnv } from '../helpers/omni.js';

/**
 * `omni ls --json` start-up is a feature (docs/CLI.md): it loads only what it uses. Each run
 * records every module node loads (a module-loader hook given with --import), so a top-level
 * import of Ink, React, yaml, execa or chalk on this path fails here.
 */
describe('CLI start-up: what `omni ls --json` and `omni events --json` load', () => {
  let t: TestEnv;
  let hook: string;
  beforeAll(async () => {
    t = makeTestEnv();
    const hooks = path.join(t.dir, 'record-hooks.mjs');
    fs.writeFileSync(hooks, `import fs from 'node:fs';\nexport async function load(url, ctx, next) { fs.appendFileSync(process.env.OMNI_TEST_LOADED, url + '\\n'); return next(url, ctx); }\n`);
    hook = path.join(t.dir, 'record.mjs');
    fs.writeFileSync(hook, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const first = await t.omni(['daemon', 'start', '--quiet']); // not part of what is measured
    expect(first.exitCode, String(first.stderr)).toBe(0);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  async function loaded(args: string[], exitCode = 0): Promise<string[]> {
    const log = path.join(t.dir, `loaded-${args.join('_').replace(/\W/g, '')}.txt`);
    const r = await t.omni(args, { env: { NODE_OPTIONS: `--import ${hook}`, OMNI_TEST_LOADED: log } });
    expect(r.exitCode, String(r.stderr)).toBe(exitCode);
    return fs.readFileSync(log, 'utf8').trim().split('\n');
  }
  const packages = (urls: string[]) => [...new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []))].sort();

  it('ls --json: no Ink, React, yaml, execa, chalk or commander; no TUI, harness or daemon code', async () => {
    const urls = await loaded(['ls', '--json']);
    expect(packages(urls)).toEqual([]);
    expect(urls.filter((u) => /\/dist\/(tui|harnesses|daemon|policy|cost\/(?!format))/.test(u))).toEqual([]);
  });

  it('events --json: no chalk or commander either (an unknown session: its error comes from the stream)', async () => {
    const urls = await loaded(['events', 'ghost', '--json', '--last', '5'], 3);
    expect(packages(urls)).toEqual([]);
  });

  it('the recorder sees packages: an ls that commander must parse (a tag) loads commander', async () => {
    expect(packages(await loaded(['ls', '--tag', 'x', '--json']))).toEqual(['commander']);
  });
});
