#!/usr/bin/env node
// Scale bench: the daemon and the CLI on a big history (default 100 sessions, 1,000,000 events,
// ~0.9 GB), each figure against a baseline from the same run (`node -e 0`, `omni ls --json`).
//
//   npm run build && node bench/scale.mjs [--quick] [--sessions 100] [--events 1000000] [--live 5]
//                      [--reps 5] [--hooks 300] [--load-seconds 600] [--fresh] [--reprice] [--json] [--keep]
//
// 1. State: generated once in the daemon's real format (bench/scale-gen.mjs) into a cache dir
//    ($OMNI_BENCH_CACHE, default ~/.cache/omni-bench/v<N>-…), reused later (--fresh regenerates),
//    then laid out as a temp $OMNI_HOME/state (exited logs hard-linked, the rest copied). The
//    live sessions are Claude records whose tmux sessions (in omni's private tmux server) run
//    `sleep`: the daemon adopts them and serves their agent sockets like any Claude session's.
// 2. Daemon cold start, twice (`omni daemon run` spawned here): the first on state as generated
//    (no per-session summaries, no cost ledger), the second on what the first left. Each: time to
//    the first control answer (GET /v1/daemon) and to the first hook answer on a live session,
//    CPU seconds, RSS and peak (/proc), then the same once its CPU has settled, and open fds.
// 3. CLI wall times, median of --reps: `omni ls --json`, `omni cost --json` (and --by model,
//    --by day), `omni events <the 10,000-event session> --json` full, `--since <last-100>` and
//    `--last 100` (n/a where this omni has no --last).
// 4. Hook latency: raw PreToolUse POSTs to a live session's agent socket, idle, then while
//    `omni cost --json` and a full `omni events` of the largest session run in a loop.
// See bench/README.md.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkState, ensureState, materialize } from './scale-gen.mjs';
import { table } from './scale-table.mjs';
import { DIST, FIXTURE, OMNI_JS, createWorld, eachArg, machine, ms, now, parseOptions, r2, rawPost, runMain, sayer, sleepSync, stats, waitGone } from './lib.mjs';

// ---------------------------------------------------------------------------------- options
function parseArgs(argv) {
  const o = { sessions: 100, events: 1_000_000, live: 5, reps: 5, hooks: 300, loadRounds: 3, loadSeconds: 600, fresh: false, json: false, keep: false, quick: false, reprice: false };
  const set = {};
  eachArg(argv, (a, flag, num) => {
    if (flag === '--sessions') set.sessions = num();
    else if (flag === '--events') set.events = num();
    else if (flag === '--live') set.live = num();
    else if (flag === '--reps') set.reps = num();
    else if (flag === '--hooks') set.hooks = num();
    else if (flag === '--load-seconds') set.loadSeconds = num();
    else if (a === '--quick') o.quick = true;
    else if (a === '--fresh') o.fresh = true;
    else if (a === '--reprice') o.reprice = true;
    else if (a === '--json') o.json = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node bench/scale.mjs [--quick] [--sessions 100] [--events 1000000] [--live 5] [--reps 5] [--hooks 300] [--load-seconds 600] [--fresh] [--reprice] [--json] [--keep]\n');
      process.exit(0);
    } else throw new Error(`unknown argument: ${a}`);
  });
  // --quick: the same code paths on a small state, few repetitions.
  if (o.quick) Object.assign(o, { sessions: 10, events: 20_000, live: 2, reps: 1, hooks: 40, loadRounds: 1, loadSeconds: 120 });
  Object.assign(o, set);
  if (o.sessions < 2 || o.live < 1 || o.live >= o.sessions) throw new Error('need --sessions ≥ 2 and 1 ≤ --live < --sessions');
  if (o.events < o.sessions * 20) throw new Error('--events must be at least 20 per session');
  if (o.reps < 1 || o.hooks < 1) throw new Error('--reps and --hooks must be at least 1');
  return o;
}

const opts = parseOptions('scale', parseArgs);
const say = sayer(opts);
// Before createWorld's own handlers (which clean its dir and exit): the daemon and tmux first.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => stopOurs());
const world = createWorld({ prefix: 'oms-', say, keep: opts.keep });
const { dir, env, omniHome, work } = world;
const sock = path.join(omniHome, 'run', 'omni.sock');
const tmuxSock = path.join(omniHome, 'run', 'tmux.sock');
const daemonLog = path.join(omniHome, 'log', 'bench-daemon.out');
let daemonPid;
const MiB = 1024 * 1024;
const ratio = (a, b) => (b > 0 && Number.isFinite(a) ? r2(a / b) : NaN);
const median = (xs) => stats(xs).p50;

// ------------------------------------------------------------------------------ /proc
function procStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    let fds = NaN;
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      /* not ours to read */
    }
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
    return { cpuS: (Number(f[11]) + Number(f[12])) / 100, rssMiB: r2((kb('VmRSS') * 1024) / MiB), hwmMiB: r2((kb('VmHWM') * 1024) / MiB), fds };
  } catch {
    return { cpuS: NaN, rssMiB: NaN, hwmMiB: NaN, fds: NaN };
  }
}

// ------------------------------------------------------------------------------ requests
const sleep = (msec) => new Promise((r) => setTimeout(r, msec));

/** GET on the control socket; resolves { status, body } or { error }. */
function getJson(urlPath) {
  return new Promise((resolve) => {
    import('node:http').then(({ default: http }) => {
      const req = http.request({ socketPath: sock, path: urlPath, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      });
      req.on('error', (error) => resolve({ error }));
      req.end();
    });
  });
}

/** Retries `attempt` every 5 ms until it returns true; the time since `t0` it first did. */
async function firstSuccess(t0, attempt, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await attempt()) return ms(t0, now());
    await sleep(5);
  }
  return NaN;
}

// ------------------------------------------------------------------------------ the daemon
/**
 * Spawns `omni daemon run` and measures its start: first control answer, first hook answer on a
 * live session, /proc figures then and once its CPU has settled.
 */
async function coldStart(live) {
  const out = fs.openSync(daemonLog, 'a');
  const t0 = now();
  const child = spawn(process.execPath, [OMNI_JS, 'daemon', 'run'], { env, cwd: '/', detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.unref();
  daemonPid = child.pid;
  let atAnswer;
  const answer = firstSuccess(
    t0,
    async () => {
      const r = await getJson('/v1/daemon');
      if (r.status !== 200) return false;
      atAnswer = procStat(child.pid);
      return true;
    },
    600_000,
  );
  const hook = firstSuccess(t0, async () => (await rawPost(live.sock, live.payload(), { timeoutMs: 60_000 })).body === '0\n', 600_000);
  const [answerMs, hookMs] = await Promise.all([answer, hook]);
  if (!Number.isFinite(answerMs)) throw new Error(`the daemon never answered; see ${daemonLog}`);
  // Settled: two quiet 250 ms windows in a row (≤ 1 clock tick of CPU each), at most 60 s.
  let quiet = 0;
  let last = procStat(child.pid).cpuS;
  let settledMs = NaN;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    await sleep(250);
    const cur = procStat(child.pid).cpuS;
    quiet = cur - last <= 0.011 ? quiet + 1 : 0;
    last = cur;
    if (quiet === 2) {
      settledMs = ms(t0, now()) - 500;
      break;
    }
  }
  const settled = procStat(child.pid);
  return { pid: child.pid, answerMs: r2(answerMs), hookMs: r2(hookMs), cpuS: atAnswer.cpuS, rssMiB: atAnswer.rssMiB, hwmMiB: atAnswer.hwmMiB, settledMs: r2(settledMs), settledCpuS: settled.cpuS, settledRssMiB: settled.rssMiB, settledHwmMiB: settled.hwmMiB, fds: settled.fds };
}

function stopDaemon() {
  if (!daemonPid) return;
  world.omni(['daemon', 'stop'], { timeoutMs: 30_000 });
  if (!waitGone(daemonPid, 15_000)) {
    try {
      process.kill(daemonPid, 'SIGKILL');
    } catch {
      /* gone */
    }
    waitGone(daemonPid, 3_000);
  }
  daemonPid = undefined;
}

// ------------------------------------------------------------------------------ commands
/** Wall time of `node <args>` (or `omni <args>` with `omni: true`), median and min over `reps`. */
function timeCmd(args, reps, { omni = true, check } = {}) {
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    const r = spawnSync(process.execPath, omni ? [OMNI_JS, ...args] : args, { env, cwd: work, encoding: 'utf8', maxBuffer: 2 ** 31 - 1, timeout: 600_000, stdio: ['ignore', 'pipe', 'pipe'] });
    const t = ms(t0, now());
    if (r.status !== 0) throw new Error(`${omni ? 'omni ' : 'node '}${args.join(' ')} exited ${r.status ?? r.error?.message}: ${(r.stderr ?? '').trim().slice(0, 400)}`);
    const why = check?.(r.stdout);
    if (why) throw new Error(`${omni ? 'omni ' : 'node '}${args.join(' ')}: ${why}`);
    times.push(t);
  }
  const s = stats(times);
  say(`  ${omni ? 'omni ' : 'node '}${args.join(' ')}: ${s.p50} ms (median of ${reps})`);
  return { ms: s.p50, min: s.min, reps };
}

const lineCount = (out) => out.split('\n').filter(Boolean).length;

/**
 * `omni <args>` run again and again (async, output discarded) until `stop()` says so; `halt()`
 * ends the run in flight too (not counted: it was cut short, not failed).
 */
function loop(args, stop, counter, key) {
  let child;
  let halted = false;
  const done = (async () => {
    while (!stop()) {
      const code = await new Promise((resolve) => {
        child = spawn(process.execPath, [OMNI_JS, ...args], { env, cwd: work, stdio: ['ignore', 'ignore', 'ignore'] });
        child.on('exit', resolve);
        child.on('error', () => resolve(-1));
      });
      if (halted) break;
      if (code !== 0) counter.failures++;
      else counter[key]++;
    }
  })();
  return {
    done,
    halt: () => {
      halted = true;
      child?.kill();
    },
  };
}

/**
 * `n` sequential PreToolUse POSTs (at least; under load, until every load loop has finished
 * `rounds` runs), 10 ms apart. With `loads`, those `omni` commands run in loops meanwhile.
 */
async function hookRun(live, n, loads = [], rounds = 0, capMs = Infinity) {
  const counter = { failures: 0, ...Object.fromEntries(loads.map(([k]) => [k, 0])) };
  let done = false;
  const loops = loads.map(([key, args]) => loop(args, () => done, counter, key));
  if (loads.length) await sleep(300); // the loads under way
  const times = [];
  let failures = 0;
  let firstWhy;
  // Under load: until every loop has done its rounds, or `capMs` has passed (then the rounds
  // done are what the summary's loadRuns says).
  const t0 = Date.now();
  const enough = () => times.length + failures >= n && (loads.every(([k]) => counter[k] >= rounds) || Date.now() - t0 > capMs);
  while (!enough()) {
    const r = await rawPost(live.sock, live.payload(), { timeoutMs: 60_000 });
    if (r.error || r.status !== 200 || r.body !== '0\n') {
      failures++;
      firstWhy ??= r.error?.message ?? `HTTP ${r.status} ${JSON.stringify(r.body)}`;
    } else times.push(r.t);
    await sleep(10);
  }
  done = true;
  // Past the cap, the runs in flight are cut short; otherwise they finish.
  if (Date.now() - t0 > capMs) for (const l of loops) l.halt();
  await Promise.all(loops.map((l) => l.done));
  return { ...stats(times), failures, ...(firstWhy ? { firstWhy } : {}), seconds: r2((Date.now() - t0) / 1000), loadRuns: Object.fromEntries(loads.map(([k]) => [k, counter[k]])), loadFailures: counter.failures };
}

// ------------------------------------------------------------------------------ main
async function main() {
  if (!fs.existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` first');
  const loadBefore = os.loadavg()[0];
  const tGen = now();
  say(`state: ${opts.sessions} sessions, ${opts.events} events, ${opts.live} live`);
  const gen = ensureState({ sessions: opts.sessions, events: opts.events, live: opts.live, fresh: opts.fresh, say });
  const { manifest } = gen;
  say(`${gen.reused ? 'reused' : 'generated'} ${gen.dir} (${(manifest.totalBytes / MiB).toFixed(0)} MiB) in ${(ms(tGen, now()) / 1000).toFixed(1)} s`);
  const tLay = now();
  const { linked } = materialize(gen.dir, manifest, path.join(omniHome, 'state'));
  // As a daemon leaves it: the price book in force applied before the history began, so no
  // logged price is stale. --reprice leaves that out: the start then reprices every usage event
  // (what the first start after a price change does).
  if (!opts.reprice) {
    const { Meter } = await import(pathToFileURL(path.join(DIST, 'cost', 'meter.js')).href);
    const fingerprint = new Meter({ configDir: path.join(omniHome, 'config'), cacheDir: path.join(omniHome, 'cache') }).fingerprint();
    fs.writeFileSync(path.join(omniHome, 'state', 'prices-applied.json'), JSON.stringify({ fingerprint, at: '2020-01-01T00:00:00.000Z' }) + '\n', { mode: 0o600 });
  }
  const layMs = ms(tLay, now());
  say(`world ${dir}: state laid out in ${(layMs / 1000).toFixed(1)} s (${linked} logs linked)`);

  // The live sessions' panes: omni's private tmux server, a session per record, named by its id.
  const liveOnes = manifest.sessions.filter((s) => s.live);
  fs.mkdirSync(path.dirname(tmuxSock), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.dirname(daemonLog), { recursive: true, mode: 0o700 });
  for (const s of liveOnes) {
    const r = spawnSync('tmux', ['-S', tmuxSock, '-f', '/dev/null', 'new-session', '-d', '-s', s.id, '-x', '120', '-y', '40', 'sleep 1000000'], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux new-session ${s.id}: ${r.stderr.trim()}`);
  }
  const recs = JSON.parse(fs.readFileSync(path.join(omniHome, 'state', 'sessions.json'), 'utf8')).sessions;
  const liveRec = recs.find((r) => r.id === liveOnes[0].id);
  const base = { ...JSON.parse(fs.readFileSync(FIXTURE, 'utf8')), cwd: work, session_id: liveRec.harnessSessionId, transcript_path: liveRec.transcriptPath, tool_input: { command: 'echo hi', description: 'bench' } };
  let callNo = 0;
  const live = { sock: path.join(omniHome, 'run', 'agent', liveRec.id, 'hook.sock'), payload: () => JSON.stringify({ ...base, tool_use_id: `toolu_scale_${++callNo}` }) };
  const target = manifest.sessions[0];
  const largest = [...manifest.sessions].sort((a, b) => b.events - a.events)[0];

  // Baselines of this run.
  say('baseline: node -e 0');
  const node = timeCmd(['-e', '0'], opts.quick ? 3 : Math.max(5, opts.reps * 2), { omni: false });

  say('daemon cold start 1 (state as generated)');
  const first = await coldStart(live);
  say(`  ${JSON.stringify(first)}`);
  stopDaemon();
  // The baseline for the starts: the same live sessions with no history (the exited sessions'
  // directories set aside and left out of the index), between start 1 and 2 so it pays no
  // first-spawn disk reads the others do not, so "grows with live sessions, not with
  // history" is a comparison of two starts in this run.
  say('daemon cold start 0 (the live sessions only: no history)');
  const stateDir = path.join(omniHome, 'state');
  const indexFile = path.join(stateDir, 'sessions.json');
  const aside = path.join(dir, 'history-aside');
  const fullIndex = fs.readFileSync(indexFile, 'utf8');
  const liveIds = new Set(liveOnes.map((s) => s.id));
  fs.mkdirSync(aside);
  const setAside = manifest.sessions.filter((s) => !liveIds.has(s.id)).map((s) => s.id);
  for (const id of setAside) fs.renameSync(path.join(stateDir, 'sessions', id), path.join(aside, id));
  const parsedIndex = JSON.parse(fullIndex);
  fs.writeFileSync(indexFile, JSON.stringify({ ...parsedIndex, sessions: parsedIndex.sessions.filter((r) => liveIds.has(r.id)) }, null, 2) + '\n', { mode: 0o600 });
  const empty = await coldStart(live);
  say(`  ${JSON.stringify(empty)}`);
  stopDaemon();
  for (const id of setAside) fs.renameSync(path.join(aside, id), path.join(stateDir, 'sessions', id));
  // The live sessions' records as that start left them (adopted), the rest as generated.
  const afterEmpty = new Map(JSON.parse(fs.readFileSync(indexFile, 'utf8')).sessions.map((r) => [r.id, r]));
  fs.writeFileSync(indexFile, JSON.stringify({ ...parsedIndex, sessions: parsedIndex.sessions.map((r) => afterEmpty.get(r.id) ?? r) }, null, 2) + '\n', { mode: 0o600 });

  say('daemon cold start 2 (what the first start left)');
  const second = await coldStart(live);
  say(`  ${JSON.stringify(second)}`);
  const liveAfter = JSON.parse(world.must(['ls', '--json']).stdout).filter((r) => r.status !== 'exited' && r.status !== 'failed').length;

  say(`commands, ${opts.reps} runs each`);
  const ls = timeCmd(['ls', '--json'], opts.reps, { check: (o) => (JSON.parse(o).length === opts.live ? undefined : 'wrong live session count') });
  const cost = timeCmd(['cost', '--json'], opts.reps, { check: (o) => (JSON.parse(o).total.messages > 0 ? undefined : 'no messages counted') });
  const costByModel = timeCmd(['cost', '--json', '--by', 'model'], opts.reps);
  const costByDay = timeCmd(['cost', '--json', '--by', 'day'], opts.reps);
  const hwmAfterCost = procStat(second.pid).hwmMiB;
  const expectAll = (n) => (o) => (lineCount(o) >= n ? undefined : `${lineCount(o)} events, expected ${n}`);
  const eventsFull = timeCmd(['events', target.id, '--json'], opts.reps, { check: expectAll(target.events) });
  const eventsSince = timeCmd(['events', target.id, '--json', '--since', String(target.events - 100)], opts.reps, { check: expectAll(100) });
  const hasLast = /--last\b/.test(world.omni(['events', '--help']).stdout);
  const eventsLast = hasLast ? timeCmd(['events', target.id, '--json', '--last', '100'], opts.reps, { check: expectAll(100) }) : 'n/a';

  say(`hook latency: ${opts.hooks} POSTs idle, then under load (omni cost, omni events of ${largest.events} events)`);
  const idle = await hookRun(live, opts.hooks);
  say(`  idle: p50 ${idle.p50} ms, p99 ${idle.p99} ms, max ${idle.max} ms`);
  const loaded = await hookRun(
    live,
    opts.hooks,
    [
      ['cost', ['cost', '--json']],
      ['events', ['events', largest.id, '--json']],
    ],
    opts.loadRounds,
    opts.loadSeconds * 1000,
  );
  stopDaemon();
  const integrity = checkState(gen.dir);

  const x = (c) => (typeof c === 'string' ? c : { ...c, xNode: ratio(c.ms, node.ms), xLs: ratio(c.ms, ls.ms) });
  const summary = {
    bench: 'scale',
    date: new Date().toISOString(),
    // Other work on the machine shows in every figure; the ratios to the same-run baselines less.
    machine: { ...machine(), loadavg1: { before: r2(loadBefore), after: r2(os.loadavg()[0]) } },
    quick: opts.quick,
    reprice: opts.reprice,
    state: { sessions: opts.sessions, events: manifest.totalEvents, live: opts.live, liveKind: 'claude records on sleep panes', bytes: manifest.totalBytes, cache: gen.dir, reused: gen.reused, generatedMs: manifest.generatedMs, laidOutMs: r2(layMs), eventsSession: { id: target.id, events: target.events }, largest: { id: largest.id, events: largest.events } },
    baseline: { nodeMs: node.ms, lsMs: ls.ms },
    start: {
      noHistory: { ...empty, pid: undefined, xNode: ratio(empty.answerMs, node.ms) },
      first: { ...first, pid: undefined, xNode: ratio(first.answerMs, node.ms), xNoHistory: ratio(first.answerMs, empty.answerMs) },
      second: { ...second, pid: undefined, xNode: ratio(second.answerMs, node.ms), xNoHistory: ratio(second.answerMs, empty.answerMs) },
    },
    liveAdopted: liveAfter,
    rss: { afterStartMiB: second.settledRssMiB, peakMiB: second.settledHwmMiB, peakWithCostMiB: hwmAfterCost },
    commands: { ls: x(ls), cost: x(cost), costByModel: x(costByModel), costByDay: x(costByDay), eventsFull: x(eventsFull), eventsSince: x(eventsSince), eventsLast: x(eventsLast) },
    hooks: { unit: 'ms', idle, load: loaded, p99Ratio: ratio(loaded.p99, idle.p99), maxUnderLoad: loaded.max },
    integrity: integrity ?? 'ok',
  };
  const failures = idle.failures + loaded.failures + loaded.loadFailures + (liveAfter === opts.live ? 0 : 1) + (integrity ? 1 : 0);
  summary.failures = failures;

  if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else process.stdout.write(table(summary) + '\n');
  return failures === 0 ? 0 : 1;
}

function stopOurs() {
  try {
    stopDaemon();
  } catch {
    /* best effort */
  }
  spawnSync('tmux', ['-S', tmuxSock, 'kill-server'], { stdio: 'ignore' });
  sleepSync(50);
}

function cleanup() {
  stopOurs();
  world.cleanup();
}

await runMain('scale', main, cleanup);
