import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestEnv, OMNI_JS, ROOT, until, type TestEnv } from '../helpers/omni.js';

const HOOK = path.join(ROOT, 'bin', 'omni-hook');

/** Pids of `omni daemon run` processes serving this OMNI_HOME (their environment says so). */
function daemonPids(omniHome: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (!(cmd.includes('daemon') && cmd.includes('run') && cmd.some((a) => a.endsWith('omni.js')))) continue;
      if (fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(`OMNI_HOME=${omniHome}`)) out.push(Number(d));
    } catch {
      /* gone, or not ours */
    }
  }
  return out;
}

/**
 * After a crash, hooks and people start daemons at once: exactly one binds and re-adopts (under
 * run/daemon.lock), the others exit 0. The "harness" is a `sleep` in tmux, named claude.
 */
describe('daemon start race', () => {
  let t: TestEnv;
  beforeEach(() => {
    t = makeTestEnv();
    const bin = path.join(t.dir, 'fakebin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'claude'), '#!/bin/sh\nexec sleep 3600\n', { mode: 0o755 });
    t.env.PATH = `${bin}:${t.env.PATH}`;
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('kill -9 with a live session, then 10 gate hooks and 5 `omni daemon start` at once: one daemon, one adoption, no event twice', async () => {
    const rec = await t.omniJson<{ id: string }>(['claude', '--detach', '--name', 'race']);
    const sock = path.join(t.omniHome, 'run', 'agent', rec.id, 'hook.sock');
    const eventsFile = path.join(t.omniHome, 'state', 'sessions', rec.id, 'events.ndjson');
    const [first] = daemonPids(t.omniHome);
    expect(first).toBeGreaterThan(0);
    process.kill(first!, 'SIGKILL');
    await until(() => daemonPids(t.omniHome).length === 0, 5000, 'the daemon to die');
    // What a crash leaves: both sockets, with nobody behind them.
    expect(fs.statSync(sock).isSocket()).toBe(true);
    expect(fs.statSync(path.join(t.omniHome, 'run', 'omni.sock')).isSocket()).toBe(true);

    const hooks = Array.from({ length: 10 }, (_, i) =>
      execa('sh', [HOOK, sock, 'PreToolUse', 'gate', process.execPath, OMNI_JS], {
        input: JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_use_id: `toolu_race_${i}`, tool_input: { command: `echo ${i}` }, cwd: t.work }),
        env: t.env,
        extendEnv: false,
        reject: false,
        timeout: 90_000,
      }),
    );
    const starts = Array.from({ length: 5 }, () => t.omni(['daemon', 'start', '--quiet'], { timeoutMs: 90_000 }));
    const [hookResults, startResults] = await Promise.all([Promise.all(hooks), Promise.all(starts)]);

    for (const r of startResults) expect(r.exitCode, String(r.stderr)).toBe(0);
    // No policy is loaded: every gate hook is let through (exit 0), none blocked for want of a daemon.
    for (const r of hookResults) expect({ code: r.exitCode, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });

    // The losers exit on their own once they see the winner.
    const pids = await until(
      () => {
        const p = daemonPids(t.omniHome);
        return p.length === 1 && p;
      },
      20_000,
      'exactly one daemon',
    );
    expect(Number(fs.readFileSync(path.join(t.omniHome, 'run', 'omnid.pid'), 'utf8'))).toBe(pids[0]);
    const log = fs.readFileSync(path.join(t.omniHome, 'log', 'omnid.log'), 'utf8');
    expect(log.match(/\] started \(pid/g)).toHaveLength(2); // the first daemon, and one after the crash

    const events = fs
      .readFileSync(eventsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; type: string; data: { callId?: string } });
    for (let i = 1; i < events.length; i++) expect(events[i]!.seq, `seq after ${events[i - 1]!.seq}`).toBeGreaterThan(events[i - 1]!.seq);
    expect(events.filter((e) => e.type === 'session.adopted')).toHaveLength(1);
    const calls = events.filter((e) => e.type === 'tool.call').map((e) => e.data.callId);
    expect(calls.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `toolu_race_${i}`).sort());

    // The daemon serves, and the lock is not left behind.
    const ls = await t.omniJson<Array<{ id: string; status: string }>>(['ls']);
    expect(ls.map((s) => s.id)).toEqual([rec.id]);
    expect(fs.existsSync(path.join(t.omniHome, 'run', 'daemon.lock'))).toBe(false);
  }, 180_000);

  it('a start lock left by a daemon killed while starting goes stale and is taken over', async () => {
    const runDir = path.join(t.omniHome, 'run');
    fs.mkdirSync(runDir, { recursive: true, mode: 0o700 });
    // What a holder killed with -9 leaves: the lock directory, no longer refreshed.
    fs.mkdirSync(path.join(runDir, 'daemon.lock'));
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(runDir, 'daemon.lock'), old, old);
    const r = await t.omni(['ls', '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(daemonPids(t.omniHome)).toHaveLength(1);
  }, 60_000);
});
