#!/usr/bin/env node
// Totals store bench: per-session summary files beside the NDJSON logs vs SQLite (better-sqlite3),
// on the same generated workload, each figure against NDJSON-only appends from the same run.
//
//   node bench/totals-store.mjs                 # 100 sessions × 10,000 events (~0.9 GB of logs)
//   node bench/totals-store.mjs --quick         # 10 × 1,000
//   node bench/totals-store.mjs --sessions 20 --events 5000 --rounds 3 --cold-rounds 5 --tail 200
//                               --kill-after 3000 --seed 12 --json --keep
//   node bench/totals-store.mjs --reinstall     # time a fresh better-sqlite3 install again
//
// better-sqlite3 is never a dependency of omni: it is installed (pinned) into a cache dir outside
// the repo on first run ($OMNI_BENCH_CACHE, default ~/.cache/omni-bench), and the install is
// timed: that is what a fresh machine that reaches only the npm registry pays (it compiles).
// Measures (a) append cost per event, (b) cold start (all sessions' totals), (c) cost reports by
// session/model/day, (d) RSS and disk, and checks every approach counts the same totals.
// See bench/README.md, "totals-store.mjs".

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eachArg, machine, parseOptions } from './lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(HERE, 'totals-store-child.mjs');
export const SQLITE_PKG = 'better-sqlite3@12.11.1';

function parseArgs(argv) {
  const o = { sessions: 100, events: 10000, rounds: 1, coldRounds: 3, tail: 100, seed: 12, killAfterMs: 3000, json: false, keep: false, reinstall: false, quick: false };
  eachArg(argv, (a, flag, num) => {
    if (flag === '--quick') Object.assign(o, { quick: true, sessions: 10, events: 1000, rounds: 3, tail: 50 });
    else if (flag === '--sessions') o.sessions = num();
    else if (flag === '--events') o.events = num();
    else if (flag === '--rounds') o.rounds = Math.max(1, num());
    else if (flag === '--cold-rounds') o.coldRounds = Math.max(1, num());
    else if (flag === '--tail') o.tail = num();
    else if (flag === '--seed') o.seed = num();
    else if (flag === '--kill-after') o.killAfterMs = num();
    else if (flag === '--json') o.json = true;
    else if (flag === '--keep') o.keep = true;
    else if (flag === '--reinstall') o.reinstall = true;
    else throw new Error(`unknown option ${a}`);
  });
  if (o.tail >= o.events) o.tail = Math.floor(o.events / 10);
  return o;
}

const opts = parseOptions('totals-store', parseArgs);
const say = (m) => !opts.json && process.stderr.write(`${m}\n`);
const r = (x, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

function child(...args) {
  const res = spawnSync(process.execPath, [CHILD, ...args.map(String)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.status !== 0) throw new Error(`child ${args.slice(0, 2).join(' ')} failed (${res.status ?? res.signal}): ${res.stderr.slice(-2000)}`);
  return JSON.parse(res.stdout.trim().split('\n').pop());
}

const duBytes = (p) => (fs.existsSync(p) ? Number(spawnSync('du', ['-sb', p], { encoding: 'utf8' }).stdout.split('\t')[0]) : 0);
const sizeOf = (dir, re) => {
  let n = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (re.test(e.name)) n += fs.statSync(p).size;
    }
  };
  walk(dir);
  return n;
};

// --------------------------------------------------------------------------- install
/**
 * better-sqlite3 in the cache dir, installed and timed on first use (or with --reinstall) with
 * npm's ordinary client: what `npm install` of a package depending on it costs on this machine.
 */
function ensureSqlite() {
  const cache = process.env.OMNI_BENCH_CACHE || path.join(os.homedir(), '.cache', 'omni-bench');
  const dir = path.join(cache, `${SQLITE_PKG.replace('@', '-')}-abi${process.versions.modules}`);
  const record = path.join(dir, 'install.json');
  if (!opts.reinstall && fs.existsSync(record)) {
    try {
      child('probe', dir);
      return { dir, ...JSON.parse(fs.readFileSync(record, 'utf8')), cached: true };
    } catch {
      /* broken cache: install again */
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'omni-bench-sqlite', private: true }));
  say(`installing ${SQLITE_PKG} into ${dir} (timed; it compiles when no prebuilt binary can be fetched)…`);
  const t0 = Date.now();
  const res = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', SQLITE_PKG], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = Date.now() - t0;
  fs.writeFileSync(path.join(dir, 'install.log'), `${res.stdout}\n${res.stderr}`);
  if (res.status !== 0) throw new Error(`npm install ${SQLITE_PKG} failed after ${ms} ms (log: ${dir}/install.log):\n${res.stderr.slice(-3000)}`);
  const mod = path.join(dir, 'node_modules', 'better-sqlite3');
  const info = {
    pkg: SQLITE_PKG,
    installMs: ms,
    compiled: fs.existsSync(path.join(mod, 'build', 'Release', 'obj.target')),
    installBytes: duBytes(path.join(dir, 'node_modules')),
    addonBytes: fs.statSync(path.join(mod, 'build', 'Release', 'better_sqlite3.node')).size,
    node: process.version,
    at: new Date().toISOString(),
  };
  fs.writeFileSync(record, JSON.stringify(info, null, 2));
  child('probe', dir);
  return { dir, ...info, cached: false };
}

// --------------------------------------------------------------------------- the run
const APPENDS = [
  ['ndjson', 'NDJSON append only (baseline)'],
  ['summary', 'NDJSON + fold + summary.json ≤1/s'],
  ['summary-each', '  … each session on its own clock'],
  ['sqlite', 'NDJSON + SQLite insert (autocommit)'],
  ['sqlite-tx1s', 'NDJSON + SQLite insert (1 tx/s)'],
  ['sqlite-all', 'every event in SQLite, no NDJSON'],
];
const COLDS = [
  ['scan', 'today: parse every log line', 'ndjson'],
  ['summary', 'summaries (clean stop)', 'summary'],
  ['summary-stale', `summaries + ${opts.tail}-event tails (kill -9)`, 'summary'],
  ['sqlite', 'SQLite GROUP BY + log last lines', 'sqlite'],
  ['sqlite-all', 'SQLite (every event) GROUP BY', 'sqlite-all'],
];

function main() {
  const sqlite = ensureSqlite();
  const probe = child('probe', sqlite.dir);
  const idle = child('idle');
  say(`${SQLITE_PKG} (SQLite ${probe.sqlite}): ${sqlite.cached ? 'cached; first' : ''} install ${r(sqlite.installMs / 1000, 1)} s, compiled: ${sqlite.compiled}, ${r(sqlite.installBytes / 1048576, 1)} MiB installed`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-totals-'));
  const dirOf = (v, round) => path.join(root, `${v}-${round}`);
  const appends = Object.fromEntries(APPENDS.map(([v]) => [v, []]));
  try {
    // (a) rounds of every variant, rotated so none always follows the same other.
    for (let round = 0; round < opts.rounds; round++) {
      for (let j = 0; j < APPENDS.length; j++) {
        const [v] = APPENDS[(j + round) % APPENDS.length];
        if (round > 0) fs.rmSync(dirOf(v, round - 1), { recursive: true, force: true });
        say(`append: ${v} round ${round + 1}/${opts.rounds} (${opts.sessions} × ${opts.events})…`);
        appends[v].push(child('append', v, dirOf(v, round), opts.sessions, opts.events, opts.seed, sqlite.dir, opts.tail));
      }
    }
    const last = opts.rounds - 1;
    const a = Object.fromEntries(APPENDS.map(([v]) => [v, medianBy(appends[v], 'usPerEvent')]));
    // (b, c) cold start and reports, each in a fresh process, on the last round's state.
    // Rotated rounds too; today's full `omni cost` scan (the slowest figure) only in the first.
    const colds = Object.fromEntries(COLDS.map(([k]) => [k, []]));
    for (let round = 0; round < opts.coldRounds; round++) {
      for (let j = 0; j < COLDS.length; j++) {
        const [k, , v] = COLDS[(j + round) % COLDS.length];
        say(`cold start: ${k} round ${round + 1}/${opts.coldRounds}…`);
        colds[k].push(child('cold', k, dirOf(v, last), sqlite.dir, k === 'scan' && round === 0 ? 'cost-scan' : ''));
      }
    }
    const c = Object.fromEntries(COLDS.map(([k]) => [k, medianBy(colds[k], 'ms')]));
    c.scan.report_scan_ms = colds.scan[0].report_scan_ms;
    // (d) on disk
    const disk = {
      ndjson: sizeOf(dirOf('ndjson', last), /\.ndjson$/),
      summaries: sizeOf(dirOf('summary', last), /^summary\.json$/),
      sqliteUsage: sizeOf(dirOf('sqlite', last), /\.db(-wal|-shm)?$/),
      sqliteAll: sizeOf(dirOf('sqlite-all', last), /\.db(-wal|-shm)?$/),
    };
    // (e) kill -9 in the middle of appending, then what each store has.
    const crash = {};
    for (const v of ['summary', 'sqlite', 'sqlite-tx1s']) {
      say(`crash: kill -9 during ${v} appends…`);
      const dir = path.join(root, `crash-${v}`);
      const res = spawnSync(process.execPath, [CHILD, 'append', v, dir, opts.sessions, 1e9, opts.seed, sqlite.dir, 0], { timeout: opts.killAfterMs, killSignal: 'SIGKILL' });
      if (res.signal !== 'SIGKILL') throw new Error(`crash: the ${v} writer ended before the kill (${res.status}): ${res.stderr}`);
      crash[v] = child('crash-check', v, dir, sqlite.dir);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const sums = Object.values(c).map((x) => JSON.stringify(x.checksum) + x.lastSeqSum);
    const agree = sums.every((s) => s === sums[0]) && c.summary.rebuilt === 0 && c['summary-stale'].tailEvents === opts.sessions * opts.tail;
    const crashOk = crash.summary.tornLogs === 0 && crash.summary.summaryMatchesReplay && crash.sqlite.integrity === 'ok' && crash['sqlite-tx1s'].integrity === 'ok';
    report(sqlite, probe, idle, a, c, disk, crash, agree && crashOk);
    return agree && crashOk ? 0 : 1;
  } finally {
    if (opts.keep) say(`kept ${root}`);
    else fs.rmSync(root, { recursive: true, force: true });
  }
}

function medianBy(xs, key) {
  return [...xs].sort((p, q) => p[key] - q[key])[Math.floor(xs.length / 2)];
}

function report(sqlite, probe, idle, a, c, disk, crash, agree) {
  const base = a.ndjson.usPerEvent;
  const scan = c.scan.ms;
  const w = 44;
  const row = (label, ...cols) => say(label.padEnd(w) + cols.map((x) => String(x ?? '-').padStart(10)).join(''));
  say(`\n${opts.sessions} sessions × ${opts.events} events (${r(disk.ndjson / 1048576, 1)} MiB of NDJSON), median of ${opts.rounds} append and ${opts.coldRounds} cold-start round(s); node ${process.version}\n`);
  say('(a) append, per event');
  row('', 'µs mean', '× base', 'p50 µs', '× base', 'p99 µs', 'max ms', 'RSS MiB', 'flush ms', 'max');
  for (const [v, label] of APPENDS) {
    const x = a[v];
    row(label, r(x.usPerEvent), r(x.usPerEvent / base), r(x.p50Us), r(x.p50Us / a.ndjson.p50Us), r(x.p99Us), r(x.maxMs), x.maxRssMiB, r(x.flushP50Ms), r(x.flushMaxMs));
  }
  say('(flush: one write of every changed summary, one summary (own clock), or one COMMIT: p50 and max)');
  say('\n(b) cold start: every session\'s totals, and (c) a cost report (median of 5)');
  row('', 'start ms', '× scan', 'max RSS', 'session', 'model', 'day');
  for (const [k, label] of COLDS) {
    const x = c[k];
    row(label, r(x.ms, 1), r(x.ms / scan, 3), x.maxRssMiB, r(x.report_session_ms, 3), r(x.report_model_ms, 3), r(x.report_day_ms, 3));
  }
  row('today\'s omni cost (read + parse every log)', r(c.scan.report_scan_ms, 1));
  say(`\n(d) disk: NDJSON ${r(disk.ndjson / 1048576, 1)} MiB; summaries +${r(disk.summaries / 1024, 1)} KiB; SQLite usage DB +${r(disk.sqliteUsage / 1048576, 1)} MiB; every event in SQLite ${r(disk.sqliteAll / 1048576, 1)} MiB (${r(disk.sqliteAll / disk.ndjson)}× NDJSON)`);
  say(`RSS: node idle ${idle.maxRssMiB} MiB, node + better-sqlite3 loaded ${probe.maxRssMiB} MiB`);
  say(`install: ${SQLITE_PKG} ${r(sqlite.installMs / 1000, 1)} s (${sqlite.compiled ? 'compiled from source' : 'prebuilt binary'}), ${r(sqlite.installBytes / 1048576, 1)} MiB in node_modules, addon ${r(sqlite.addonBytes / 1048576, 1)} MiB`);
  const cs = crash.summary;
  say(`(e) kill -9 after ${opts.killAfterMs} ms of appends: torn log lines ${cs.tornLogs}/${crash.sqlite.tornLogs}/${crash['sqlite-tx1s'].tornLogs}; summaries + tails = full replay: ${cs.summaryMatchesReplay} (${cs.tailEvents} tail events, ${cs.summariesRebuilt} rebuilt); SQLite integrity ${crash.sqlite.integrity}, DB behind its logs by ${crash.sqlite.dbBehindBy} usage messages (autocommit), ${crash['sqlite-tx1s'].dbBehindBy} (1 tx/s)`);
  say(agree ? 'totals agree across every approach' : 'MISMATCH: the approaches do not count the same totals');
  const summary = {
    bench: 'totals-store',
    machine: machine(),
    sessions: opts.sessions,
    events: opts.events,
    rounds: opts.rounds,
    coldRounds: opts.coldRounds,
    agree,
    install: { pkg: SQLITE_PKG, ms: sqlite.installMs, compiled: sqlite.compiled, bytes: sqlite.installBytes, sqlite: probe.sqlite },
    append: Object.fromEntries(APPENDS.map(([v]) => [v, { usPerEvent: r(a[v].usPerEvent), ratio: r(a[v].usPerEvent / base), p50Us: r(a[v].p50Us), p50Ratio: r(a[v].p50Us / a.ndjson.p50Us), p99Us: r(a[v].p99Us), maxMs: r(a[v].maxMs), maxRssMiB: a[v].maxRssMiB, flushes: a[v].flushes, flushP50Ms: r(a[v].flushP50Ms), flushMaxMs: r(a[v].flushMaxMs) }])),
    cold: Object.fromEntries(COLDS.map(([k]) => [k, { ms: r(c[k].ms, 1), ratioToScan: r(c[k].ms / scan, 4), maxRssMiB: c[k].maxRssMiB, reportModelMs: r(c[k].report_model_ms, 3), reportDayMs: r(c[k].report_day_ms, 3) }])),
    costScanMs: r(c.scan.report_scan_ms, 1),
    disk,
    rss: { idle: idle.maxRssMiB, sqliteLoaded: probe.maxRssMiB },
    crash,
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`totals-store: ${err.stack ?? err}\n`);
  process.exitCode = 1;
}
