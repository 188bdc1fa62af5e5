// One measurement of bench/totals-store.mjs, in a process of its own; prints one JSON line.
//
//   node bench/totals-store-child.mjs append <variant> <dir> <sessions> <events> <seed> <sqliteDir> <tail>
//   node bench/totals-store-child.mjs cold <kind> <dir> <sqliteDir> [cost-scan]
//   node bench/totals-store-child.mjs crash-check <variant> <dir> <sqliteDir>
//   node bench/totals-store-child.mjs probe <sqliteDir>

import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { INSERT_EVENT, INSERT_USAGE, Q_REPORT, Q_TOTALS, SessionTotals, checksum, every, loadSqlite, openDb, usageRow, workload, writeAtomic } from './totals-store-work.mjs';

const logOf = (dir, id) => path.join(dir, 'sessions', id, 'events.ndjson');
const summaryOf = (dir, id, stale) => path.join(dir, 'sessions', id, stale ? 'summary.stale.json' : 'summary.json');
const memory = () => ({ rssMiB: mib(process.memoryUsage().rss), maxRssMiB: mib(process.resourceUsage().maxRSS * 1024), heapMiB: mib(process.memoryUsage().heapUsed) });
const mib = (b) => Math.round((b / 1048576) * 10) / 10;
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

// ------------------------------------------------------------------------------- (a) append
/**
 * Appends `events` events to each of `sessions` logs, round robin (a daemon with many live
 * sessions), the way `EventLog.append` does (one writeSync of the JSON line to a fd opened 'a'),
 * plus the variant's bookkeeping. Only the append and the bookkeeping are timed, per event.
 */
function append(variant, dir, sessions, events, seed, sqliteDir, tail) {
  const gen = workload(seed, sessions);
  const ids = gen.ids;
  const ndjson = variant !== 'sqlite-all';
  const fds = ids.map((id) => {
    fs.mkdirSync(path.dirname(logOf(dir, id)), { recursive: true });
    return ndjson ? fs.openSync(logOf(dir, id), 'a', 0o600) : -1;
  });
  const seqs = new Array(sessions).fill(0);
  const totals = ids.map(() => new SessionTotals());
  const dirty = new Set();
  const flushDue = every(1000);
  let db, insUsage, insEvent, tx, txDue;
  if (variant.startsWith('sqlite')) {
    const Database = loadSqlite(sqliteDir);
    db = openDb(Database, path.join(dir, variant === 'sqlite-all' ? 'events.db' : 'totals.db'), { events: variant === 'sqlite-all' });
    insUsage = db.prepare(INSERT_USAGE);
    if (variant === 'sqlite-all') {
      insEvent = db.prepare(INSERT_EVENT);
      tx = db.transaction((ev, data, row) => {
        insEvent.run(ev.session, ev.seq, ev.ts, ev.type, data);
        if (row) insUsage.run(row);
      });
    }
    if (variant === 'sqlite-tx1s') {
      txDue = every(1000);
      db.exec('BEGIN');
    }
  }
  const flushMs = [];
  const lastWrite = new Array(sessions).fill(performance.now());
  const flush = () => {
    const t0 = performance.now();
    for (const i of dirty) writeAtomic(summaryOf(dir, ids[i]), JSON.stringify(totals[i]));
    dirty.clear();
    flushMs.push(performance.now() - t0);
  };
  // Capped: the crash run appends until it is killed (writes past the end of a typed array are dropped).
  const times = new Float64Array(Math.min(sessions * events, 1 << 24));
  let k = 0;
  const wall = performance.now();
  for (let e = 0; e < events; e++) {
    for (let i = 0; i < sessions; i++) {
      const next = gen.next(i);
      const t0 = performance.now();
      const ev = { seq: ++seqs[i], ts: next.ts, session: ids[i], type: next.type, data: next.data };
      if (variant === 'sqlite-all') {
        tx(ev, JSON.stringify(ev.data), usageRow(totals[i], ev));
      } else {
        const bytes = fs.writeSync(fds[i], JSON.stringify(ev) + '\n');
        if (variant === 'summary') {
          const t = totals[i];
          t.fold(ev, t.offset + bytes);
          dirty.add(i);
          if (flushDue()) flush();
        } else if (variant === 'summary-each') {
          // Each session's summary on its own clock, written on its own append: one file at a time.
          const t = totals[i];
          t.fold(ev, t.offset + bytes);
          const now = performance.now();
          if (now - lastWrite[i] >= 1000) {
            writeAtomic(summaryOf(dir, ids[i]), JSON.stringify(t));
            lastWrite[i] = now;
            flushMs.push(performance.now() - now);
          }
        } else if (variant === 'sqlite' || variant === 'sqlite-tx1s') {
          const row = usageRow(totals[i], ev);
          if (row) insUsage.run(row);
          if (txDue?.()) {
            const t0 = performance.now();
            db.exec('COMMIT');
            db.exec('BEGIN');
            flushMs.push(performance.now() - t0);
          }
        }
      }
      times[k++] = performance.now() - t0;
      // The summary a kill -9 would leave: `tail` events short of the end (cold start reads them).
      if (variant.startsWith('summary') && e === events - tail - 1) writeAtomic(summaryOf(dir, ids[i], true), JSON.stringify(totals[i]));
    }
  }
  if (variant === 'summary') flush();
  if (variant === 'summary-each') for (let i = 0; i < sessions; i++) writeAtomic(summaryOf(dir, ids[i]), JSON.stringify(totals[i]));
  if (variant === 'sqlite-tx1s') db.exec('COMMIT');
  const wallMs = performance.now() - wall;
  const mem = memory(); // before the sort below, which is the bench's own
  const sorted = Array.from(times).sort((a, b) => a - b);
  const sumUs = sorted.reduce((a, b) => a + b, 0) * 1000;
  db?.close();
  for (const fd of fds) if (fd >= 0) fs.closeSync(fd);
  // A summary write (or a commit) of every changed session at once: how long one holds the loop.
  flushMs.sort((x, y) => x - y);
  const flush50 = flushMs.length ? pct(flushMs, 50) : null;
  const flushMax = flushMs.length ? flushMs[flushMs.length - 1] : null;
  return { variant, events: k, usPerEvent: sumUs / k, p50Us: pct(sorted, 50) * 1000, p99Us: pct(sorted, 99) * 1000, maxMs: sorted[sorted.length - 1], wallMs, flushes: flushMs.length, flushP50Ms: flush50, flushMaxMs: flushMax, ...mem };
}

// ------------------------------------------------------------------------- (b, c) cold start
/** Every complete line of `file` from byte `from`, parsed; a line that does not parse is skipped. */
function eachLine(file, from, fn) {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(Math.max(0, size - from));
    let got = 0;
    while (got < buf.length) got += fs.readSync(fd, buf, got, buf.length - got, from + got);
    let start = 0;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
      try {
        fn(JSON.parse(buf.toString('utf8', start, nl)), from + nl + 1);
      } catch {
        /* torn line */
      }
      start = nl + 1;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A summary is used only if it fits the log it claims to cover; else the log is replayed. */
function readSummary(file, log) {
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (j?.v !== 1 || !Number.isSafeInteger(j.offset) || !Number.isSafeInteger(j.lastSeq) || !Array.isArray(j.groups)) return null;
    const fd = fs.openSync(log, 'r');
    try {
      if (fs.fstatSync(fd).size < j.offset) return null;
      if (j.offset > 0) {
        const b = Buffer.alloc(1);
        fs.readSync(fd, b, 0, 1, j.offset - 1);
        if (b[0] !== 10) return null;
      }
    } finally {
      fs.closeSync(fd);
    }
    return SessionTotals.from(j);
  } catch {
    return null;
  }
}

/** The seq of a log's last complete line, from its last 64 KiB (what a log-backed store must still read). */
function lastSeqOf(log) {
  const fd = fs.openSync(log, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const n = Math.min(size, 65536);
    const b = Buffer.alloc(n);
    fs.readSync(fd, b, 0, n, size - n);
    const end = b.lastIndexOf(10);
    const start = b.lastIndexOf(10, end - 1) + 1;
    return JSON.parse(b.toString('utf8', start, end)).seq;
  } finally {
    fs.closeSync(fd);
  }
}

const median = (fn, n = 5) => {
  const ts = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return ts.sort((a, b) => a - b)[Math.floor(n / 2)];
};

function reportFromTotals(totals, ids, by) {
  const out = new Map();
  totals.forEach((t, i) => {
    for (const [key, r] of t.groups) {
      const [model, day] = key.split('\t');
      const g = by === 'session' ? ids[i] : by === 'model' ? model : day;
      const o = out.get(g) ?? out.set(g, new Array(r.length).fill(0)).get(g);
      for (let k = 0; k < r.length; k++) o[k] += r[k];
    }
  });
  return out;
}

function cold(kind, dir, sqliteDir, costScan) {
  const t0 = performance.now();
  const ids = fs.readdirSync(path.join(dir, 'sessions')).sort();
  let rows = [];
  let lastSeqSum = 0;
  let tailEvents = 0;
  let rebuilt = 0;
  const out = { kind, sessions: ids.length };
  if (kind === 'scan' || kind === 'summary' || kind === 'summary-stale') {
    // 'scan' is today's start: every line of every log parsed (EventLog.scan) to total usage.
    const totals = ids.map((id) => {
      const log = logOf(dir, id);
      let t = kind === 'scan' ? null : readSummary(summaryOf(dir, id, kind === 'summary-stale'), log);
      if (!t && kind !== 'scan') rebuilt++;
      t ??= new SessionTotals();
      const from = t.offset;
      eachLine(log, from, (ev, end) => {
        t.fold(ev, end);
        tailEvents++;
      });
      lastSeqSum += t.lastSeq;
      return t;
    });
    out.ms = performance.now() - t0;
    Object.assign(out, memory());
    rows = totals.flatMap((t) => [...t.groups.values()]);
    for (const by of ['session', 'model', 'day']) out[`report_${by}_ms`] = median(() => reportFromTotals(totals, ids, by));
    if (kind === 'scan' && costScan) {
      // Today's `omni cost`: read and decode every log, parse the usage lines, group.
      out.report_scan_ms = median(() => {
        const t = ids.map(() => new SessionTotals());
        ids.forEach((id, i) => {
          for (const line of fs.readFileSync(logOf(dir, id), 'utf8').split('\n')) {
            if (line.includes('"type":"usage"') || line.includes('"type":"cost.reported"')) t[i].fold(JSON.parse(line), 0);
          }
        });
        return reportFromTotals(t, ids, 'model');
      }, 1);
    }
  } else {
    const Database = loadSqlite(sqliteDir);
    const all = kind === 'sqlite-all';
    const db = openDb(Database, path.join(dir, all ? 'events.db' : 'totals.db'), { events: all });
    const res = db.prepare(Q_TOTALS).raw().all();
    // The log stays the source of seqs for NDJSON + SQLite: its last line is read per session.
    if (all) for (const r of db.prepare('SELECT session, max(seq) FROM events GROUP BY session').raw().all()) lastSeqSum += r[1];
    else for (const id of ids) lastSeqSum += lastSeqOf(logOf(dir, id));
    out.ms = performance.now() - t0;
    Object.assign(out, memory());
    rows = res.map((r) => r.slice(3));
    for (const by of ['session', 'model', 'day']) {
      const st = db.prepare(Q_REPORT[by]).raw();
      out[`report_${by}_ms`] = median(() => st.all());
    }
    db.close();
  }
  return { ...out, tailEvents, rebuilt, lastSeqSum, checksum: checksum(rows) };
}

// ------------------------------------------------------------------------------- (e) crash
/**
 * After a kill -9 in the middle of `append <variant>`: is any log's last line torn, does the
 * summary path give the same totals as a full replay of the logs, and how far behind its logs
 * is the SQLite DB (usage rows the logs have and the DB does not)?
 */
function crashCheck(variant, dir, sqliteDir) {
  const ids = fs.readdirSync(path.join(dir, 'sessions')).sort();
  let torn = 0;
  let logRows = 0;
  const replay = ids.map((id) => {
    const log = logOf(dir, id);
    const size = fs.statSync(log).size;
    if (size > 0) {
      const b = Buffer.alloc(1);
      const fd = fs.openSync(log, 'r');
      fs.readSync(fd, b, 0, 1, size - 1);
      fs.closeSync(fd);
      if (b[0] !== 10) torn++;
    }
    const t = new SessionTotals();
    eachLine(log, 0, (ev, end) => {
      if (ev.type === 'usage' || ev.type === 'cost.reported') logRows++;
      t.fold(ev, end);
    });
    return t;
  });
  const out = { variant, sessions: ids.length, tornLogs: torn, logUsageEvents: logRows };
  const sum = (ts) => JSON.stringify(checksum(ts.flatMap((t) => [...t.groups.values()])));
  if (variant === 'summary') {
    let rebuilt = 0;
    let tail = 0;
    const loaded = ids.map((id) => {
      const log = logOf(dir, id);
      let t = readSummary(summaryOf(dir, id), log);
      if (!t) rebuilt++;
      t ??= new SessionTotals();
      eachLine(log, t.offset, (ev, end) => {
        t.fold(ev, end);
        tail++;
      });
      return t;
    });
    Object.assign(out, { summariesRebuilt: rebuilt, tailEvents: tail, summaryMatchesReplay: sum(loaded) === sum(replay) });
  } else {
    const db = openDb(loadSqlite(sqliteDir), path.join(dir, 'totals.db'));
    out.integrity = db.pragma('integrity_check', { simple: true });
    // Rows of cost reports with no growth are not stored: count what the fold would store.
    const stored = db.prepare('SELECT count(*) FROM usage').pluck().get();
    const expected = replay.reduce((n, t) => n + [...t.groups.values()].reduce((m, r) => m + r[0], 0), 0);
    out.dbUsageMessages = db.prepare('SELECT sum(msg) FROM usage').pluck().get() ?? 0;
    out.logUsageMessages = expected;
    out.dbBehindBy = expected - out.dbUsageMessages;
    out.dbRows = stored;
    db.close();
  }
  return out;
}

// ------------------------------------------------------------------------------- main
const [action, ...a] = process.argv.slice(2);
let result;
if (action === 'append') result = append(a[0], a[1], Number(a[2]), Number(a[3]), Number(a[4]), a[5], Number(a[6]));
else if (action === 'cold') result = cold(a[0], a[1], a[2], a[3] === 'cost-scan');
else if (action === 'crash-check') result = crashCheck(a[0], a[1], a[2]);
else if (action === 'probe') {
  const Database = loadSqlite(a[0]);
  const db = new Database(':memory:');
  result = { sqlite: db.prepare('select sqlite_version() v').get().v, ...memory() };
  db.close();
} else if (action === 'idle') result = memory();
else throw new Error(`unknown action ${action}`);
process.stdout.write(JSON.stringify(result) + '\n');
