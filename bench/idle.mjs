#!/usr/bin/env node
// Idle bench: what omni costs while nothing happens.
//
//   npm run build && node bench/idle.mjs [--sessions 20] [--window 60] [--settle 150] [--claude 0] [--quick] [--json] [--keep]
//
// Starts an isolated daemon (test/helpers/scripted-daemon.mjs: the real dist/ daemon with the
// scripted test harness added) with N live idle sessions of the scripted harness
// (test/fixtures/scripted/harness.mjs), plus `--claude` real Claude sessions (pinned claude, idle,
// model on a closed port) if asked. Once they settle it samples, over one window, the CPU time
// (/proc/<pid>/stat: utime+stime, plus cutime+cstime of the children it reaped, e.g. spawned tmux
// clients) of
//   baseline   an idle `node -e "setInterval(()=>{},1e9)"`, the floor of any node process
//   daemon     omni's daemon
//   tmux       omni's private tmux server (it answers whatever the daemon asks)
// then starts `omni dashboard` in a pane of a separate tmux server (as a person would run it),
// lets it settle and samples the dashboard and the daemon again over a second window.
// The default settle (150 s) lets the dashboard's ages pass a minute (younger ones change, and
// are redrawn, every second) and its preview of an unchanged screen back off to its slowest. `--quick`: 8 sessions, 2 s settle, 5 s windows (CI). Prints a table, or one JSON line with --json; exits 1
// if a figure is missing. See bench/README.md for what the figures mean.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DIST, HARNESS_BIN, OMNI_JS, ROOT, alive, createWorld, eachArg, machine, parseOptions, r2, runMain, sayer, waitGone } from './lib.mjs';

// ---------------------------------------------------------------------------------- options
function parseArgs(argv) {
  const o = { sessions: 20, window: 60, settle: 150, claude: 0, quick: false, json: false, keep: false };
  const set = { sessions: false, window: false, settle: false };
  eachArg(argv, (a, flag, num) => {
    if (flag === '--sessions') (o.sessions = num()), (set.sessions = true);
    else if (flag === '--window') (o.window = num()), (set.window = true);
    else if (flag === '--settle') (o.settle = num()), (set.settle = true);
    else if (flag === '--claude') o.claude = num();
    else if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node bench/idle.mjs [--sessions 20] [--window 60] [--settle 150] [--claude 0] [--quick] [--json] [--keep]\n');
      process.exit(0);
    } else throw new Error(`unknown argument: ${a}`);
  });
  if (o.quick) {
    if (!set.sessions) o.sessions = 8;
    if (!set.window) o.window = 5;
    if (!set.settle) o.settle = 2;
  }
  if (o.sessions < 1) throw new Error('--sessions must be at least 1');
  if (o.window < 1) throw new Error('--window must be at least 1 (seconds)');
  return o;
}

const opts = parseOptions('idle', parseArgs);
const say = sayer(opts);
const world = createWorld({ prefix: 'omi-', say, keep: opts.keep });
const { dir, env, omniHome, work } = world;
const DAEMON = path.join(ROOT, 'test', 'helpers', 'scripted-daemon.mjs');
const tmuxSock = path.join(omniHome, 'run', 'tmux.sock');
const userSock = path.join(dir, 'user-tmux.sock');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------- CPU sampling
const TICK_MS = 1000 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100);

/** CPU time of `pid` so far, ms: its own, and with the children it has reaped. */
function cpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) in parentheses; utime is field 14.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = [f[11], f[12], f[13], f[14]].map(Number);
  return { self: (utime + stime) * TICK_MS, withChildren: (utime + stime + cutime + cstime) * TICK_MS };
}

/** Samples every pid over the same window; % of one core, self and with reaped children. */
async function sample(pids, windowSec) {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  const t0 = process.hrtime.bigint();
  await sleep(windowSec * 1000);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const out = {};
  for (const [k, pid] of Object.entries(pids)) {
    if (!alive(pid)) throw new Error(`${k} (pid ${pid}) died during the window`);
    const after = cpuMs(pid);
    const self = after.self - before[k].self;
    const total = after.withChildren - before[k].withChildren;
    out[k] = { pid, cpuMs: r2(total), selfCpuMs: r2(self), pctCore: r2((100 * total) / wallMs), wallMs: Math.round(wallMs) };
  }
  return out;
}

// ------------------------------------------------------------------------------ the daemon
function api(method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ socketPath: path.join(omniHome, 'run', 'omni.sock'), method, path: urlPath, headers: data ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

let daemonPid;
let dashboardStarted = false;
const spawned = [];

async function startDaemon() {
  fs.mkdirSync(path.join(omniHome, 'log'), { recursive: true, mode: 0o700 });
  const out = fs.openSync(path.join(omniHome, 'log', 'bench-daemon.out'), 'a', 0o600);
  const child = spawn(process.execPath, [DAEMON], { detached: true, stdio: ['ignore', out, out], env, cwd: '/' });
  child.unref();
  fs.closeSync(out);
  const info = await until(() => api('GET', '/v1/daemon').then((r) => r.status === 200 && r.body), 20_000, 'the daemon to answer');
  daemonPid = info.pid;
}

async function startScripted(name) {
  const r = await api('POST', '/v1/sessions', { harness: 'scripted', cwd: work, env, name });
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  const w = await api('GET', `/v1/sessions/${name}/wait?for=idle&timeout=60`);
  if (w.status !== 200) throw new Error(`${name} never became idle: ${JSON.stringify(w.body)}`);
}

/** `omni dashboard` on a terminal: a pane of a tmux server of its own; its pid. */
async function startDashboard() {
  const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  const envs = Object.entries(env).map(([k, v]) => `${k}=${q(v)}`).join(' ');
  const cmd = `exec env ${envs} ${q(process.execPath)} ${q(OMNI_JS)} dashboard`;
  const r = spawnSync('tmux', ['-S', userSock, '-f', '/dev/null', 'new-session', '-d', '-x', '160', '-y', '45', '-P', '-F', '#{pane_pid}', cmd], { encoding: 'utf8', env: { PATH: env.PATH, HOME: env.HOME, TERM: 'xterm-256color' } });
  if (r.status !== 0) throw new Error(`tmux new-session for the dashboard: ${r.stderr.trim()}`);
  dashboardStarted = true;
  const pid = Number(r.stdout.trim());
  // Drawn once its rows are on the screen.
  await until(async () => /bench-1/.test(spawnSync('tmux', ['-S', userSock, 'capture-pane', '-p'], { encoding: 'utf8' }).stdout), 30_000, 'the dashboard to draw');
  return pid;
}

function tmuxServerPid() {
  const r = spawnSync('tmux', ['-S', tmuxSock, 'display-message', '-p', '#{pid}'], { encoding: 'utf8' });
  const pid = Number(r.stdout.trim());
  if (!(pid > 0)) throw new Error(`no tmux server on ${tmuxSock}: ${r.stderr.trim()}`);
  return pid;
}

// --------------------------------------------------------------------------------- main
async function main() {
  if (!fs.existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` first');
  if (opts.claude > 0 && !fs.existsSync(path.join(HARNESS_BIN, 'claude'))) throw new Error(`no pinned claude at ${HARNESS_BIN}/claude: run \`npm run test:setup\``);
  say(`world: ${dir}`);
  const baseline = spawn(process.execPath, ['-e', 'setInterval(()=>{},1e9)'], { stdio: 'ignore' });
  spawned.push(baseline);
  await startDaemon();
  say(`daemon pid ${daemonPid}; starting ${opts.sessions} scripted session(s)${opts.claude ? ` and ${opts.claude} Claude session(s)` : ''}`);
  for (let i = 1; i <= opts.sessions; i++) await startScripted(`bench-${i}`);
  for (let i = 1; i <= opts.claude; i++) {
    world.startSession(`claude-${i}`);
    const w = world.omni(['wait', `claude-${i}`, '--for', 'idle', '--timeout', '90'], { timeoutMs: 100_000 });
    if (w.code !== 0) throw new Error(`claude-${i} never became idle: ${w.stderr.trim()}`);
  }
  say(`settling ${opts.settle} s`);
  await sleep(opts.settle * 1000);
  say(`sampling the daemon, tmux and the baseline for ${opts.window} s`);
  const idle = await sample({ baseline: baseline.pid, daemon: daemonPid, tmux: tmuxServerPid() }, opts.window);

  say('starting `omni dashboard` in a tmux pane');
  const dashPid = await startDashboard();
  say(`settling ${opts.settle} s`);
  await sleep(opts.settle * 1000);
  say(`sampling the dashboard, the daemon and the baseline for ${opts.window} s`);
  const dash = await sample({ baseline: baseline.pid, dashboard: dashPid, daemon: daemonPid }, opts.window);

  const floor = TICK_MS; // the baseline often uses less than one clock tick in a window
  const ratio = (x, base) => r2(x.cpuMs / Math.max(base.cpuMs, floor));
  const figures = {
    baseline: idle.baseline,
    daemon: { ...idle.daemon, xBaseline: ratio(idle.daemon, idle.baseline) },
    tmux: { ...idle.tmux, xBaseline: ratio(idle.tmux, idle.baseline) },
    dashboard: { ...dash.dashboard, xBaseline: ratio(dash.dashboard, dash.baseline) },
    daemonWithDashboard: { ...dash.daemon, xBaseline: ratio(dash.daemon, dash.baseline) },
    baseline2: dash.baseline,
  };
  const missing = Object.entries(figures).filter(([, v]) => !Number.isFinite(v?.pctCore)).map(([k]) => k);
  const summary = {
    bench: 'idle',
    quick: opts.quick,
    sessions: opts.sessions,
    claudeSessions: opts.claude,
    windowSec: opts.window,
    clockTickMs: TICK_MS,
    goalPctCore: 0.2,
    ...figures,
    machine: machine(),
  };
  if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else printTable(summary);
  if (missing.length) {
    process.stderr.write(`idle: missing figures: ${missing.join(', ')}\n`);
    return 1;
  }
  return 0;
}

function printTable(s) {
  const row = (label, x) =>
    `${label.padEnd(34)}${String(x.cpuMs).padStart(10)}${x.pctCore.toFixed(3).padStart(10)}${(x.xBaseline === undefined ? '-' : `${x.xBaseline}×`).padStart(12)}`;
  const lines = [
    `idle: ${s.sessions} scripted${s.claudeSessions ? ` + ${s.claudeSessions} Claude` : ''} session(s), ${s.windowSec} s windows, clock tick ${s.clockTickMs} ms; goal ≤ ${s.goalPctCore} % of a core`,
    `${'process'.padEnd(34)}${'CPU ms'.padStart(10)}${'% core'.padStart(10)}${'× baseline'.padStart(12)}`,
    row('baseline (idle node)', s.baseline),
    row(`daemon, ${s.sessions} idle sessions`, s.daemon),
    row('omni tmux server', s.tmux),
    row('baseline (second window)', s.baseline2),
    row('dashboard', s.dashboard),
    row('daemon, dashboard open', s.daemonWithDashboard),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

function cleanup() {
  for (const c of spawned) c.kill('SIGKILL');
  if (dashboardStarted) spawnSync('tmux', ['-S', userSock, 'kill-server'], { stdio: 'ignore' });
  // The scripted panes end with omni's tmux server; the daemon then has nothing left to watch.
  spawnSync('tmux', ['-S', tmuxSock, 'kill-server'], { stdio: 'ignore' });
  if (daemonPid && alive(daemonPid)) {
    world.omni(['daemon', 'stop'], { timeoutMs: 15_000 });
    if (!waitGone(daemonPid, 5_000)) process.kill(daemonPid, 'SIGKILL');
  }
  world.cleanup();
}

await runMain('idle', main, cleanup);
