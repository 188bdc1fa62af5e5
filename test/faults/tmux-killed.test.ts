import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { parseEvents } from '../helpers/events.js';
import { makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { createScripted, getSession, sendText, startScriptedDaemon, untilStatus, waitFor } from '../helpers/scripted.js';
import { pidAlive } from './fault-kit.js';

/**
 * `tmux kill-server` on omni's private server while sessions run (one busy, one idle): both are
 * marked exited saying the server went, nothing hangs, their logs are kept, and a new session
 * starts a fresh server.
 */
describe("omni's tmux server killed", () => {
  let t: TestEnv;
  let daemonPid: number;
  beforeAll(async () => {
    t = makeTestEnv();
    daemonPid = await startScriptedDaemon(t);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('marks every session exited with the reason, and a new session works afterwards', async () => {
    await createScripted(t, { name: 'busy' });
    await createScripted(t, { name: 'calm' });
    await waitFor(t, 'busy', 'idle');
    await waitFor(t, 'calm', 'idle');
    await sendText(t, 'busy', 'sleep: 60');
    await untilStatus(t, 'busy', 'running');
    const before = parseEvents((await t.omni(['events', 'busy', '--json'])).stdout);

    const killedAt = Date.now();
    const k = await t.tmux(['kill-server']);
    expect(k.exitCode, String(k.stderr)).toBe(0);
    const ended: SessionRecord[] = [];
    for (const name of ['busy', 'calm']) ended.push(await untilStatus(t, name, 'exited', 15_000));
    const noticedMs = Date.now() - killedAt;
    for (const s of ended) expect(s.statusReason).toMatch(/tmux server was killed/);

    const after = parseEvents((await t.omni(['events', 'busy', '--json'])).stdout);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.at(-1)).toMatchObject({ type: 'session.exited', data: { reason: expect.stringMatching(/tmux server was killed/) } });

    // No hang: reads answer at once, and a new session brings up a new server.
    const ls = await t.omni(['ls', '--json', '--all']);
    expect(ls.exitCode, String(ls.stderr)).toBe(0);
    const fresh = await createScripted(t, { name: 'fresh' });
    await waitFor(t, 'fresh', 'idle');
    await sendText(t, 'fresh', 'still here');
    await waitFor(t, 'fresh', 'idle');
    expect((await getSession(t, 'fresh')).status).toBe('idle');
    expect(pidAlive(daemonPid)).toBe(true);
    await until(() => !fs.existsSync(path.join(t.omniHome, 'run', 'agent', ended[0]!.id)), 5_000, 'the exited session to let go of its socket');
    console.log(`[figure] tmux kill-server noticed for 2 sessions after ${noticedMs} ms`);
  });
});
