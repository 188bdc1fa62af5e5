import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { execa } from 'execa';
import { makeTestEnv, OMNI_JS, until, type TestEnv } from '../helpers/omni.js';
import { createScripted, startScriptedDaemon, waitFor } from '../helpers/scripted.js';
import { agentSocket, daemonLog, hookCall, pidAlive, sleep } from './fault-kit.js';

/**
 * The socket files deleted under a running daemon (a tmp reaper, `rm -rf run/`). The daemon
 * notices and listens again at the same path; a CLI command that comes first starts a daemon
 * that wakes the running one and steps aside, so there are never two daemons serving the same
 * sessions. A session's agent socket is put back the same way, and hooks keep getting answers.
 */
describe('socket files deleted while the daemon runs', () => {
  let t: TestEnv;
  let pid: number;
  let rec: SessionRecord;
  const controlSocket = () => path.join(t.omniHome, 'run', 'omni.sock');
  /** The omni daemons of this OMNI_HOME, from /proc (what `ps` would show). */
  const daemonsHere = (): number[] =>
    fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
          const env = fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0');
          return /daemon/.test(cmd) && !/tmux/.test(cmd) && env.includes(`OMNI_HOME=${t.omniHome}`);
        } catch {
          return false;
        }
      })
      .map(Number);

  beforeAll(async () => {
    t = makeTestEnv();
    pid = await startScriptedDaemon(t);
    rec = await createScripted(t, { name: 'sock' });
    await waitFor(t, 'sock', 'idle');
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('the control socket: the next command is answered by the same daemon, and it is the only one', async () => {
    fs.rmSync(controlSocket());
    // Straight away: whichever comes first (the daemon's watch, or the CLI's auto-start) ends
    // with the running daemon answering again.
    const ls = await t.omni(['ls', '--json']);
    expect(ls.exitCode, String(ls.stderr)).toBe(0);
    expect((JSON.parse(String(ls.stdout)) as SessionRecord[]).map((s) => s.name)).toEqual(['sock']);
    expect((await t.omniJson<{ pid: number }>(['daemon', 'status'])).pid).toBe(pid);
    await sleep(1000); // a daemon started by the CLI has had time to step aside
    expect(daemonsHere()).toEqual([pid]);
    expect(fs.statSync(controlSocket()).isSocket()).toBe(true);
    expect(fs.statSync(controlSocket()).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(daemonLog(t), 'utf8')).toContain(`socket ${controlSocket()} was deleted; listening there again`);
  });

  it('a daemon started right after the deletion steps aside: one daemon, the same pid, answering', async () => {
    fs.rmSync(controlSocket());
    const started = await execa(process.execPath, [OMNI_JS, 'daemon', 'run'], { env: t.env, extendEnv: false, reject: false, timeout: 20_000 });
    expect(started.exitCode, String(started.stderr)).toBe(0);
    expect((await t.omniJson<{ pid: number }>(['daemon', 'status'])).pid).toBe(pid);
    expect(daemonsHere()).toEqual([pid]);
  });

  it('the socket replaced by a plain file: the daemon takes its path back', async () => {
    // Renamed over it in one step (the daemon would re-create a removed file before a write).
    const plain = path.join(t.dir, 'plain');
    fs.writeFileSync(plain, 'not a socket');
    fs.renameSync(plain, controlSocket());
    await until(() => fs.statSync(controlSocket()).isSocket(), 5_000, 'the control socket to be back');
    expect((await t.omniJson<{ pid: number }>(['daemon', 'status'])).pid).toBe(pid);
    expect(daemonsHere()).toEqual([pid]);
  });

  it("a session's agent socket: put back at once, and the next gate hook is answered normally", async () => {
    const sock = agentSocket(t, rec.id);
    const removedAt = performance.now();
    fs.rmSync(sock);
    await until(() => fs.existsSync(sock) && fs.statSync(sock).isSocket(), 5_000, 'the agent socket to be re-created');
    console.log(`[figure] agent socket back ${Math.round(performance.now() - removedAt)} ms after rm (the test polls every 100 ms)`);
    const r = await hookCall(t, rec.id, 'PreTool', 'gate', { sessionId: 'h', cwd: t.work, callId: 'after_rm', tool: 'shell', input: { command: 'echo back' } });
    expect(r, r.stderr).toMatchObject({ code: 0 });
    const evs = await t.omni(['events', 'sock', '--json']);
    expect(String(evs.stdout)).toContain('after_rm');
    expect(pidAlive(pid)).toBe(true);
    expect(fs.readFileSync(daemonLog(t), 'utf8')).toContain(`socket ${sock} was deleted; listening there again`);
  });
});
