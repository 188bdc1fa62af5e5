import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestEnv, type TestEnv } from '../helpers/omni.js';
import { createScripted, getSession, startScriptedDaemon, untilStatus, waitFor } from '../helpers/scripted.js';

/**
 * Supervision without a timer (src/daemon/supervise-loop.ts): the daemon's safety poll is set to
 * ten minutes here, so what these tests see comes from omni's tmux hooks (pane-died,
 * session-closed → `wait-for -S`) and from the daemon's `tmux wait-for` client ending with the
 * server. The bound (5 s, for a busy machine) is far below the poll and far above a hook's latency.
 */
describe('supervision by tmux hooks, not a poll', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = makeTestEnv({ OMNI_SAFETY_POLL_MS: '600000' });
    await startScriptedDaemon(t);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const panePid = async (name: string) => {
    const rec = await getSession(t, name);
    const r = await t.tmux(['display-message', '-p', '-t', rec.paneId ?? `=${rec.tmuxSession}:`, '#{pane_pid}']);
    return Number(String(r.stdout).trim());
  };

  it('notices a pane whose process was killed, at once', async () => {
    await createScripted(t, { name: 'k' });
    await waitFor(t, 'k', 'idle');
    const pid = await panePid('k');
    expect(pid).toBeGreaterThan(0);
    const t0 = Date.now();
    process.kill(pid, 'SIGKILL');
    const ended = await untilStatus(t, 'k', 'exited', 5000);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(ended.exitCode ?? null).toBeNull(); // killed by a signal: no exit status
  });

  it('notices a session killed from tmux itself (session-closed)', async () => {
    const rec = await createScripted(t, { name: 'c' });
    await waitFor(t, 'c', 'idle');
    expect((await t.tmux(['kill-session', '-t', `=${rec.tmuxSession}`])).exitCode).toBe(0);
    expect(await untilStatus(t, 'c', 'exited', 5000)).toMatchObject({ statusReason: 'the tmux session is gone' });
  });

  it('notices the private tmux server being killed (no hook fires), and serves new sessions after', async () => {
    await createScripted(t, { name: 's1' });
    await createScripted(t, { name: 's2' });
    await waitFor(t, 's1', 'idle');
    await waitFor(t, 's2', 'idle');
    const server = Number(String((await t.tmux(['display-message', '-p', '#{pid}'])).stdout).trim());
    expect(server).toBeGreaterThan(0);
    process.kill(server, 'SIGKILL');
    for (const name of ['s1', 's2']) expect(await untilStatus(t, name, 'exited', 5000)).toMatchObject({ statusReason: "omni's tmux server was killed (or crashed), and the session with it" });
    // A new server (started by the next session) is waited on again: its pane's death is seen.
    await createScripted(t, { name: 'n' });
    await waitFor(t, 'n', 'idle');
    process.kill(await panePid('n'), 'SIGKILL');
    await untilStatus(t, 'n', 'exited', 5000);
  });
});
