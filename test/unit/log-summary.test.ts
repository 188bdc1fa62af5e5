import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEvent, UsageData } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { aggregateCost, COST_GROUPINGS } from '../../src/cost/aggregate.js';
import { costReport } from '../../src/cost/report.js';
import { EventBus } from '../../src/daemon/bus.js';
import { readEvents } from '../../src/daemon/eventlog.js';
import { SessionLog } from '../../src/daemon/session-log.js';
import { SessionStore } from '../../src/daemon/store.js';

const usage = (over: Partial<UsageData> = {}): UsageData => ({ model: 'm1', inputTokens: 1000, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0, source: 'test', computedCostUsd: 0.01, ...over });

describe('session summaries (summary.json beside the log)', () => {
  let dir: string;
  let store: SessionStore;
  let logs: SessionLog[];
  let messages: string[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-summary-'));
    store = new SessionStore(path.join(dir, 'state', 'sessions.json'), path.join(dir, 'state', 'sessions'));
    store.load();
    logs = [];
    messages = [];
  });
  afterEach(() => {
    for (const l of logs) l.closeAll();
    store.flush();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A daemon's session log (a new one is a restart: nothing in memory). */
  const daemon = () => {
    const l = new SessionLog({ store, bus: new EventBus(), log: (m) => messages.push(m) });
    logs.push(l);
    return l;
  };
  const session = (id: string, status: SessionRecord['status'] = 'idle'): SessionRecord => {
    const now = new Date().toISOString();
    const rec: SessionRecord = { id, name: `n-${id}`, harness: 'pi', cwd: dir, status, createdAt: now, updatedAt: now, tmuxSession: id, command: [], lastSeq: 0 };
    store.put(rec);
    return rec;
  };
  const file = (rec: SessionRecord) => store.eventsFile(rec.id);
  const summaryFile = (rec: SessionRecord) => path.join(store.sessionDir(rec.id), 'summary.json');
  /** What the log itself says (every event read and totalled), to compare with. */
  const fromLog = (rec: SessionRecord) => aggregateCost([{ session: rec, events: readEvents(file(rec)) }], 'model');
  const fromSummary = (l: SessionLog, rec: SessionRecord) => costReport({ sessions: [rec], buckets: (r) => l.summaries.buckets(r) }, { session: rec });
  /** A fresh record as the index holds it (the in-memory one of the first daemon is gone). */
  const reload = (rec: SessionRecord): SessionRecord => ({ ...rec, cost: undefined, lastSeq: 0 });

  /** Ten usage events and some noise, written and summarised by one daemon that then stops. */
  const history = (rec: SessionRecord) => {
    const l = daemon();
    for (let i = 0; i < 10; i++) {
      l.emit(rec, { type: 'message.user', data: { text: `prompt ${i} ✓ ünïcödé` } });
      l.emit(rec, { type: 'usage', data: usage() });
    }
    l.closeAll();
    return l;
  };

  it('a restart reads only the log past the summary: bytes before its offset are not read', () => {
    const rec = session('s_tail0001');
    history(rec);
    const s = JSON.parse(fs.readFileSync(summaryFile(rec), 'utf8')) as { log: { offset: number; lastSeq: number } };
    expect(s.log).toMatchObject({ offset: fs.statSync(file(rec)).size, lastSeq: 20 });
    // Corrupt a usage line before the offset without changing its length: were it read, the
    // tokens would change (and the line would no longer parse).
    const text = fs.readFileSync(file(rec), 'utf8');
    const at = text.indexOf('"inputTokens":1000');
    fs.writeFileSync(file(rec), text.slice(0, at) + '"inputTokens":9999' + text.slice(at + 18));
    // Appended after the summary was written (the daemon died before the next write).
    fs.appendFileSync(file(rec), JSON.stringify({ seq: 21, ts: new Date().toISOString(), session: rec.id, type: 'usage', data: usage({ inputTokens: 5 }) }) + '\n');

    const r = reload(rec);
    daemon().load(r);
    expect(r.lastSeq).toBe(21);
    expect(r.cost).toMatchObject({ messages: 11, inputTokens: 10_005, computedUsd: 0.11 });
    expect(messages.filter((m) => m.includes('summary'))).toEqual([]);
  });

  it('a torn (truncated) summary is rebuilt from the whole log, and says so', () => {
    const rec = session('s_torn0001');
    history(rec);
    const text = fs.readFileSync(summaryFile(rec), 'utf8');
    fs.writeFileSync(summaryFile(rec), text.slice(0, text.length / 2));
    const r = reload(rec);
    const l = daemon();
    l.load(r);
    expect(r.cost).toMatchObject({ messages: 10, inputTokens: 10_000, computedUsd: 0.1 });
    expect(r.lastSeq).toBe(20);
    expect(fromSummary(l, r).total).toEqual(fromLog(r).total);
    expect(messages).toEqual([expect.stringMatching(/s_torn0001: summary torn \(not JSON\); rebuilt it from the event log \(\d+ bytes\)/)]);
  });

  it('a summary whose offset is not a line end (stale, or from another log) is rebuilt', () => {
    const rec = session('s_stale001');
    history(rec);
    const s = JSON.parse(fs.readFileSync(summaryFile(rec), 'utf8')) as { log: { offset: number } };
    s.log.offset -= 7;
    fs.writeFileSync(summaryFile(rec), JSON.stringify(s));
    const r = reload(rec);
    daemon().load(r);
    expect(r.cost).toMatchObject({ messages: 10, inputTokens: 10_000 });
    expect(messages.join('\n')).toMatch(/s_stale001: summary (no line ends at|the line at \d+ is not seq)/);
  });

  it('a summary ahead of a log that was cut short is rebuilt from what the log still says', () => {
    const rec = session('s_ahead001');
    history(rec);
    const lines = fs.readFileSync(file(rec), 'utf8').split('\n').filter(Boolean);
    fs.writeFileSync(file(rec), lines.slice(0, 12).join('\n') + '\n'); // 6 usage events left
    const r = reload(rec);
    const l = daemon();
    l.load(r);
    expect(r.cost).toMatchObject({ messages: 6, inputTokens: 6000 });
    expect(r.lastSeq).toBe(12);
    expect(fromSummary(l, r).total).toEqual(fromLog(r).total);
    expect(messages.join('\n')).toMatch(/s_ahead001: summary the log \(\d+ bytes\) is shorter than the summary's offset/);
    // The next append continues the log's own numbering.
    l.emit(r, { type: 'usage', data: usage() });
    expect(readEvents(file(r)).at(-1)?.seq).toBe(13);
  });

  it('a log replaced under the same name (another inode) is not matched to the old summary', () => {
    const rec = session('s_inode001');
    history(rec);
    const text = fs.readFileSync(file(rec), 'utf8');
    // A copy renamed over it: written while the old file still exists, so another inode.
    fs.writeFileSync(file(rec) + '.new', text);
    fs.renameSync(file(rec) + '.new', file(rec));
    const r = reload(rec);
    daemon().load(r);
    expect(r.cost).toMatchObject({ messages: 10 });
    expect(messages.join('\n')).toMatch(/another inode/);
  });

  it('a live session\'s summary is written in the background while it runs, covering the whole log', async () => {
    const rec = session('s_bgflush1');
    const l = new SessionLog({ store, bus: new EventBus(), log: (m) => messages.push(m), summaryFlushMs: 20 });
    logs.push(l);
    for (let i = 0; i < 5; i++) l.emit(rec, { type: 'usage', data: usage() });
    // No close, no shutdown: only the timer's flush can write it.
    const deadline = Date.now() + 5000;
    while (!fs.existsSync(summaryFile(rec)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const s = JSON.parse(fs.readFileSync(summaryFile(rec), 'utf8')) as { log: { offset: number; lastSeq: number } };
    expect(s.log.offset).toBe(fs.statSync(file(rec)).size);
    expect(s.log.lastSeq).toBe(5);
    expect(fs.readdirSync(store.sessionDir(rec.id)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a summary that cannot be written does not fail the append (the log stays complete)', () => {
    const rec = session('s_nospc001');
    fs.mkdirSync(summaryFile(rec), { recursive: true }); // a directory where the file goes: every write fails
    const l = daemon();
    for (let i = 0; i < 3; i++) l.emit(rec, { type: 'usage', data: usage() });
    l.closeAll();
    expect(readEvents(file(rec))).toHaveLength(3);
    expect(rec.cost).toMatchObject({ messages: 3 });
    expect(messages.filter((m) => m.includes('cannot write its summary'))).toHaveLength(1);
    fs.rmSync(summaryFile(rec), { recursive: true });
    const r = reload(rec);
    daemon().load(r);
    expect(r.cost).toMatchObject({ messages: 3 });
  });

  it('start-up loads ended sessions without opening their logs; a late event of one reopens it only for a moment', async () => {
    const rec = session('s_ended001', 'exited');
    history(rec);
    const l = daemon();
    const r = reload(rec);
    l.load(r);
    expect(l.openCount).toBe(0);
    expect(r.cost?.messages).toBe(10);
    l.emit(r, { type: 'usage', data: usage() });
    expect(r.cost?.messages).toBe(11);
    await new Promise((res) => setImmediate(res));
    expect(l.openCount).toBe(0);
    // Closing wrote its summary: the next start reads nothing.
    const again = reload(rec);
    daemon().load(again);
    expect(again.cost?.messages).toBe(11);
  });

  it('the report from summaries equals the report from the events, whatever the events and restarts (fast-check)', () => {
    const ev = fc.oneof(
      fc.record({
        type: fc.constant('usage' as const),
        model: fc.constantFrom('m1', 'm2', 'm3'),
        provider: fc.constantFrom(undefined, 'p1'),
        inputTokens: fc.nat(100_000),
        outputTokens: fc.nat(10_000),
        cacheReadTokens: fc.nat(1000),
        micro: fc.option(fc.nat(1_000_000), { nil: undefined }),
        reported: fc.option(fc.nat(1000), { nil: undefined }),
      }),
      fc.record({ type: fc.constant('cost.reported' as const), total: fc.nat(5000), hs: fc.constantFrom('h1', 'h2'), model: fc.constantFrom(undefined, 'm1') }),
      fc.record({ type: fc.constant('message.user' as const), text: fc.string() }),
      fc.record({ type: fc.constant('restart' as const) }),
    );
    let n = 0;
    fc.assert(
      fc.property(fc.array(ev, { maxLength: 60 }), fc.array(fc.nat(3 * 86_400_000), { minLength: 60, maxLength: 60 }), (evs, times) => {
        const rec = session(`s_prop${String(n++).padStart(4, '0')}`);
        let now = Date.parse('2026-03-01T22:00:00Z');
        let l = new SessionLog({ store, bus: new EventBus(), now: () => new Date(now), log: (m) => messages.push(m) });
        evs.forEach((e, i) => {
          now += times[i]! % 7_200_000;
          if (e.type === 'restart') {
            l.closeAll();
            l = new SessionLog({ store, bus: new EventBus(), now: () => new Date(now) });
            rec.cost = undefined;
            l.load(rec);
            return;
          }
          const ne: NewEvent =
            e.type === 'usage'
              ? {
                  type: 'usage',
                  data: {
                    model: e.model,
                    ...(e.provider ? { provider: e.provider } : {}),
                    inputTokens: e.inputTokens,
                    outputTokens: e.outputTokens,
                    cacheReadTokens: e.cacheReadTokens,
                    cacheWriteTokens: 0,
                    source: 'test',
                    ...(e.micro !== undefined ? { computedCostUsd: e.micro / 1e6 } : { unpriced: true }),
                    ...(e.reported !== undefined ? { reportedCostUsd: e.reported / 1e4 } : {}),
                  },
                }
              : e.type === 'cost.reported'
                ? { type: 'cost.reported', data: { totalUsd: e.total / 1e3, source: 'test', harnessSessionId: e.hs, ...(e.model ? { model: e.model } : {}) } }
                : { type: 'message.user', data: { text: e.text } };
          l.emit(rec, ne);
        });
        l.closeAll();
        const fresh = daemon();
        const r = reload(rec);
        fresh.load(r);
        for (const by of COST_GROUPINGS) {
          const a = costReport({ sessions: [r], buckets: (x) => fresh.summaries.buckets(x) }, { by });
          const b = aggregateCost([{ session: r, events: readEvents(file(r)) }], by);
          expect(a).toEqual(b);
        }
        expect(messages.filter((m) => m.includes('summary'))).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});

describe('repricing a summary from its log (off the event loop)', () => {
  it('reads in small async steps, and counts the events appended meanwhile exactly once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-summary-'));
    try {
      const store = new SessionStore(path.join(dir, 'state', 'sessions.json'), path.join(dir, 'state', 'sessions'));
      store.load();
      let fingerprint = 'book-1';
      const l = new SessionLog({ store, bus: new EventBus(), fingerprint: () => fingerprint });
      const now = new Date().toISOString();
      const rec: SessionRecord = { id: 's_async001', name: 'big', harness: 'pi', cwd: dir, status: 'idle', createdAt: now, updatedAt: now, tmuxSession: 'x', command: [], lastSeq: 0 };
      store.put(rec);
      // ~40 MB of log, written directly in the writer's format (fast), then summarised.
      const file = store.eventsFile(rec.id);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const big = 'x'.repeat(2000);
      const lines: string[] = [];
      for (let i = 1; i <= 20_000; i++) {
        const ev = i % 4 === 0 ? { type: 'usage', data: usage() } : { type: 'tool.result', data: { callId: `c${i}`, ok: true, output: big } };
        lines.push(JSON.stringify({ seq: i, ts: now, session: rec.id, ...ev }));
      }
      fs.writeFileSync(file, lines.join('\n') + '\n');
      l.load(rec);
      expect(rec.cost?.messages).toBe(5000);

      fingerprint = 'book-2';
      let maxGap = 0;
      let last = performance.now();
      let appended = 0;
      const tick = setInterval(() => {
        const t = performance.now();
        maxGap = Math.max(maxGap, t - last);
        last = t;
        l.emit(rec, { type: 'usage', data: usage() });
        appended++;
      }, 1);
      const t0 = performance.now();
      await l.rebuildCost(rec);
      clearInterval(tick);
      const took = performance.now() - t0;
      expect(appended).toBeGreaterThan(0);
      expect(rec.cost?.messages).toBe(5000 + appended);
      expect(l.summaries.current(rec)).toBe(true);
      const fromLog = aggregateCost([{ session: rec, events: readEvents(file) }], 'model').total;
      expect(costReport({ sessions: [rec], buckets: (r) => l.summaries.buckets(r) }, { session: rec }).total).toEqual(fromLog);
      // No turn of the loop was held for long (the machine is shared: generous), while the whole rebuild took many turns.
      expect(maxGap).toBeLessThan(100);
      expect(took).toBeGreaterThan(maxGap * 2);
      l.closeAll();
      store.flush();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('omni cost while summaries are rebuilt in the background', () => {
  it('answers at once with the figures it has and a warning, then the full figures without one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-summary-'));
    try {
      const store = new SessionStore(path.join(dir, 'state', 'sessions.json'), path.join(dir, 'state', 'sessions'));
      store.load();
      const now = new Date().toISOString();
      const rec: SessionRecord = { id: 's_bg000001', name: 'bg', harness: 'pi', cwd: dir, status: 'exited', createdAt: now, updatedAt: now, tmuxSession: 'x', command: [], lastSeq: 0 };
      store.put(rec);
      const writer = new SessionLog({ store, bus: new EventBus() });
      for (let i = 0; i < 5; i++) writer.emit(rec, { type: 'usage', data: usage() });
      writer.closeAll();
      fs.rmSync(path.join(store.sessionDir(rec.id), 'summary.json')); // as before summaries existed
      const messages: string[] = [];
      const l = new SessionLog({ store, bus: new EventBus(), log: (m) => messages.push(m) });
      const r = { ...rec, cost: undefined };
      l.load(r); // an ended session: rebuilt in the background
      const report = () => costReport({ sessions: [r], buckets: (x) => l.summaries.buckets(x), repricing: () => l.summaries.repricing }, { by: 'session' });
      expect(report().warnings).toEqual([expect.stringMatching(/^1 session is being totalled again from its log/)]);
      await l.summaries.settled();
      expect(report().warnings).toEqual([]);
      expect(report().total.messages).toBe(5);
      expect(r.cost?.messages).toBe(5);
      expect(messages).toEqual([expect.stringMatching(/s_bg000001: summary missing; rebuilt it from the event log/)]);
      l.closeAll();
      store.flush();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('IngestKeys after its session closed', () => {
  it('a last ingestion pass still holding the keys appends by name, never through a closed (maybe reused) fd', async () => {
    const { IngestKeys } = await import('../../src/daemon/ingest-keys.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-keys-'));
    try {
      const file = path.join(dir, 'ingested.keys');
      const keys = IngestKeys.open(file);
      keys.add('a');
      keys.close();
      const other = fs.openSync(path.join(dir, 'other'), 'w'); // may get the closed fd's number
      keys.add('b');
      fs.closeSync(other);
      expect(fs.readFileSync(file, 'utf8')).toBe('a\nb\n');
      expect(fs.readFileSync(path.join(dir, 'other'), 'utf8')).toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
