import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents, toolResultText } from '../helpers/events.js';
import { HARNESS_BIN, claudeEnv, makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

// Assembled, so no file holds it whole (the checkout may sit under /tmp, which the probes search).
const GH_SECRET = ['ghp_REAL-GH-SECRET', '0123456789'].join('-');
const MODEL_KEY = 'real-model-key-abcdef';

/**
 * The real Claude Code in omni's sandbox (real bubblewrap), against the fake model, with a
 * local HTTPS server standing in for api.github.com (docs/SANDBOX.md). The model drives a
 * Bash probe; what the probe printed is what the model saw. Sessions start exactly as a user
 * types it (`omni claude --sandbox --name sb`), in Claude's default mode.
 */
describe('sandboxed Claude Code end to end', () => {
  let fake: FakeModel;
  let up: Upstream;
  let t: TestEnv;

  beforeEach(async () => {
    fake = await startFakeModel();
    t = makeTestEnv({ ...claudeEnv(fake.url), ANTHROPIC_AUTH_TOKEN: MODEL_KEY, GH_TOKEN: GH_SECRET });
    up = await startUpstream(t.dir);
    // Secrets the sandbox must hide.
    fs.mkdirSync(path.join(t.home, '.ssh'), { recursive: true });
    fs.writeFileSync(path.join(t.home, '.ssh', 'id_rsa'), '-----BEGIN OPENSSH PRIVATE KEY----- SSH-KEY-MATERIAL\n');
    fs.writeFileSync(path.join(t.home, '.bash_history'), 'export SECRET=HISTORY-LINE\n');
    fs.mkdirSync(path.join(t.omniHome, 'config'), { recursive: true });
    fs.writeFileSync(
      path.join(t.omniHome, 'config', 'config.yaml'),
      [
        'sandbox:',
        '  network:',
        '    allow: [api.github.com]',
        '    deny: [other.test]',
        '    unknown: ask',
        '    resolve:',
        `      api.github.com: 127.0.0.1:${up.port}`,
        `      other.test: 127.0.0.1:${up.port}`,
        `      asked.test: 127.0.0.1:${up.port}`,
        `    upstream_ca: [${up.caFile}]`,
        'secrets:',
        '  github:',
        '    from: { env: GH_TOKEN }',
        '    env: [GH_TOKEN]',
        '    inject:',
        '      - host: api.github.com',
        '',
      ].join('\n'),
    );
  });
  afterEach(async () => {
    await t.cleanup();
    await up.close();
    await fake.close();
  });

  it('hides secrets, files and sockets, and lets out only what the proxy allows, with the token added outside', async () => {
    const outside = path.join(t.dir, 'outside.txt');
    fs.writeFileSync(
      path.join(t.work, 'sock-probe.sh'),
      [
        `R=${t.omniHome}/run`,
        `echo "CONTROL:$(curl -sS -m 5 --unix-socket "$R/omni.sock" http://omni/v1/sessions 2>&1 | head -c 80)"`,
        `echo "TMUX:$(ls "$R" 2>&1 | head -c 80)"`,
        '',
      ].join('\n'),
    );
    const probe = [
      `echo "TOKEN-IN-ENV:$(env | grep -c REAL-GH-SECRET)"`,
      `echo "TOKEN-IN-PROC:$(cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c REAL-GH-SECRET)"`,
      // A suffix of the key: the command itself (logged as tool.call) must not hold the whole key.
      // Built at run time, so the command text (kept in Claude's transcript) does not match itself.
      `P=REAL-GH; P="$P-SECRET-0123"; echo "canary $P" > /tmp/canary.txt; echo "TOKEN-IN-FILES:$(grep -rlsF "$P" ~ /tmp "$PWD" /run /proc/self/environ 2>/dev/null | wc -l)"`,
      `echo "MODEL-KEY-IN-ENV:$(env | grep -c ${MODEL_KEY.slice(5)})"`,
      `echo "GH_TOKEN=$GH_TOKEN"`,
      `echo "GITHUB:$(curl -sS -m 20 https://api.github.com/user -H "Authorization: Bearer $GH_TOKEN" 2>&1)"`,
      `echo "OTHER:$(curl -sS -m 20 -o /dev/null -w '%{http_code}' https://other.test/ 2>&1)"`,
      `echo "PRIVATE:$(curl -sS -m 20 -o /dev/null -w '%{http_code}' http://localhost:${up.port}/ 2>&1)"`,
      `echo "DIRECT:$(curl -sS -m 5 --noproxy '*' http://127.0.0.1:${up.port}/ 2>&1 | head -c 60)"`,
      `echo "SSH:$(cat ~/.ssh/id_rsa 2>&1 | head -c 80)"`,
      `echo "HISTORY:$(cat ~/.bash_history 2>&1 | head -c 80)"`,
      `echo "ETC:$(touch /etc/omni-sbx-probe 2>&1 | head -c 80)"`,
      `touch ${outside} 2>/dev/null; echo x > ./inside.txt`,
      // From a script file: omni_guard refuses every spelling of omni's run dir it can see in a
      // command, and a file's contents are what it cannot read (docs/SECURITY.md), so this tests
      // the sandbox's own wall.
      'sh ./sock-probe.sh',
      'echo PROBE-DONE',
    ].join('; ');
    fake.script({ match: 'PROBE', turns: [{ toolUses: [{ id: 'toolu_probe', name: 'Bash', input: { command: probe, timeout: 120000 } }] }, { text: 'Probed.' }] });

    const s = await t.omniJson<SessionRecord>(['claude', '--sandbox', '--name', 'sb']);
    expect(s.sandbox).toBe(true);
    // Launched as a user types it: Claude's auto mode cannot reach its check through the proxy,
    // so omni runs it in bypassPermissions (docs/harnesses/claude.md); the hooks still gate.
    expect(s.command).toEqual(expect.arrayContaining(['--permission-mode', 'bypassPermissions']));
    expect((await t.omni(['wait', 'sb', '--timeout', '60'])).exitCode).toBe(0);
    expect((await t.omni(['send', 'sb', 'PROBE'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'sb', '--timeout', '90'])).exitCode).toBe(0);
    const out = JSON.parse(toolResultText(fake, 'toolu_probe') ?? '""') as string;
    const line = (key: string) => new RegExp(`${key}:(.*)`).exec(out)?.[1] ?? `(no ${key} line in: ${out})`;

    expect(out).toContain('PROBE-DONE');
    // The token is nowhere inside: not in any environment, and the agent holds a placeholder.
    expect(line('TOKEN-IN-ENV')).toBe('0');
    expect(line('TOKEN-IN-PROC')).toBe('0');
    // Exactly one file holds it: the probe's own canary in /tmp (so the search does find a match).
    expect(line('TOKEN-IN-FILES')).toBe('1');
    expect(line('MODEL-KEY-IN-ENV')).toBe('0');
    expect(/GH_TOKEN=(\S+)/.exec(out)?.[1]).toMatch(/^omni-placeholder-github-/);
    // The bound host got the real token, added by the proxy; the response did not echo it.
    expect(line('GITHUB')).toBe('hello from api.github.com');
    const gh = up.seen.filter((r) => r.host.startsWith('api.github.com'));
    expect(gh).toHaveLength(1);
    expect(gh[0]!.authorization).toBe(`Bearer ${GH_SECRET}`);
    // A denied host is refused by the proxy and never reached; so is a private address, and the direct route.
    expect(line('OTHER')).toBe('403');
    expect(line('PRIVATE')).toBe('403');
    expect(up.seen.some((r) => r.host.startsWith('other.test') || r.host.startsWith('localhost'))).toBe(false);
    expect(line('DIRECT')).toMatch(/Couldn't connect|Failed to connect|refused/i);
    // $HOME secrets are hidden; the real files are untouched.
    expect(line('SSH')).toMatch(/No such file/);
    expect(line('HISTORY')).toMatch(/No such file/);
    expect(line('ETC')).toMatch(/Read-only file system/);
    expect(fs.existsSync('/etc/omni-sbx-probe')).toBe(false);
    expect(fs.existsSync(outside)).toBe(false);
    expect(fs.readFileSync(path.join(t.work, 'inside.txt'), 'utf8')).toBe('x\n');
    // omni's control socket and tmux socket are not there at all.
    expect(line('CONTROL')).toMatch(/Couldn't connect|Failed to connect|No such file/i);
    expect(line('TMUX')).not.toMatch(/omni\.sock|tmux\.sock/);

    // The model's own traffic went through the proxy with the real key added outside.
    const turns = fake.turns();
    expect(turns.length).toBeGreaterThan(0);
    for (const r of turns) {
      expect(r.headers.authorization).toBe(`Bearer ${MODEL_KEY}`);
    }

    const ev = parseEvents((await t.omni(['events', 'sb', '--json'])).stdout);
    const started = ev.find((e) => e.type === 'sandbox.started') as OmniEvent<'sandbox.started'>;
    expect(started.data).toMatchObject({ backend: 'bwrap', secrets: ['github'], unknown: 'ask' });
    const egress = ev.filter((e) => e.type === 'egress.request') as Array<OmniEvent<'egress.request'>>;
    expect(egress.find((e) => e.data.host === 'api.github.com')?.data).toMatchObject({ verdict: 'allow', status: 200, secrets: ['github'], method: 'GET', path: '/user' });
    expect(egress.find((e) => e.data.host === 'other.test')?.data).toMatchObject({ verdict: 'deny' });
    expect(egress.find((e) => e.data.host === 'localhost')?.data.reason).toMatch(/private|loopback/i);
    expect(egress.some((e) => e.data.host === '127.0.0.1' && e.data.path === '/v1/messages' && e.data.verdict === 'allow')).toBe(true);
    // Nothing omni logged holds a secret value.
    const logs = fs.readdirSync(path.join(t.omniHome, 'state', 'sessions', s.id)).filter((f) => f.endsWith('.ndjson'));
    for (const f of [...logs.map((l) => path.join(t.omniHome, 'state', 'sessions', s.id, l)), path.join(t.omniHome, 'log', 'omnid.log')]) {
      const text = fs.readFileSync(f, 'utf8');
      expect(text, f).not.toContain(GH_SECRET);
      expect(text, f).not.toContain(MODEL_KEY);
    }
  });

  it('holds a request to an unlisted host as an ask; approving lets it through', async () => {
    fake.script({
      match: 'ASK-HOST',
      turns: [{ toolUses: [{ id: 'toolu_ask', name: 'Bash', input: { command: 'echo "ASKED:$(curl -sS -m 90 https://asked.test/hello 2>&1)"', timeout: 120000 } }] }, { text: 'Fetched.' }],
    });
    await t.omniJson<SessionRecord>(['claude', '--sandbox', '--name', 'sa']);
    expect((await t.omni(['wait', 'sa', '--timeout', '60'])).exitCode).toBe(0);
    expect((await t.omni(['send', 'sa', 'ASK-HOST'])).exitCode).toBe(0);
    const ask = await until(async () => (await t.omniJson<Approval[]>(['approvals'])).find((a) => a.sessionName === 'sa'), 60_000, 'the egress ask');
    expect(ask.phase).toBe('egress');
    expect(ask.request.url).toBe('GET https://asked.test/hello');
    expect(ask.policies).toEqual(['sandbox_network']);
    // Held: nothing reached the host while the person decides.
    expect(up.seen.some((r) => r.host.startsWith('asked.test'))).toBe(false);
    const ok = await t.omni(['approve', ask.id]);
    expect(ok.exitCode, String(ok.stderr)).toBe(0);
    expect((await t.omni(['wait', 'sa', '--timeout', '90'])).exitCode).toBe(0);
    const out = JSON.parse(toolResultText(fake, 'toolu_ask') ?? '""') as string;
    expect(out).toContain('ASKED:hello from asked.test');
    // No secret is bound to asked.test, so none was added.
    expect(up.seen.find((r) => r.host.startsWith('asked.test'))?.authorization).toBeUndefined();

    // A request from a background job while the session is idle: the ask makes it `waiting`,
    // and once answered it is idle again (not `running`), so `omni wait` still works.
    fake.script({
      match: 'BACKGROUND',
      turns: [{ toolUses: [{ id: 'toolu_bg', name: 'Bash', input: { command: '(sleep 2; curl -sS -m 90 https://asked.test/later > /dev/null 2>&1) > /dev/null 2>&1 &', timeout: 120000 } }] }, { text: 'Started.' }],
    });
    expect((await t.omni(['send', 'sa', 'BACKGROUND'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'sa', '--timeout', '60'])).exitCode).toBe(0);
    const bg = await until(async () => (await t.omniJson<Approval[]>(['approvals'])).find((a) => a.sessionName === 'sa' && a.request.url?.endsWith('/later')), 60_000, 'the background ask');
    expect((await t.omniJson<SessionRecord>(['wait', 'sa', '--for', 'waiting', '--timeout', '10'])).statusReason).toContain(bg.id);
    expect((await t.omni(['deny', bg.id, '--reason', 'not now'])).exitCode).toBe(0);
    const after = await t.omniJson<SessionRecord>(['wait', 'sa', '--for', 'idle', '--timeout', '10']);
    expect(after.status).toBe('idle');
    expect(up.seen.some((r) => r.url === '/later')).toBe(false);
  });

  it('after kill -9 of the daemon, the re-adopted session gets its proxy back, with the same CA and secrets', async () => {
    const fetch = (id: string) => ({ toolUses: [{ id, name: 'Bash', input: { command: 'echo "GH:$(curl -sS -m 30 https://api.github.com/again 2>&1)"', timeout: 120000 } }] });
    fake.script({ match: 'FETCH-ONE', turns: [fetch('toolu_f1'), { text: 'One.' }] });
    fake.script({ match: 'FETCH-TWO', turns: [fetch('toolu_f2'), { text: 'Two.' }] });
    await t.omniJson<SessionRecord>(['claude', '--sandbox', '--name', 'sr']);
    expect((await t.omni(['wait', 'sr', '--timeout', '60'])).exitCode).toBe(0);
    expect((await t.omni(['send', 'sr', 'FETCH-ONE'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'sr', '--timeout', '90'])).exitCode).toBe(0);
    expect(toolResultText(fake, 'toolu_f1')).toContain('GH:hello from api.github.com');

    const pid = Number(fs.readFileSync(path.join(t.omniHome, 'run', 'omnid.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    await until(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 10_000, 'the daemon to die');
    // The secret came from the caller's environment, which a restarted daemon does not have.
    const ls = await t.omni(['ls', '--json'], { env: { GH_TOKEN: '' } });
    expect(ls.exitCode, String(ls.stderr)).toBe(0);
    expect((await t.omni(['send', 'sr', 'FETCH-TWO'], { env: { GH_TOKEN: '' } })).exitCode).toBe(0);
    expect((await t.omni(['wait', 'sr', '--timeout', '90'])).exitCode).toBe(0);
    expect(toolResultText(fake, 'toolu_f2')).toContain('GH:hello from api.github.com');
    const again = up.seen.filter((r) => r.url === '/again');
    expect(again.map((r) => r.authorization)).toEqual([`Bearer ${GH_SECRET}`, `Bearer ${GH_SECRET}`]);
    // Once the session ends, no secret stays on disk.
    const id = (await t.omniJson<SessionRecord[]>(['ls'])).find((x) => x.name === 'sr')!.id;
    const secretsFile = path.join(t.omniHome, 'state', 'sessions', id, 'secrets.json');
    expect(fs.existsSync(secretsFile)).toBe(true);
    expect((await t.omni(['stop', 'sr'])).exitCode).toBe(0);
    await until(() => !fs.existsSync(secretsFile), 20_000, 'secrets.json to be removed');

    // `omni resume` brings it back in the sandbox it started with (a new proxy and CA).
    const resumed = await t.omniJson<SessionRecord>(['resume', 'sr']);
    expect(resumed.sandbox).toBe(true);
    expect((await t.omni(['wait', 'sr', '--timeout', '60'])).exitCode).toBe(0);
    const ev = parseEvents((await t.omni(['events', 'sr', '--json'])).stdout);
    expect(ev.filter((e) => e.type === 'sandbox.started')).toHaveLength(2);
    expect(fs.existsSync(path.join(t.omniHome, 'run', 'agent', id, 'proxy.sock'))).toBe(true);
  });

  it('never falls back to running unsandboxed: no bubblewrap is exit 5, a bad setting is exit 2 with file:line:column', async () => {
    expect((await t.omni(['daemon', 'start'])).exitCode).toBe(0);
    const bin = path.join(t.dir, 'nobwrap');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const r = await t.omni(['claude', '--sandbox', '--name', 'nobw', '--json'], { env: { PATH: `${HARNESS_BIN}:${bin}` } });
    expect(r.exitCode, String(r.stderr)).toBe(5);
    expect(String(r.stderr)).toMatch(/bubblewrap/);
    const ls = await t.omniJson<SessionRecord[]>(['ls']);
    expect(ls.filter((x) => x.name === 'nobw')).toEqual([]);

    const cfg = path.join(t.omniHome, 'config', 'config.yaml');
    fs.writeFileSync(cfg, 'sandbox:\n  network:\n    unknown: maybe\n');
    const bad = await t.omni(['claude', '--sandbox', '--name', 'badcfg', '--json']);
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr)).toContain(`${cfg}:3:14`);
  });

  it('refuses to start when a secret cannot be resolved, and names it', async () => {
    const r = await t.omni(['claude', '--sandbox', '--name', 'nosecret', '--json'], { env: { GH_TOKEN: '' } });
    expect(r.exitCode).not.toBe(0);
    expect(String(r.stderr)).toContain('secret "github": $GH_TOKEN is not set');
  });
});
