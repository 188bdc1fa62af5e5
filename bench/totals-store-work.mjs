// The work bench/totals-store.mjs measures, each piece run in a child process of its own (so RSS
// and JIT state are per approach): the generated workload, the stores' append paths, their cold
// start and their cost reports. See bench/README.md, "totals-store.mjs".

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { seededRandom } from './lib.mjs';

// ------------------------------------------------------------------------------- workload
const WORDS = 'the a file test build fix error function return const import export module type value path state summary log event session model token cost daemon hook policy über naïve café — → ✓ 日本 résumé'.split(' ');
function textPool(rand, n, min, max) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const len = min + Math.floor(rand() * (max - min));
    let s = '';
    while (s.length < len) s += WORDS[Math.floor(rand() * WORDS.length)] + (rand() < 0.1 ? '\n' : ' ');
    out.push(s);
  }
  return out;
}

const MODELS = ['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'claude-haiku-4-5-20251001'];
const T0 = Date.parse('2026-10-01T08:00:00Z');

/**
 * Per session, Claude's turn shape: a prompt, then tool rounds (assistant text, its usage record,
 * a tool call, the policy decision, the result), status changes around it, and now and then the
 * statusLine's running cost. About 680 bytes an event, 1 in 5 a usage record, non-ASCII text on
 * more than half the lines, sessions spread over a month so totals fall on ~30 UTC days.
 */
export function workload(seed, sessions) {
  const rand = seededRandom(seed);
  const texts = textPool(rand, 256, 40, 1600);
  const outputs = textPool(rand, 256, 80, 3000);
  const state = Array.from({ length: sessions }, (_, i) => ({
    id: `s${String(i).padStart(4, '0')}`,
    t: T0 + Math.floor(rand() * 30 * 86400e3),
    model: MODELS[i % 5 === 0 ? 1 : 0],
    step: 0,
    round: 0,
    call: 0,
    reported: 0,
  }));
  const pick = (pool) => pool[Math.floor(rand() * pool.length)];
  const SHAPE = ['session.status', 'message.user', 'message.assistant', 'usage', 'tool.call', 'policy.decision', 'tool.result'];
  /** The next event of session `i`: { type, data, ts }. */
  return {
    ids: state.map((s) => s.id),
    next(i) {
      const s = state[i];
      s.t += 200 + Math.floor(rand() * 5000);
      const ts = new Date(s.t).toISOString();
      let type;
      if (s.step < SHAPE.length) type = SHAPE[s.step++];
      else {
        // After a round: another round (most of the time), a cost report, or the turn ends.
        const r = rand();
        if (r < 0.08) type = 'cost.reported';
        else if (r < 0.18) {
          s.step = 0;
          return { type: 'session.status', ts, data: { status: 'idle', previous: 'running', source: 'hook' } };
        } else {
          s.step = 2;
          type = SHAPE[s.step++];
        }
      }
      switch (type) {
        case 'session.status':
          return { type, ts, data: { status: 'running', previous: 'idle', source: 'hook' } };
        case 'message.user':
          return { type, ts, data: { text: pick(texts).slice(0, 300) } };
        case 'message.assistant':
          return { type, ts, data: { text: pick(texts), messageId: `msg_${(s.t % 1e9).toString(36)}`, model: s.model } };
        case 'usage': {
          const model = rand() < 0.15 ? MODELS[2] : s.model;
          const input = 1 + Math.floor(rand() * 40);
          const output = 20 + Math.floor(rand() * 1500);
          const cacheRead = Math.floor(rand() * 180_000);
          const cacheWrite = Math.floor(rand() * 4000);
          const usd = (input * 3 + output * 15 + cacheRead * 0.3 + cacheWrite * 3.75) / 1e6;
          return { type, ts, data: { model, inputTokens: input, outputTokens: output, cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite, computedCostUsd: Math.round(usd * 1e10) / 1e10, source: 'claude-transcript', messageId: `msg_${s.t.toString(36)}` } };
        }
        case 'tool.call':
          s.call++;
          return { type, ts, data: { callId: `toolu_${s.id}_${s.call}`, tool: 'Bash', kind: 'shell', input: { command: `npm test -- ${pick(WORDS)}`, description: pick(texts).slice(0, 80) } } };
        case 'policy.decision':
          return { type, ts, data: { phase: 'PreToolUse', verdict: 'none', callId: `toolu_${s.id}_${s.call}` } };
        case 'tool.result':
          return { type, ts, data: { callId: `toolu_${s.id}_${s.call}`, tool: 'Bash', ok: rand() < 0.9, output: pick(outputs) } };
        default:
          s.reported = Math.round((s.reported + rand() * 0.4) * 1e6) / 1e6;
          return { type: 'cost.reported', ts, data: { totalUsd: s.reported, source: 'claude-statusline', harnessSessionId: `h-${s.id}`, model: s.model } };
      }
    },
  };
}

// ------------------------------------------------------------------------------- totals
// One totals row: [messages, input, output, cacheRead, cacheWrite, computedUsd, reportedUsd].
const ROW = 7;
const round = (usd) => Math.round(usd * 1e10) / 1e10;

/** Totals per (model, UTC day) of one session, folded as events are appended or replayed. */
export class SessionTotals {
  constructor() {
    this.groups = new Map();
    this.lastReported = 0;
    this.lastSeq = 0;
    this.offset = 0;
  }
  row(model, day) {
    const key = `${model}\t${day}`;
    let r = this.groups.get(key);
    if (!r) this.groups.set(key, (r = new Array(ROW).fill(0)));
    return r;
  }
  /** An event with its seq; the byte offset just past its line. */
  fold(ev, end) {
    this.lastSeq = ev.seq;
    this.offset = end;
    if (ev.type === 'usage') {
      const u = ev.data;
      const r = this.row(u.model, ev.ts.slice(0, 10));
      r[0]++;
      r[1] += u.inputTokens;
      r[2] += u.outputTokens;
      r[3] += u.cacheReadTokens;
      r[4] += u.cacheWriteTokens;
      r[5] = round(r[5] + (u.computedCostUsd ?? 0));
    } else if (ev.type === 'cost.reported') {
      const delta = reportedDelta(this, ev.data);
      if (delta > 0) {
        const r = this.row(ev.data.model ?? 'unknown', ev.ts.slice(0, 10));
        r[6] = round(r[6] + delta);
      }
    }
  }
  toJSON() {
    return { v: 1, offset: this.offset, lastSeq: this.lastSeq, lastReported: this.lastReported, groups: [...this.groups] };
  }
  static from(j) {
    const t = new SessionTotals();
    t.offset = j.offset;
    t.lastSeq = j.lastSeq;
    t.lastReported = j.lastReported;
    t.groups = new Map(j.groups);
    return t;
  }
}

/** A running total adds its growth (one harness session per omni session in this workload). */
function reportedDelta(t, d) {
  const delta = d.totalUsd >= t.lastReported ? d.totalUsd - t.lastReported : d.totalUsd;
  t.lastReported = d.totalUsd;
  return delta;
}

/** Sums of every store's totals, compared across approaches so each is known to count the same. */
export function checksum(rows) {
  const c = new Array(ROW).fill(0);
  for (const r of rows) for (let k = 0; k < ROW; k++) c[k] += r[k];
  return { messages: c[0], inputTokens: c[1], outputTokens: c[2], cacheReadTokens: c[3], cacheWriteTokens: c[4], computedUsd: Math.round(c[5] * 1e6) / 1e6, reportedUsd: Math.round(c[6] * 1e6) / 1e6 };
}

// ------------------------------------------------------------------------------- SQLite
export function loadSqlite(dir) {
  return createRequire(path.join(dir, 'package.json'))('better-sqlite3');
}

const USAGE_DDL = `CREATE TABLE IF NOT EXISTS usage(session TEXT NOT NULL, seq INTEGER NOT NULL, ts TEXT NOT NULL, day TEXT NOT NULL,
  model TEXT NOT NULL, msg INTEGER NOT NULL, input INTEGER, output INTEGER, cache_read INTEGER, cache_write INTEGER,
  computed_usd REAL, reported_usd REAL, PRIMARY KEY(session, seq)) WITHOUT ROWID`;
const EVENTS_DDL = `CREATE TABLE IF NOT EXISTS events(session TEXT NOT NULL, seq INTEGER NOT NULL, ts TEXT NOT NULL, type TEXT NOT NULL,
  data TEXT NOT NULL, PRIMARY KEY(session, seq)) WITHOUT ROWID`;

export function openDb(Database, file, { events = false } = {}) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(USAGE_DDL);
  if (events) db.exec(EVENTS_DDL);
  return db;
}

/** The usage row of an event (usage, or a cost report's growth), or null: what the DB stores. */
export function usageRow(t, ev) {
  if (ev.type === 'usage') {
    const u = ev.data;
    return [ev.session, ev.seq, ev.ts, ev.ts.slice(0, 10), u.model, 1, u.inputTokens, u.outputTokens, u.cacheReadTokens, u.cacheWriteTokens, u.computedCostUsd ?? 0, 0];
  }
  if (ev.type === 'cost.reported') {
    const delta = reportedDelta(t, ev.data);
    return delta > 0 ? [ev.session, ev.seq, ev.ts, ev.ts.slice(0, 10), ev.data.model ?? 'unknown', 0, 0, 0, 0, 0, 0, round(delta)] : null;
  }
  return null;
}

export const INSERT_USAGE = 'INSERT INTO usage VALUES (?,?,?,?,?,?,?,?,?,?,?,?)';
export const INSERT_EVENT = 'INSERT INTO events VALUES (?,?,?,?,?)';
const SUMS = 'sum(msg), sum(input), sum(output), sum(cache_read), sum(cache_write), sum(computed_usd), sum(reported_usd)';
export const Q_TOTALS = `SELECT session, model, day, ${SUMS} FROM usage GROUP BY session, model, day`;
export const Q_REPORT = { session: `SELECT session, ${SUMS} FROM usage GROUP BY session`, model: `SELECT model, ${SUMS} FROM usage GROUP BY model`, day: `SELECT day, ${SUMS} FROM usage GROUP BY day` };

/** A coalescing clock: true at most once per `everyMs`. */
export function every(everyMs) {
  let last = performance.now();
  return () => {
    const t = performance.now();
    if (t - last < everyMs) return false;
    last = t;
    return true;
  };
}

/** Write-then-rename, as the daemon's other state files are written (no fsync: see README). */
export function writeAtomic(file, text) {
  fs.writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}
