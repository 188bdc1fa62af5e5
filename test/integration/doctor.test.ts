import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestEnv, ROOT, type TestEnv } from '../helpers/omni.js';

/** The pinned Claude Code (test/harness-clis), which `omni doctor` must report. */
const PINNED_CLAUDE = (JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'harness-clis', 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['@anthropic-ai/claude-code'];

interface Report {
  harnesses: Array<{ harness: string; installed: boolean; version?: string; versionOk: boolean; usable: boolean; credentials: Array<{ source: string; detail: string }>; todo: string[] }>;
}

describe('omni doctor', () => {
  let t: TestEnv;
  beforeEach(() => (t = makeTestEnv()));
  afterEach(() => t.cleanup());
  const claude = (r: Report) => r.harnesses.find((h) => h.harness === 'claude')!;

  it('reports the pinned claude, where its credentials come from, and never the secret', async () => {
    const secret = 'sk-ant-api03-THIS-MUST-NOT-APPEAR-1234567890';
    const r = await t.omni(['doctor', '--json'], { env: { ANTHROPIC_API_KEY: secret } });
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout)).not.toContain(secret);
    expect(String(r.stdout)).not.toContain(secret.slice(-20));
    const c = claude(JSON.parse(String(r.stdout)));
    expect(c).toMatchObject({ installed: true, version: PINNED_CLAUDE, versionOk: true, usable: true, todo: [] });
    expect(c.credentials).toContainEqual({ source: 'ANTHROPIC_API_KEY', detail: 'set in the environment' });
    const human = await t.omni(['doctor'], { env: { ANTHROPIC_API_KEY: secret } });
    expect(String(human.stdout)).toMatch(/Claude Code \(claude\): ready/);
    expect(String(human.stdout)).not.toContain(secret.slice(-20));
  });

  it('says what to do: no credentials, a login file, an old version, not installed', async () => {
    const none = claude(JSON.parse(String((await t.omni(['doctor', '--json'])).stdout)));
    expect(none.usable).toBe(false);
    expect(none.todo.join('\n')).toMatch(/export ANTHROPIC_API_KEY/);

    fs.mkdirSync(path.join(t.home, '.claude'), { recursive: true });
    fs.writeFileSync(path.join(t.home, '.claude', '.credentials.json'), JSON.stringify({ claudeAiOauth: { accessToken: 'tok-secret', subscriptionType: 'max' } }));
    const login = await t.omni(['doctor', '--json']);
    expect(String(login.stdout)).not.toContain('tok-secret');
    expect(claude(JSON.parse(String(login.stdout))).credentials).toContainEqual({ source: path.join(t.home, '.claude', '.credentials.json'), detail: 'logged in (claude.ai, max)' });

    // An old claude first on PATH (a stand-in binary: this checks omni's version gate, not Claude).
    const bin = path.join(t.dir, 'oldbin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'claude'), '#!/bin/sh\necho "1.0.3 (Claude Code)"\n', { mode: 0o755 });
    const old = claude(JSON.parse(String((await t.omni(['doctor', '--json'], { env: { PATH: `${bin}:${t.env.PATH}` } })).stdout)));
    expect(old).toMatchObject({ version: '1.0.3', versionOk: false, usable: false });
    expect(old.todo[0]).toMatch(/upgrade it: found 1\.0\.3, omni needs 2\.1\.0 or newer/);

    const missing = claude(JSON.parse(String((await t.omni(['doctor', '--json'], { env: { PATH: '/usr/bin:/bin' } })).stdout)));
    expect(missing).toMatchObject({ installed: false, usable: false });
    expect(missing.todo[0]).toMatch(/npm install -g @anthropic-ai\/claude-code/);
  });

  it('says whether --sandbox works here, and why not when bubblewrap is missing', async () => {
    const ok = JSON.parse(String((await t.omni(['doctor', '--json'])).stdout)) as { sandbox: { ok: boolean; version?: string } };
    expect(ok.sandbox).toMatchObject({ ok: true, version: expect.stringMatching(/^\d+\.\d+/) });
    // A PATH without bwrap (node and tmux still found through the absolute paths omni uses).
    const bin = path.join(t.dir, 'nobwrap');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const none = await t.omni(['doctor'], { env: { PATH: bin } });
    expect(String(none.stdout)).toMatch(/sandbox +--sandbox unavailable: .*bubblewrap/);
  });

  it('reads the pinned pi\'s version (printed on stderr), and exits 5 when no harness is usable', async () => {
    const pi = (r: Report) => r.harnesses.find((h) => h.harness === 'pi')!;
    const none = await t.omni(['doctor', '--json']);
    expect(none.exitCode).toBe(5); // installed, but no credentials for any
    expect(pi(JSON.parse(String(none.stdout)))).toMatchObject({ installed: true, version: '0.73.1', testedVersion: '0.73.1', versionOk: true });
    expect(pi(JSON.parse(String(none.stdout))).todo.join('\n')).not.toMatch(/upgrade|unknown version/);
    const human = await t.omni(['doctor']);
    expect(human.exitCode).toBe(5);
    expect(String(human.stdout)).toMatch(/binary +\S+\/pi 0\.73\.1 · tested 0\.73\.1\n/);
    expect(String(human.stdout)).toMatch(/no harness is usable here yet \(exit 5\)/);
    expect((await t.omni(['doctor'], { env: { PATH: '/usr/bin:/bin' } })).exitCode).toBe(5);

    const ready = await t.omni(['doctor', '--json'], { env: { ANTHROPIC_API_KEY: 'sk-ant-test' } });
    expect(ready.exitCode).toBe(0);
    expect(pi(JSON.parse(String(ready.stdout)))).toMatchObject({ version: '0.73.1', usable: true });

    // A binary whose --version says nothing omni can read: "check it", not "upgrade it".
    const bin = path.join(t.dir, 'mute');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'pi'), '#!/bin/sh\necho "pi" >&2\n', { mode: 0o755 });
    const mute = pi(JSON.parse(String((await t.omni(['doctor', '--json'], { env: { PATH: `${bin}:${t.env.PATH}` } })).stdout)));
    expect(mute).toMatchObject({ installed: true, versionOk: false, usable: false });
    expect(mute.todo[0]).toMatch(/^check it: `\S+\/pi --version` printed no version omni can read; omni needs 0\.70\.0 or newer/);
  });
});
