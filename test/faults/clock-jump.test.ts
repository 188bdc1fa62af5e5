import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import { parseEvents } from '../helpers/events.js';
import { makeTestEnv, type TestEnv } from '../helpers/omni.js';
import { api, createScripted, sendText, startScriptedDaemon, untilPrompt, untilStatus, waitFor } from '../helpers/scripted.js';
import { pidAlive, seqProblems } from './fault-kit.js';

/**
 * The wall clock stepped back an hour (an NTP correction, a VM resumed) under a running daemon.
 * libfaketime (Debian `faketime`, installed by scripts/setup-test.sh) moves the realtime clock of
 * the daemon, its tmux and everything they start, from a file the test rewrites mid-run; the
 * monotonic clock is left alone, as a real step leaves it. Asserts: seq order holds and nothing
 * is lost, `events --since` (by seq) is not confused by ts going backwards, waits time out
 * after their own length (not an hour late, not at once), and a session's exit is still noticed
 * (the launch-settling check once compared wall-clock times and hid it for the hour).
 */
const LIBFAKETIME = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1', '/usr/lib64/faketime/libfaketime.so.1'].find((f) => fs.existsSync(f));
if (!LIBFAKETIME && process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0') {
  throw new Error('libfaketime is missing and CI is set: run scripts/setup-test.sh (it installs the Debian package faketime)');
}

describe.skipIf(!LIBFAKETIME)('the wall clock jumping back an hour', () => {
  let t: TestEnv;
  let pid: number;
  let clockFile: string;
  beforeAll(async () => {
    const probe = makeTestEnv();
    clockFile = path.join(probe.dir, 'faketime');
    fs.writeFileSync(clockFile, '+0\n');
    t = {
      ...probe,
      // The test's own process keeps the real clock; only omni's side is moved.
      ...makeTestEnvAt(probe, { LD_PRELOAD: LIBFAKETIME!, FAKETIME_TIMESTAMP_FILE: clockFile, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' }),
    };
    pid = await startScriptedDaemon(t);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const events = async (ref: string, since = 0): Promise<OmniEvent[]> => {
    const r = await t.omni(['events', ref, '--json', '--since', String(since)]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    return parseEvents(r.stdout);
  };

  it('keeps seq order, --since, wait timeouts and exit detection across the step', async () => {
    const a = await createScripted(t, { name: 'a' });
    await createScripted(t, { name: 'b' });
    await waitFor(t, 'a', 'idle');
    await waitFor(t, 'b', 'idle');
    await sendText(t, 'a', 'before the step');
    await waitFor(t, 'a', 'idle');
    await untilPrompt(t, a);
    const before = await events('a');
    const lastBefore = before.at(-1)!;

    // A wait in flight when the clock steps: it still ends after its own 4 s.
    const started = performance.now();
    const pending = api<{ error?: { message: string } }>(t, 'GET', '/v1/sessions/a/wait?for=exited&timeout=4');
    await new Promise((r) => setTimeout(r, 500));
    fs.writeFileSync(clockFile, '-1h\n');
    const timedOut = await pending;
    const waitedMs = performance.now() - started;
    expect(timedOut.status).toBe(408);
    expect(timedOut.body.error?.message).toMatch(/timed out after 4s/);
    expect(waitedMs).toBeGreaterThan(3_500);
    expect(waitedMs).toBeLessThan(15_000);

    // Events after the step: ts an hour earlier, seq straight on, nothing lost.
    await sendText(t, 'a', 'after the step');
    await waitFor(t, 'a', 'idle');
    const all = await events('a');
    expect(all.slice(0, before.length)).toEqual(before);
    expect(seqProblems(all)).toBeUndefined();
    const users = all.filter((e) => e.type === 'message.user');
    expect(users.map((e) => (e.data as { text: string }).text)).toEqual(['before the step', 'after the step']);
    const stepped = users[1]!;
    expect(Date.parse(stepped.ts)).toBeLessThan(Date.parse(lastBefore.ts) - 55 * 60_000);
    // --since is by seq: exactly what came after, whatever the ts say.
    const since = await events('a', lastBefore.seq);
    expect(since.map((e) => e.seq)).toEqual(all.filter((e) => e.seq > lastBefore.seq).map((e) => e.seq));
    expect(since.some((e) => e.type === 'message.user')).toBe(true);

    // A harness that exits after the step is noticed in seconds, not after the hour.
    const exitSent = performance.now();
    await sendText(t, 'b', 'exit: 3').catch(() => ({ verified: false }));
    const ended = await untilStatus(t, 'b', 'exited', 15_000);
    expect(ended.exitCode).toBe(3);
    const noticedMs = performance.now() - exitSent;
    expect(pidAlive(pid)).toBe(true);
    console.log(`[figure] after a -1h step: a 4 s wait ended after ${Math.round(waitedMs)} ms; an exit was noticed after ${Math.round(noticedMs)} ms`);
  });
});

/** The same world with extra environment for every omni process (the daemon, the CLI, tmux, hooks). */
function makeTestEnvAt(t: TestEnv, extra: Record<string, string>): Pick<TestEnv, 'env' | 'omni'> {
  const env = { ...t.env, ...extra };
  return {
    env,
    omni: (args, opts = {}) => t.omni(args, { ...opts, env: { ...extra, ...(opts.env ?? {}) } }),
  };
}
