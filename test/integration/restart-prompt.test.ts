import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { parseEvents } from '../helpers/events.js';
import { makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { api, createScripted, getSession, pane, startScriptedDaemon, untilPrompt, untilStatus, waitFor } from '../helpers/scripted.js';

/**
 * A daemon killed -9 while a session starts: its first prompt (kept in the record as
 * `pendingPrompt`) is typed by the next daemon exactly once, and a start signal that went to the
 * dead daemon is made up for by the pane's input box. The scripted harness is held
 * (SCRIPTED_HOLD) so the kill lands before its start, every time.
 */
describe('a daemon restart while a session starts', () => {
  let t: TestEnv;
  let daemonPid: number;
  beforeAll(async () => {
    t = makeTestEnv();
    daemonPid = await startScriptedDaemon(t);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const events = async (ref: string): Promise<OmniEvent[]> => {
    const r = await t.omni(['events', ref, '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    return parseEvents(r.stdout);
  };
  const userMessages = (evs: OmniEvent[]) => evs.filter((e) => e.type === 'message.user').map((e) => e.data);
  const holdFile = (name: string) => path.join(t.omniHome, `hold-${name}`);
  const held = (name: string, prompt?: string) => createScripted(t, { name, ...(prompt ? { prompt } : {}), env: { ...t.env, SCRIPTED_HOLD: holdFile(name) } });
  const release = (name: string) => fs.writeFileSync(holdFile(name), '');
  const kill = async () => {
    process.kill(daemonPid, 'SIGKILL');
    await until(async () => api(t, 'GET', '/v1/daemon').then(() => false, () => true), 5_000, 'the daemon to be gone');
  };
  const restart = async () => {
    const pid = await startScriptedDaemon(t);
    expect(pid).not.toBe(daemonPid);
    daemonPid = pid;
  };

  it('types a first prompt the killed daemon never typed, once, and forgets it', async () => {
    const rec = await held('p', 'first task');
    expect(rec).toMatchObject({ status: 'starting', pendingPrompt: 'first task' });
    await kill();
    await restart();
    release('p'); // its start hook reaches the new daemon
    await until(async () => userMessages(await events('p')).length > 0, 10_000, 'the prompt to be typed');
    await waitFor(t, 'p', 'idle');
    await untilPrompt(t, rec);
    expect(await pane(t, rec)).toMatch(/scripted> first task\n+echo: first task\n+scripted>$/);
    expect(userMessages(await events('p'))).toEqual([{ text: 'first task' }]);
    const after = await getSession(t, 'p');
    expect(after.pendingPrompt).toBeUndefined();
    // And it stays forgotten: in the record on disk, so no later daemon types it again.
    const onDisk = JSON.parse(fs.readFileSync(path.join(t.omniHome, 'state', 'sessions', rec.id, 'session.json'), 'utf8')) as SessionRecord;
    expect(onDisk.pendingPrompt).toBeUndefined();
  });

  it('does not type it again when the log shows the harness took it before the kill', async () => {
    const rec = await createScripted(t, { name: 'q', prompt: 'only once' });
    await until(async () => userMessages(await events('q')).length > 0, 10_000, 'the prompt to be typed');
    await waitFor(t, 'q', 'idle');
    await untilPrompt(t, rec);
    expect((await getSession(t, 'q')).pendingPrompt).toBeUndefined();
    await kill();
    // What a daemon killed between the harness taking the prompt and noting it leaves on disk:
    // the message.user in the log, the prompt still in the record (the index and its copy).
    const dir = path.join(t.omniHome, 'state');
    const indexFile = path.join(dir, 'sessions.json');
    const index = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as { sessions: SessionRecord[] };
    const entry = index.sessions.find((s) => s.id === rec.id);
    if (!entry) throw new Error('no index entry');
    entry.pendingPrompt = 'only once';
    fs.writeFileSync(indexFile, JSON.stringify(index, null, 2) + '\n');
    fs.writeFileSync(path.join(dir, 'sessions', rec.id, 'session.json'), JSON.stringify(entry, null, 2) + '\n');
    await restart();

    // Gone from the record either way (typed again and taken, or recognised as taken): then count.
    await until(async () => (await getSession(t, 'q')).pendingPrompt === undefined, 10_000, 'the pending prompt to be settled');
    await waitFor(t, 'q', 'idle');
    expect(userMessages(await events('q'))).toEqual([{ text: 'only once' }]);
    expect(await pane(t, rec)).not.toMatch(/only once[\s\S]*only once[\s\S]*only once/); // typed line + echo, no second turn
  });

  it("counts an adopted starting session's input box as ready when its start hook went to the dead daemon", async () => {
    const rec = await held('s');
    await kill();
    release('s'); // SessionStart finds no daemon: an observe hook gives up, the harness draws its prompt
    await untilPrompt(t, rec);
    await restart();
    const idle = await untilStatus(t, 's', 'idle', 10_000);
    expect(idle).toMatchObject({ statusSource: 'pane', statusReason: expect.stringContaining('signalled while the daemon was down') });
    // A hook speaking afterwards wins again: a turn runs and ends on the Stop hook.
    const sent = await api<{ verified: boolean }>(t, 'POST', '/v1/sessions/s/input', { text: 'hello' });
    expect(sent).toMatchObject({ status: 200, body: { verified: true } });
    const after = await waitFor(t, 's', 'idle');
    expect(after.statusSource).toBe('hook');
    expect(userMessages(await events('s'))).toEqual([{ text: 'hello' }]);
  });
});
