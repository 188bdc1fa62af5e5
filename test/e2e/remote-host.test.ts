import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import type { SessionRecord } from '../../src/core/session.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents } from '../helpers/events.js';
import { HARNESS_BIN, OMNI_JS, ROOT, makeTestEnv, pinnedCli, until, type TestEnv } from '../helpers/omni.js';
import { shellQuote } from '../../src/client/ssh.js';
import { canRunSshd, checkTraversable, remoteOmniWrapper, startSshd, type Sshd } from '../helpers/sshd.js';
import { ensureUnixUser, runAs, userTempDir } from '../helpers/unix-user.js';

/**
 * Remote hosts over SSH (issue 17, docs/REMOTE.md): the "remote" machine is this one reached
 * through a real sshd on loopback as the second Unix user `omniremote`, with its own OMNI_HOME;
 * the agent there is the real Claude Code against the fake model. The local side is the real
 * `ssh` with a ~/.ssh/config alias (the test's HOME; OMNI_SSH runs ssh with that file, because
 * ssh reads the passwd home, not $HOME).
 */
describe.skipIf(!canRunSshd() || !pinnedCli('claude'))('remote hosts over ssh', () => {
  let fake: FakeModel;
  let sshd: Sshd;
  let t: TestEnv;
  let remoteHome: string;
  let remoteWork: string;
  const USER = 'omniremote';
  const CLAUDE_ARGS = ['--', '--permission-mode', 'default', '--allowedTools', 'Bash'];

  beforeAll(async () => {
    fake = await startFakeModel();
    const user = ensureUnixUser(USER);
    checkTraversable(HARNESS_BIN);
    const bin = remoteOmniWrapper(user, ROOT);
    remoteHome = userTempDir(user, 'omr-');
    remoteWork = userTempDir(user, 'omw-');
    // The remote machine's own configuration: omni and the agent on PATH, the model's address.
    sshd = await startSshd(USER, {
      PATH: `${bin}:${HARNESS_BIN}:/usr/local/bin:/usr/bin:/bin`,
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_AUTH_TOKEN: 'test-token',
      LANG: 'C.UTF-8',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
    });
    // A variable only this machine's shell has: a remote start must not carry it there.
    t = makeTestEnv({ OMNI_LOCAL_ONLY: 'local-secret' });
    fs.mkdirSync(path.join(t.home, '.ssh'), { mode: 0o700 });
    const sshConfig = path.join(t.home, '.ssh', 'config');
    fs.writeFileSync(sshConfig, sshd.clientConfig('far'), { mode: 0o600 });
    const sshWrapper = path.join(t.dir, 'ssh');
    fs.writeFileSync(sshWrapper, `#!/bin/sh\nexec /usr/bin/ssh -F ${sshConfig} "$@"\n`, { mode: 0o755 });
    t.env.OMNI_SSH = sshWrapper;
  }, 60_000);

  afterAll(async () => {
    // The shared ssh connection (ControlPersist) would linger for a minute: end it now.
    if (t?.env.OMNI_SSH) await execa(t.env.OMNI_SSH, ['-O', 'exit', '-o', `ControlPath=${path.join(t.omniHome, 'run', 'ssh-%C')}`, 'far'], { reject: false });
    const user = ensureUnixUser(USER);
    if (remoteHome) {
      runAs(user, ['tmux', '-S', path.join(remoteHome, 'run', 'tmux.sock'), 'kill-server']);
      runAs(user, [process.execPath, OMNI_JS, 'daemon', 'stop'], { OMNI_HOME: remoteHome });
    }
    await t?.cleanup();
    await sshd?.stop();
    await fake?.close();
    if (!process.env.OMNI_KEEP_TEST_DIRS) for (const d of [remoteHome, remoteWork]) if (d) fs.rmSync(d, { recursive: true, force: true });
  }, 60_000);

  /** `omni ARGS --host far-box`, omni's own flags before any `--` (what follows is the harness's). */
  const far = (args: string[], opts?: { timeoutMs?: number }) => {
    const dd = args.indexOf('--');
    return t.omni(dd === -1 ? [...args, '--host', 'far-box'] : [...args.slice(0, dd), '--host', 'far-box', ...args.slice(dd)], opts);
  };
  const farJson = async <T>(args: string[]): Promise<T> => {
    const dd = args.indexOf('--');
    const r = await far(dd === -1 ? [...args, '--json'] : [...args.slice(0, dd), '--json', ...args.slice(dd)]);
    if (r.exitCode !== 0) throw new Error(`omni ${args.join(' ')} --host far-box exited ${r.exitCode}: ${r.stderr}\nsshd: ${sshd.log().slice(-2000)}`);
    return JSON.parse(String(r.stdout)) as T;
  };

  it('hosts add/ls/test, and clear errors for an unreachable host and a missing omni', async () => {
    expect((await t.omni(['hosts', 'add', 'far-box', 'ssh://far', '--home', remoteHome])).exitCode).toBe(0);
    const dup = await t.omni(['hosts', 'add', 'far-box', 'ssh://far']);
    expect(dup.exitCode).not.toBe(0);
    expect(dup.stderr).toContain('exists already');
    expect((await t.omni(['hosts', 'add', 'local', 'ssh://far'])).exitCode).not.toBe(0);
    expect((await t.omni(['hosts', 'add', 'web', 'http://far'])).exitCode).not.toBe(0);
    expect(await t.omniJson<{ hosts: unknown[] }>(['hosts', 'ls'])).toEqual({ hosts: [{ name: 'far-box', url: 'ssh://far', home: remoteHome }] });

    const ok = await t.omniJson<{ ok: boolean; version: string; latencyMs: number }>(['hosts', 'test', 'far-box']);
    expect(ok).toMatchObject({ ok: true });
    expect(ok.version).toMatch(/^\d+\.\d+/);
    // The remote daemon runs as the remote user, in its own OMNI_HOME.
    const pid = Number(fs.readFileSync(path.join(remoteHome, 'run', 'omnid.pid'), 'utf8'));
    expect(fs.statSync(`/proc/${pid}`).uid).toBe(sshd.user.uid);

    // Nothing listens on port 1: ssh fails, and the error names the host.
    await t.omni(['hosts', 'add', 'nowhere', 'ssh://omniremote@127.0.0.1:1']);
    const down = await t.omni(['ls', '--host', 'nowhere']);
    expect(down.exitCode).toBe(4);
    expect(down.stderr).toMatch(/cannot reach host nowhere .*ssh failed: .*(refused|Connection)/);
    await t.omni(['hosts', 'add', 'bare', 'ssh://far', '--omni', '/nonexistent/omni']);
    const bare = await t.omni(['hosts', 'test', 'bare']);
    expect(bare.exitCode).toBe(4);
    expect(bare.stderr).toContain('/nonexistent/omni not found on bare: install it there');
    expect((await t.omni(['hosts', 'rm', 'bare'])).exitCode).toBe(0);
    expect((await t.omni(['hosts', 'rm', 'bare'])).exitCode).not.toBe(0);
  }, 120_000);

  it('a session on the remote host: started, listed, sent to, approved, followed through a dropped connection, stopped', async () => {
    fake.script({
      match: 'REMOTE-TOUCH',
      turns: [{ toolUses: [{ id: 'toolu_remote_1', name: 'Bash', input: { command: `env > ${remoteWork}/made-there.txt`, description: 'write the environment' } }] }, { text: 'Made it.' }],
    });
    const s = await farJson<SessionRecord>(['claude', '--name', 'far', '--cwd', remoteWork, '--policy', 'ask_on_shell', '--detach', ...CLAUDE_ARGS]);
    expect(s.cwd).toBe(remoteWork);
    expect((await far(['wait', 'far', '--timeout', '90'], { timeoutMs: 120_000 })).exitCode).toBe(0);
    const listed = await farJson<SessionRecord[]>(['ls']);
    expect(listed.map((x) => x.name)).toContain('far');
    // Not this machine's session: the local daemon does not know it.
    expect((await t.omniJson<SessionRecord[]>(['ls'])).map((x) => x.name)).not.toContain('far');

    expect((await far(['send', 'far', 'REMOTE-TOUCH'])).exitCode).toBe(0);
    const ask = await until(async () => (await farJson<Approval[]>(['approvals'])).find((a) => a.sessionName === 'far'), 90_000, 'the remote shell call to be held');
    expect(fs.existsSync(path.join(remoteWork, 'made-there.txt'))).toBe(false);
    expect((await far(['approve', ask.id])).exitCode).toBe(0);
    await until(() => fs.existsSync(path.join(remoteWork, 'made-there.txt')), 60_000, 'the approved command to run there');
    // It ran as the remote user, with the remote login's environment, not this machine's.
    expect(fs.statSync(path.join(remoteWork, 'made-there.txt')).uid).toBe(sshd.user.uid);
    const remoteEnv = fs.readFileSync(path.join(remoteWork, 'made-there.txt'), 'utf8');
    expect(remoteEnv).toContain(`ANTHROPIC_BASE_URL=${fake.url}`);
    expect(remoteEnv).toContain(`HOME=${sshd.user.home}`);
    expect(remoteEnv).not.toContain('OMNI_LOCAL_ONLY');
    expect((await far(['wait', 'far', '--timeout', '60'])).exitCode).toBe(0);
    const ev = parseEvents((await far(['events', 'far', '--json'])).stdout);
    expect(ev.map((e) => e.type)).toContain('tool.result');

    // A follow over ssh, then the connection killed under it (the shared ControlMaster): the
    // follow ends with an error, the next command reconnects, and the session is still there.
    const follow = execa(process.execPath, [OMNI_JS, 'events', 'far', '-f', '--json', '--host', 'far-box'], { env: t.env, extendEnv: false, reject: false, cwd: t.work });
    let seen = '';
    follow.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
    await until(() => seen.includes('"tool.result"'), 30_000, 'the follow to stream the log');
    const master = /pid=(\d+)/.exec(execFileSync('sh', ['-c', `${t.env.OMNI_SSH} -O check -o ControlPath=${path.join(t.omniHome, 'run', 'ssh-%C')} far 2>&1`], { encoding: 'utf8' }));
    expect(master).not.toBeNull();
    process.kill(Number(master![1]), 'SIGKILL');
    const ended = await follow;
    expect(ended.exitCode).not.toBe(0);
    const after = await farJson<SessionRecord[]>(['ls']);
    expect(after.find((x) => x.name === 'far')?.status).not.toMatch(/exited|failed/);

    // Attach from a terminal (a tmux server standing in for one): ssh -t runs the remote omni
    // attach, whose tmux client draws the remote pane here.
    const term = path.join(t.dir, 'term.sock');
    const envWords = Object.entries({ ...t.env, TERM: 'xterm-256color' }).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
    await execa('tmux', ['-S', term, '-f', '/dev/null', 'new-session', '-d', '-s', 'term', '-x', '120', '-y', '30', `env -i ${envWords} ${process.execPath} ${OMNI_JS} attach far --host far-box; sleep 30`], {
      env: { ...process.env, TMUX: '' },
    });
    const remoteTmux = path.join(remoteHome, 'run', 'tmux.sock');
    await until(() => runAs(sshd.user, ['tmux', '-S', remoteTmux, 'list-clients']).stdout.trim() !== '', 30_000, 'a tmux client on the remote server');
    await until(async () => (await execa('tmux', ['-S', term, 'capture-pane', '-p', '-t', 'term'])).stdout.includes('Made it.'), 30_000, "the remote pane drawn in this terminal");
    await execa('tmux', ['-S', term, 'kill-server'], { reject: false });
    await until(() => runAs(sshd.user, ['tmux', '-S', remoteTmux, 'list-clients']).stdout.trim() === '', 30_000, 'the remote client gone with the terminal');

    expect((await far(['stop', 'far'])).exitCode).toBe(0);
    const all = await farJson<SessionRecord[]>(['ls', '--all']);
    expect(all.find((x) => x.name === 'far')?.status).toMatch(/exited/);
  }, 300_000);
});
