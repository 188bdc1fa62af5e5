import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEvent, OmniEvent, SessionStatus } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { EventBus } from '../../src/daemon/bus.js';
import type { SendResult } from '../../src/daemon/pane-io.js';
import { Turns } from '../../src/daemon/turns.js';

/** A session's log on disk and on the bus, as SessionLog keeps it: append, then publish. */
function world(dir: string) {
  const bus = new EventBus();
  const rec = { id: 's_one', name: 'one', status: 'idle' as SessionStatus, lastSeq: 0 } as SessionRecord;
  const file = path.join(dir, 'events.ndjson');
  fs.writeFileSync(file, '');
  const emit = (ev: NewEvent) => {
    const full = { seq: ++rec.lastSeq, ts: new Date().toISOString(), session: rec.id, ...ev } as OmniEvent;
    if (ev.type === 'session.status') rec.status = ev.data.status;
    if (ev.type === 'session.exited') rec.status = 'exited';
    fs.appendFileSync(file, JSON.stringify(full) + '\n');
    bus.publish(full);
  };
  const sent: string[] = [];
  let reply: (text: string) => SendResult = () => ({ accepted: true, verified: true, queued: false });
  const turns = new Turns({
    bus,
    store: { get: (id) => (id === rec.id ? rec : undefined), eventsFile: () => file },
    sessions: { send: async (_r, text) => (sent.push(text), reply(text)) },
    lastSeq: () => rec.lastSeq,
  });
  return { rec, emit, sent, turns, setReply: (f: typeof reply) => (reply = f) };
}

const status = (s: SessionStatus, previous?: SessionStatus): NewEvent => ({ type: 'session.status', data: { status: s, ...(previous ? { previous } : {}), source: 'hook' } });
const said = (text: string): NewEvent => ({ type: 'message.assistant', data: { text } });

describe('Turns', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-turns-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ask: the text of the turn the prompt started, not of the turn before it', async () => {
    const w = world(dir);
    w.emit({ type: 'message.user', data: { text: 'earlier' } });
    w.emit(said('an earlier answer'));
    w.emit(status('idle', 'running'));
    const answer = w.turns.ask(w.rec, 'what is 2+2?', { timeoutMs: 5_000 });
    await new Promise((r) => setTimeout(r, 10));
    expect(w.sent).toEqual(['what is 2+2?']);
    w.emit({ type: 'message.user', data: { text: 'what is 2+2?' } });
    w.emit(status('running', 'idle'));
    w.emit(said('Let me think.'));
    w.emit({ type: 'tool.call', data: { callId: 'c1', tool: 'Bash', kind: 'shell', input: {} } });
    w.emit(said('It is 4.'));
    w.emit(status('idle', 'running'));
    w.emit(said('late, after the turn'));
    const a = await answer;
    expect(a.text).toBe('Let me think.\n\nIt is 4.');
    expect(a.status).toBe('idle');
    expect(a.from).toBe(4);
    expect(a.timedOut).toBeUndefined();
  });

  it('an idle before the prompt is taken does not end the turn', async () => {
    const w = world(dir);
    w.rec.status = 'running';
    const answer = w.turns.ask(w.rec, 'queued question', { timeoutMs: 5_000 });
    await new Promise((r) => setTimeout(r, 10));
    w.emit(said('the previous turn ends'));
    w.emit(status('idle', 'running'));
    w.emit({ type: 'message.user', data: { text: 'queued question' } });
    w.emit(said('the answer'));
    w.emit(status('idle', 'running'));
    expect((await answer).text).toBe('the answer');
  });

  it('waitTurnEnd: a session that ends mid-turn answers with what it said and its status', async () => {
    const w = world(dir);
    const from = w.rec.lastSeq;
    const { done } = w.turns.waitTurnEnd(w.rec.id, from, { timeoutMs: 5_000 });
    w.emit({ type: 'message.user', data: { text: 'go' } });
    w.emit(said('half an answer'));
    w.emit({ type: 'session.exited', data: { code: 1 } });
    const a = await done;
    expect(a.status).toBe('exited');
    expect(a.text).toBe('half an answer');
  });

  it('times out with what was said so far', async () => {
    const w = world(dir);
    const { done } = w.turns.waitTurnEnd(w.rec.id, 0, { timeoutMs: 50 });
    w.emit({ type: 'message.user', data: { text: 'go' } });
    w.emit(said('still going'));
    const a = await done;
    expect(a.timedOut).toBe(true);
    expect(a.text).toBe('still going');
  });

  it('a prompt blocked by policy is an error, and the wait is dropped', async () => {
    const w = world(dir);
    w.setReply(() => ({ accepted: false, verified: false, queued: false, blocked: { policy: 'no_secrets', reason: 'mentions a key' } }));
    await expect(w.turns.ask(w.rec, 'leak it', { timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'prompt_blocked' });
  });

  it('an aborted wait rejects', async () => {
    const w = world(dir);
    const ac = new AbortController();
    const { done } = w.turns.waitTurnEnd(w.rec.id, 0, { timeoutMs: 5_000, signal: ac.signal });
    ac.abort();
    await expect(done).rejects.toMatchObject({ code: 'cancelled' });
  });
});
