#!/usr/bin/env node
// Hook latency bench: how much time omni adds to Claude Code's PreToolUse round trip.
//
//   npm run build && node bench/hook-latency.mjs [--n 500] [--warmup 20] [--json] [--no-node] [--keep]
//
// Starts a real omni Claude session (pinned claude from test/harness-clis, idle, no model
// traffic) in an isolated HOME/OMNI_HOME, reads the exact PreToolUse hook command omni wrote
// into the session's claude-settings.json, then times, interleaved, N runs of each variant:
//   noop      /bin/sh -c 'cat >/dev/null'             the cheapest possible command hook
//   omni      /bin/sh -c '<omni's PreToolUse command>' what Claude Code runs for omni
//   curl      /bin/sh -c 'curl ... --unix-socket'     the bare curl POST, without the sh client
//   http      node http over the agent socket, in this process (daemon work + one connection)
//   node      /bin/sh -c 'node bin/omni.js hook-post'  the client's fallback when curl is missing
// Claude Code runs a command hook as `/bin/sh -c "<command>"` with the JSON payload on stdin,
// which is what every spawned variant does here. See bench/README.md for what the figures mean.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OMNI_JS = path.join(ROOT, 'bin', 'omni.js');
const HARNESS_BIN = path.join(ROOT, 'test', 'harness-clis', 'node_modules', '.bin');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'claude', 'hook-PreToolUse.json');

// ---------------------------------------------------------------------------------- options
function parseArgs(argv) {
  const o = { n: 500, warmup: 20, json: false, node: true, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      const num = Number(v);
      if (!Number.isInteger(num) || num < 0) throw new Error(`${a.split('=')[0]} needs a whole number, got ${v}`);
      return num;
    };
    if (a === '--n' || a.startsWith('--n=') || a === '-n') o.n = val();
    else if (a === '--warmup' || a.startsWith('--warmup=')) o.warmup = val();
    else if (a === '--json') o.json = true;
    else if (a === '--no-node') o.node = false;
    else if (a === '--keep') o.keep = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node bench/hook-latency.mjs [--n 500] [--warmup 20] [--json] [--no-node] [--keep]\n');
      process.exit(0);
    } else throw new Error(`unknown argument: ${a}`);
  }
  if (o.n < 1) throw new Error('--n must be at least 1');
  return o;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`hook-latency: ${err.message}\n`);
  process.exit(2);
}
const say = (msg) => {
  if (!opts.json) process.stderr.write(`${msg}\n`);
};

// ------------------------------------------------------------------------ isolated world
// Short paths: the agent socket lives at $OMNI_HOME/run/agent/<id>.sock, capped at 108 bytes.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omb-'));
const home = path.join(dir, 'home');
const omniHome = path.join(dir, 'o');
const work = path.join(dir, 'work');
for (const d of [home, omniHome, work]) fs.mkdirSync(d, { recursive: true });
const tmuxSock = path.join(omniHome, 'run', 'tmux.sock');

// The environment the e2e tests give omni (test/helpers/omni.ts), with a model URL on a closed
// port: Claude's interactive startup does not call the model, so the session sits idle.
const env = {
  PATH: `${HARNESS_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
  HOME: home,
  OMNI_HOME: omniHome,
  LANG: 'C.UTF-8',
  NO_COLOR: '1',
  DISABLE_TELEMETRY: '1',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
  DISABLE_AUTOUPDATER: '1',
  ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
  ANTHROPIC_AUTH_TOKEN: 'x',
};

function omni(args, { timeoutMs = 120_000, input } = {}) {
  const r = spawnSync(process.execPath, [OMNI_JS, ...args], {
    env,
    cwd: work,
    input,
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

function must(args, opt) {
  const r = omni(args, opt);
  if (r.code !== 0) throw new Error(`omni ${args.join(' ')} exited ${r.code ?? r.error?.message}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r;
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleepSync = (msec) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, msec);
/** Wait until `pid` has exited; true if it did within `msec`. */
function waitGone(pid, msec) {
  const deadline = Date.now() + msec;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    sleepSync(50);
  }
  return true;
}

let cleaned = false;
let claudePid; // the pane's process: the claude we started (the pane execs it)
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  say('cleaning up: stopping the session, tmux and the daemon');
  omni(['stop', 'bench'], { timeoutMs: 20_000 });
  // Claude outlives the killed tmux session by a second or so and runs its SessionEnd hook on
  // the way out. If the daemon were gone by then, omni-hook would start a new one (it restarts
  // a missing daemon) in a directory about to be deleted. So: daemon down only once claude is.
  if (claudePid && !waitGone(claudePid, 15_000)) {
    say(`claude (pid ${claudePid}) did not exit; killing it`);
    try {
      process.kill(claudePid, 'SIGKILL');
    } catch {
      /* gone */
    }
    waitGone(claudePid, 2_000);
  }
  spawnSync('tmux', ['-S', tmuxSock, 'kill-server'], { stdio: 'ignore' });
  omni(['daemon', 'stop'], { timeoutMs: 15_000 });
  try {
    const pid = Number(fs.readFileSync(path.join(omniHome, 'run', 'omnid.pid'), 'utf8'));
    if (pid > 0 && waitGone(pid, 5_000) === false) process.kill(pid, 'SIGKILL');
  } catch {
    /* no daemon left */
  }
  if (opts.keep) say(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

// ------------------------------------------------------------------------------- timing
const now = () => process.hrtime.bigint();
const ms = (a, b) => Number(b - a) / 1e6;

/** Run `/bin/sh -c <command>` with `input` on stdin, the way Claude Code runs a command hook. */
function runHook(command, input) {
  const t0 = now();
  const r = spawnSync('/bin/sh', ['-c', command], { input, env, cwd: work, encoding: 'utf8', timeout: 30_000 });
  const t1 = now();
  return { t: ms(t0, t1), code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** One POST on a fresh connection (like curl does), timed to the end of the reply. */
function rawPost(sock, body) {
  return new Promise((resolve) => {
    const t0 = now();
    const req = http.request(
      { socketPath: sock, path: '/hook/PreToolUse?mode=gate', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ t: ms(t0, now()), status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => resolve({ t: ms(t0, now()), error: err }));
      },
    );
    req.on('error', (err) => resolve({ t: ms(t0, now()), error: err }));
    req.end(body);
  });
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const pct = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const r = (x) => Math.round(x * 100) / 100;
  return { n: s.length, p50: r(pct(50)), p90: r(pct(90)), p99: r(pct(99)), mean: r(mean), min: r(s[0]), max: r(s[s.length - 1]) };
}

const shQuote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

// --------------------------------------------------------------------------------- main
async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist'))) throw new Error('dist/ is missing: run `npm run build` first');
  if (!fs.existsSync(path.join(HARNESS_BIN, 'claude'))) throw new Error(`no pinned claude at ${HARNESS_BIN}/claude: run \`npm run test:setup\``);

  say(`world: ${dir}`);
  say('starting an omni Claude session "bench" (real claude, idle, model on a closed port)');
  const started = must(['claude', '--json', '--name', 'bench', '--', '--permission-mode', 'default']);
  const session = JSON.parse(started.stdout);
  claudePid = session.panePid;
  const waited = omni(['wait', 'bench', '--for', 'idle', '--timeout', '90'], { timeoutMs: 100_000 });
  if (waited.code !== 0) throw new Error(`session never became idle: ${waited.stderr.trim() || waited.stdout.trim()}`);

  const settingsFile = path.join(omniHome, 'state', 'sessions', session.id, 'claude-settings.json');
  const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
  const hookCmd = settings.hooks?.PreToolUse?.[0]?.hooks?.[0]?.command;
  if (typeof hookCmd !== 'string') throw new Error(`no PreToolUse command hook in ${settingsFile}`);
  const sockMatch = /sh '[^']*omni-hook' '([^']+)'/.exec(hookCmd);
  const sock = sockMatch?.[1] ?? path.join(omniHome, 'run', 'agent', `${session.id}.sock`);
  if (!fs.existsSync(sock)) throw new Error(`agent socket ${sock} does not exist`);
  say(`session ${session.id}; PreToolUse hook command:\n  ${hookCmd}`);

  // The payload: the recorded fixture, with this session's own identity (the SessionStart hook
  // gave the daemon Claude's session id and transcript path) so the daemon's bookkeeping stays
  // consistent; tool_use_id changes on every call.
  const rec = JSON.parse(must(['ls', '--json']).stdout).find((s) => s.id === session.id) ?? session;
  claudePid = rec.panePid ?? session.panePid;
  const base = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
  if (rec.harnessSessionId) base.session_id = rec.harnessSessionId;
  if (rec.transcriptPath) base.transcript_path = rec.transcriptPath;
  base.cwd = work;
  base.tool_input = { command: 'echo hi', description: 'bench' };
  let callNo = 0;
  const payload = (variant) => JSON.stringify({ ...base, tool_use_id: `toolu_bench_${variant}_${++callNo}` });

  const curlCmd = `curl -sS --unix-socket ${shQuote(sock)} -H 'content-type: application/json' --data-binary @- 'http://omni/hook/PreToolUse?mode=gate'`;
  const nodeCmd = `${shQuote(process.execPath)} ${shQuote(OMNI_JS)} hook-post ${shQuote(sock)} PreToolUse gate`;

  // Each variant: run once, return { t, ok, why }. `daemon` marks those that reach the daemon.
  const check = (r, expectOut) => {
    if (r.error) return { t: r.t, ok: false, why: r.error.message };
    if (r.code !== 0) return { t: r.t, ok: false, why: `exit ${r.code}: ${r.stderr.trim()}` };
    if (r.stdout !== expectOut) return { t: r.t, ok: false, why: `stdout ${JSON.stringify(r.stdout)}` };
    if (r.stderr !== '') return { t: r.t, ok: false, why: `stderr ${JSON.stringify(r.stderr)}` };
    return { t: r.t, ok: true };
  };
  const variants = [
    { key: 'noop', label: "no-op hook   sh -c 'cat >/dev/null'", daemon: false, run: async () => check(runHook('cat >/dev/null', payload('noop')), '') },
    // No policy is loaded, so omni's verdict is "none": exit 0, nothing printed.
    { key: 'omni', label: 'omni hook    sh -c <settings command>', daemon: true, run: async () => check(runHook(hookCmd, payload('omni')), '') },
    { key: 'curl', label: 'bare curl    sh -c curl --unix-socket', daemon: true, run: async () => check(runHook(curlCmd, payload('curl')), '0\n') },
    {
      key: 'http',
      label: 'raw HTTP     in-process, fresh conn',
      daemon: true,
      run: async () => {
        const r = await rawPost(sock, payload('http'));
        if (r.error) return { t: r.t, ok: false, why: r.error.message };
        if (r.status !== 200 || r.body !== '0\n') return { t: r.t, ok: false, why: `HTTP ${r.status} ${JSON.stringify(r.body)}` };
        return { t: r.t, ok: true };
      },
    },
    ...(opts.node
      ? [{ key: 'node', label: 'node client  sh -c omni.js hook-post', daemon: true, run: async () => check(runHook(nodeCmd, payload('node')), '0\n') }]
      : []),
  ];

  const times = Object.fromEntries(variants.map((v) => [v.key, []]));
  const failures = Object.fromEntries(variants.map((v) => [v.key, 0]));
  const firstWhy = {};
  const total = opts.warmup + opts.n;
  say(`timing ${variants.length} variants x ${opts.n} runs (+${opts.warmup} warm-up), interleaved`);
  const tStart = Date.now();
  for (let i = 0; i < total; i++) {
    // Rotate the order every iteration, so no variant always runs right after the same other.
    for (let j = 0; j < variants.length; j++) {
      const v = variants[(i + j) % variants.length];
      const r = await v.run();
      if (!r.ok) {
        failures[v.key]++;
        firstWhy[v.key] ??= r.why;
      }
      if (i >= opts.warmup && r.ok) times[v.key].push(r.t);
    }
    if (!opts.json && (i + 1) % 100 === 0) process.stderr.write(`  ${i + 1}/${total}\n`);
  }
  const elapsed = (Date.now() - tStart) / 1000;

  // Every daemon-bound call must have become a tool.call event in the session's log.
  const evOut = must(['events', 'bench', '--json'], { timeoutMs: 60_000 }).stdout;
  const toolCalls = evOut.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.type === 'tool.call').length;
  const expectedCalls = variants.filter((v) => v.daemon).length * total - variants.filter((v) => v.daemon).reduce((a, v) => a + failures[v.key], 0);

  const figures = Object.fromEntries(variants.map((v) => [v.key, { ...stats(times[v.key].length ? times[v.key] : [NaN]), failures: failures[v.key] }]));
  const r2 = (x) => Math.round(x * 100) / 100;
  const added = {
    p50: r2(figures.omni.p50 - figures.noop.p50),
    p90: r2(figures.omni.p90 - figures.noop.p90),
    p99: r2(figures.omni.p99 - figures.noop.p99),
    mean: r2(figures.omni.mean - figures.noop.mean),
  };
  const tmuxV = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).stdout.trim();
  const summary = {
    bench: 'hook-latency',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model?.trim(), node: process.version, tmux: tmuxV, kernel: os.release() },
    n: opts.n,
    warmup: opts.warmup,
    elapsedS: Math.round(elapsed * 10) / 10,
    unit: 'ms',
    figures,
    addedByOmni: added,
    goal: { addedP50UnderMs: 10, met: added.p50 < 10 },
    toolCallEvents: { seen: toolCalls, expected: expectedCalls },
    failures: Object.values(failures).reduce((a, b) => a + b, 0),
    ...(Object.keys(firstWhy).length ? { firstFailure: firstWhy } : {}),
  };

  if (opts.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
  } else {
    const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-').padStart(8);
    const lines = [];
    lines.push('');
    lines.push(`PreToolUse hook round trip, ${opts.n} runs each (interleaved, ${opts.warmup} warm-up discarded), ms`);
    lines.push(`${os.cpus().length} CPUs (${summary.machine.cpu}), Node ${process.version}, ${tmuxV}, ${elapsed.toFixed(1)} s`);
    lines.push('');
    lines.push(`${'variant'.padEnd(40)}${'p50'.padStart(8)}${'p90'.padStart(8)}${'p99'.padStart(8)}${'mean'.padStart(8)}${'min'.padStart(8)}${'max'.padStart(8)}  fail`);
    for (const v of variants) {
      const s = figures[v.key];
      lines.push(`${v.label.padEnd(40)}${f(s.p50)}${f(s.p90)}${f(s.p99)}${f(s.mean)}${f(s.min)}${f(s.max)}  ${String(s.failures).padStart(4)}`);
    }
    lines.push('');
    lines.push(`added by omni (omni hook - no-op): p50 ${added.p50.toFixed(2)} ms, p90 ${added.p90.toFixed(2)} ms, p99 ${added.p99.toFixed(2)} ms, mean ${added.mean.toFixed(2)} ms`);
    lines.push(`goal: under 10 ms added at p50: ${summary.goal.met ? 'met' : 'NOT met'}`);
    lines.push(`daemon saw ${toolCalls} tool.call events, expected ${expectedCalls}${toolCalls === expectedCalls ? '' : '  <-- MISMATCH'}`);
    if (summary.failures) lines.push(`FAILURES: ${JSON.stringify(failures)}; first: ${JSON.stringify(firstWhy)}`);
    lines.push('');
    lines.push(JSON.stringify(summary));
    process.stdout.write(lines.join('\n') + '\n');
  }
  return summary.failures === 0 && toolCalls === expectedCalls ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  process.stderr.write(`hook-latency: ${err.stack ?? err}\n`);
  code = 1;
} finally {
  cleanup();
}
process.exit(code);
