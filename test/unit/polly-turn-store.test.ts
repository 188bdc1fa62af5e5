import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEvent, OmniEvent, SessionStatus } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { EventBus } from '../../src/daemon/bus.js';
import { newRunId, PollyStore, publicRun, type StoredRun } from '../../src/daemon/polly-store.js';
import { turnEnd } from '../../src/daemon/polly-turn.js';
import { Turns } from '../../src/daemon/turns.js';

/** A session's log on disk and on the bus, as SessionLog keeps it: append, then publish. */
function world(dir: string) {
  const bus = new EventBus();
  const rec = { id: 's_one', name: 'one', status: 'idle' as SessionStatus, lastSeq: 0 } as SessionRecord;
  const file = path.join(dir, 'events.ndjson');
  fs.writeFileSync(file, '');
  const emit = (ev: NewEvent, publish = true) => {
    const full = { seq: ++rec.lastSeq, ts: new Date().toISOString(), session: rec.id, ...ev } as OmniEvent;
    if (ev.type === 'session.status') rec.status = ev.data.status;
    if (ev.type === 'session.exited') rec.status = 'exited';
    fs.appendFileSync(file, JSON.stringify(full) + '\n');
    if (publish) bus.publish(full);
  };
  const store = { get: (id: string) => (id === rec.id ? rec : undefined), eventsFile: () => file };
  const turns = new Turns({ bus, store, sessions: { send: async () => ({ accepted: true, verified: true, queued: false }) }, lastSeq: () => rec.lastSeq });
  const wait = (from: number, signal = new AbortController().signal) => turnEnd({ bus, store, textBetween: (id, f, t) => turns.textBetween(id, f, t) }, rec.id, from, signal);
  return { rec, emit, wait };
}

const status = (s: SessionStatus): NewEvent => ({ type: 'session.status', data: { status: s, source: 'hook' } });
const said = (text: string): NewEvent => ({ type: 'message.assistant', data: { text } });
const user = (text: string): NewEvent => ({ type: 'message.user', data: { text } });

describe('polly-turn: the end of a turn, from the log and then the bus', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-pturn-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a turn that ended while nobody listened (a restart) is found in the log', async () => {
    const w = world(dir);
    w.emit(status('idle'), false); // the harness's start: not a turn
    w.emit(user('review this'), false);
    w.emit(said('```json\n{"verdict":"approve","findings":[]}\n```'), false);
    w.emit(status('idle'), false);
    w.emit(said('later'), false);
    const end = await w.wait(0);
    expect(end).toEqual({ text: '```json\n{"verdict":"approve","findings":[]}\n```', status: 'idle', from: 2, to: 4 });
  });

  it('a turn that started in the log and ends on the bus', async () => {
    const w = world(dir);
    w.emit(user('go'), false);
    w.emit(said('working'), false);
    const p = w.wait(0);
    await new Promise((r) => setTimeout(r, 20));
    w.emit(said('done'));
    w.emit(status('idle'));
    expect(await p).toMatchObject({ text: 'working\n\ndone', status: 'idle', from: 1, to: 4 });
  });

  it('only a turn after `from`; the start-up idle does not end it; an ended session answers at once', async () => {
    const w = world(dir);
    w.emit(user('old'));
    w.emit(status('idle'));
    const p = w.wait(w.rec.lastSeq);
    w.emit(status('idle'));
    w.emit(user('new'));
    w.emit(said('new answer'));
    w.emit({ type: 'session.exited', data: { code: 0 } });
    expect(await p).toMatchObject({ text: 'new answer', status: 'exited', from: 4 });
    expect(await w.wait(w.rec.lastSeq)).toMatchObject({ status: 'exited', text: '' });
  });

  it('an abort rejects with cancelled', async () => {
    const w = world(dir);
    const ctl = new AbortController();
    const p = w.wait(0, ctl.signal);
    ctl.abort();
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
  });
});

describe('polly-store', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-pstore-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (id: string, createdAt: string): StoredRun => ({
    id,
    goal: 'g',
    createdAt,
    cwd: '/w',
    repo: '/w',
    base: 'main',
    lead: { session: 's_l', name: 'polly-1', harness: 'claude' },
    workers: ['claude'],
    reviewers: ['codex'],
    parallel: 2,
    maxRounds: 2,
    status: 'running',
    leadWait: { session: 's_l', from: 3 },
    routed: 1,
    tasks: [{ id: 't1', title: 't', brief: 'b', status: 'working', after: [], harness: 'claude', round: 0, reviews: [], wait: { session: 's_w', from: 0, prompt: 'x', sent: true } }],
  });

  it('ids are p_ and 8 base36', () => {
    for (let i = 0; i < 50; i++) expect(newRunId()).toMatch(/^p_[a-z0-9]{8}$/);
  });

  it('saves run.json (0600, folder 0700) and env.json, lists oldest first, skips a torn file', () => {
    const s = new PollyStore(path.join(dir, 'polly'));
    s.save(run('p_bbbbbbbb', '2026-01-02T00:00:00Z'));
    s.save(run('p_aaaaaaaa', '2026-01-01T00:00:00Z'));
    s.saveEnv('p_aaaaaaaa', { KEY: 'v' });
    fs.mkdirSync(path.join(dir, 'polly', 'p_cccccccc'));
    fs.writeFileSync(path.join(dir, 'polly', 'p_cccccccc', 'run.json'), '{"id": "p_cc');
    expect(s.all().map((r) => r.id)).toEqual(['p_aaaaaaaa', 'p_bbbbbbbb']);
    expect(fs.statSync(s.dir('p_aaaaaaaa')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(s.dir('p_aaaaaaaa'), 'run.json')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(s.dir('p_aaaaaaaa'), 'env.json')).mode & 0o777).toBe(0o600);
    expect(s.env('p_aaaaaaaa')).toEqual({ KEY: 'v' });
    expect(s.load('p_bbbbbbbb')!.tasks![0]!.wait).toEqual({ session: 's_w', from: 0, prompt: 'x', sent: true });
    expect(fs.readdirSync(s.dir('p_aaaaaaaa')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('publicRun leaves the bookkeeping out', () => {
    const p = publicRun(run('p_aaaaaaaa', 'x'));
    expect(p).not.toHaveProperty('leadWait');
    expect(p).not.toHaveProperty('routed');
    expect(p.tasks![0]).not.toHaveProperty('wait');
    expect(p.tasks![0]).toMatchObject({ id: 't1', status: 'working' });
  });
});
