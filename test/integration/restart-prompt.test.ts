import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import type { McpCallReply } from '../../src/mcp/tools.js';
import { parseEvents } from '../helpers/events.js';
import { makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { api, createScripted, getSession, socketJson, pane, startScriptedDaemon, untilPrompt, untilStatus, waitFor } from '../helpers/scripted.js';

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

describe("omni_wait on a child whose spawn prompt a killed daemon never typed", () => {
  let t: TestEnv;
  afterAll(async () => {
    await t?.cleanup();
  });

  it('returns after that prompt\'s turn, not at the harness\'s first idle', async () => {
    t = makeTestEnv();
    const pid = await startScriptedDaemon(t);
    // Children launch with the lead's environment: the lead starts once the file is there, and
    // its child, spawned after the file is removed, waits for it again.
    const hold = path.join(t.omniHome, 'hold');
    fs.writeFileSync(hold, '');
    const grant = { agents: [{ name: 'helper', file: '/specs/lead.yaml', executor: { harness: 'scripted' }, policies: [], worktree: false }], limits: {} };
    const r = await api<{ session: SessionRecord }>(t, 'POST', '/v1/sessions', { harness: 'scripted', cwd: t.work, env: { ...t.env, SCRIPTED_HOLD: hold }, name: 'lead', spawn: grant });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await waitFor(t, 'lead', 'idle');
    fs.rmSync(hold);
    const sock = path.join(t.omniHome, 'run', 'agent', r.body.session.id, 'hook.sock');
    const spawned = await socketJson<McpCallReply>(sock, '/mcp/call', { tool: 'omni_spawn', args: { agent: 'helper', prompt: 'sleep: 1' } });
    expect(spawned.ok, JSON.stringify(spawned)).toBe(true);
    const child = (spawned as { result: { session: string } }).result.session;
    expect(await getSession(t, child)).toMatchObject({ status: 'starting', pendingPrompt: 'sleep: 1' });

    process.kill(pid, 'SIGKILL');
    await until(async () => api(t, 'GET', '/v1/daemon').then(() => false, () => true), 5_000, 'the daemon to be gone');
    await startScriptedDaemon(t);
    const waited = socketJson<McpCallReply>(sock, '/mcp/call', { tool: 'omni_wait', args: { sessions: [child], timeout_s: 30 } });
    await new Promise((res) => setTimeout(res, 200)); // the wait is registered while the child is still held
    fs.writeFileSync(hold, '');
    expect(await waited).toMatchObject({ ok: true, result: { timedOut: false, sessions: [{ status: 'idle' }] } });
    // Its first idle (the harness up) did not end the wait: the prompt's turn had run by then.
    const r2 = await t.omni(['events', child, '--json']);
    const evs = parseEvents(r2.stdout);
    expect(evs.filter((e) => e.type === 'message.user').map((e) => e.data)).toEqual([{ text: 'sleep: 1' }]);
    expect(evs.find((e) => e.type === 'message.assistant')?.data).toEqual({ text: 'slept 1s' });
  });
});

