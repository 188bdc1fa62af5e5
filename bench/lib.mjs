// Shared setup for the benches: options, an isolated omni world (temp HOME/OMNI_HOME, the omni
// CLI runners, real Claude sessions and their PreToolUse hook, cleanup), timing and tables.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(ROOT, 'dist');
export const OMNI_JS = path.join(ROOT, 'bin', 'omni.js');
export const HARNESS_BIN = path.join(ROOT, 'test', 'harness-clis', 'node_modules', '.bin');
export const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'claude', 'hook-PreToolUse.json');

// ---------------------------------------------------------------------------------- options
/**
 * Calls `fn(a, flag, num)` for each argument: `flag` is the part before any `=`, `num()` takes
 * the flag's value (after `=` or the next argument) as a whole number, or throws.
 */
export function eachArg(argv, fn) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const flag = a.split('=')[0];
    const num = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a whole number, got ${v}`);
      return n;
    };
    fn(a, flag, num);
  }
}

/**
 * `parse(argv)`, or the error on stderr as `<name>: …` and exit 2. With `quick` (the short
 * options of the bench's --quick mode), `--quick` stands for them; options given after it win.
 */
export function parseOptions(name, parse, quick) {
  try {
    const argv = process.argv.slice(2);
    return parse(quick ? argv.flatMap((a) => (a === '--quick' ? quick : [a])) : argv);
  } catch (err) {
    process.stderr.write(`${name}: ${err.message}\n`);
    process.exit(2);
  }
}

/** Progress on stderr, unless the bench prints only its JSON summary. */
export const sayer = (opts) => (msg) => {
  if (!opts.json) process.stderr.write(`${msg}\n`);
};

/** Runs `main`, then `cleanup` whatever happens, and exits with main's code (1 if it threw). */
export async function runMain(name, main, cleanup) {
  let code = 1;
  try {
    code = await main();
  } catch (err) {
    process.stderr.write(`${name}: ${err.stack ?? err}\n`);
    code = 1;
  } finally {
    cleanup();
  }
  process.exit(code);
}

// ------------------------------------------------------------------------------- processes
export const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
export const sleepSync = (msec) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, msec);
/** Wait until `pid` has exited; true if it did within `msec`. */
export function waitGone(pid, msec) {
  const deadline = Date.now() + msec;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    sleepSync(50);
  }
  return true;
}

// ------------------------------------------------------------------------------- timing
export const now = () => process.hrtime.bigint();
export const ms = (a, b) => Number(b - a) / 1e6;
export const us = (a, b) => Number(b - a) / 1e3;
export const r2 = (x) => Math.round(x * 100) / 100;

export function stats(xs) {
  if (!xs.length) return { n: 0, p50: NaN, p90: NaN, p99: NaN, mean: NaN, min: NaN, max: NaN };
  const s = [...xs].sort((a, b) => a - b);
  const pct = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, p50: r2(pct(50)), p90: r2(pct(90)), p99: r2(pct(99)), mean: r2(mean), min: r2(s[0]), max: r2(s[s.length - 1]) };
}

/** `p50 - p50` etc. of two `stats` results, for the given keys. */
export const statsDiff = (a, b, keys = ['p50', 'p90', 'p99', 'mean']) => Object.fromEntries(keys.map((k) => [k, r2(a[k] - b[k])]));

// ------------------------------------------------------------------------------- tables
export const f2 = (x, w = 8) => (Number.isFinite(x) ? x.toFixed(2) : '-').padStart(w);
/** A table header: the first column `w` wide, the figures 8 wide (max `maxW`). */
export const statsHeader = (first, w, maxW = 8) => `${first.padEnd(w)}${'p50'.padStart(8)}${'p90'.padStart(8)}${'p99'.padStart(8)}${'mean'.padStart(8)}${'min'.padStart(8)}${'max'.padStart(maxW)}`;
/** A table row of a `stats` result, laid out as `statsHeader`. */
export const statsRow = (label, s, w, maxW = 8) => `${label.padEnd(w)}${f2(s.p50)}${f2(s.p90)}${f2(s.p99)}${f2(s.mean)}${f2(s.min)}${f2(s.max, maxW)}`;

/** The machine the figures come from, as the summaries report it. */
export function machine() {
  const tmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).stdout?.trim();
  return { cpus: os.cpus().length, cpu: os.cpus()[0]?.model?.trim(), node: process.version, tmux, kernel: os.release() };
}

// ------------------------------------------------------------------------- interleaving
/**
 * Runs every variant once per iteration, `warmup + n` iterations, in an order rotated every
 * iteration so no variant always runs right after the same other. `v.run()` resolves to
 * `{ t, why, verdict }`: `why` set means a failure (counted, first reason kept, time dropped);
 * a `verdict` is tallied per variant. Times of the warm-up iterations are discarded.
 */
export async function interleave(variants, { n, warmup, quiet }) {
  const times = Object.fromEntries(variants.map((v) => [v.key, []]));
  const failures = Object.fromEntries(variants.map((v) => [v.key, 0]));
  const verdicts = Object.fromEntries(variants.map((v) => [v.key, {}]));
  const firstWhy = {};
  const total = warmup + n;
  const tStart = Date.now();
  for (let i = 0; i < total; i++) {
    for (let j = 0; j < variants.length; j++) {
      const v = variants[(i + j) % variants.length];
      const r = await v.run();
      if (r.why) {
        failures[v.key]++;
        firstWhy[v.key] ??= r.why;
        continue;
      }
      if (r.verdict !== undefined) verdicts[v.key][r.verdict] = (verdicts[v.key][r.verdict] ?? 0) + 1;
      if (i >= warmup) times[v.key].push(r.t);
    }
    if (!quiet && (i + 1) % 100 === 0) process.stderr.write(`  ${i + 1}/${total}\n`);
  }
  return { times, failures, verdicts, firstWhy, elapsed: (Date.now() - tStart) / 1000 };
}

// ------------------------------------------------------------------------ isolated world
/**
 * A temp dir `<tmp>/<prefix>XXXXXX` holding an isolated HOME, OMNI_HOME and work dir, with the
 * omni CLI runners, sessions, hook timing and the cleanup bound to it. Short paths: the agent
 * socket lives at $OMNI_HOME/run/agent/<id>/hook.sock, capped at 108 bytes.
 */
export function createWorld({ prefix, say, keep }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
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

  /** A session's events, from `omni events <name> --json`. */
  const events = (name) =>
    must(['events', name, '--json'], { timeoutMs: 60_000 })
      .stdout.split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));

  let daemonUsed = false;
  const sessionNames = [];
  const claudePids = []; // the panes' processes: the claudes we started (each pane execs one)

  /** Starts a real omni Claude session (idle, model on a closed port); its record from --json. */
  function startSession(name, extra = []) {
    daemonUsed = true;
    const started = must(['claude', '--json', '--name', name, ...extra, '--', '--permission-mode', 'default']);
    sessionNames.push(name);
    const session = JSON.parse(started.stdout);
    if (session.panePid) claudePids.push(session.panePid);
    return session;
  }

  /**
   * What a started session's PreToolUse hook needs: the exact command omni wrote into its
   * claude-settings.json, its agent socket, and a payload base (the recorded fixture with this
   * session's own identity, from its SessionStart hook, so the daemon's bookkeeping stays
   * consistent). `recs` is `omni ls --json`.
   */
  function attach(session, recs) {
    const rec = recs.find((s) => s.id === session.id) ?? session;
    if (rec.panePid && !claudePids.includes(rec.panePid)) claudePids.push(rec.panePid);
    const settingsFile = path.join(omniHome, 'state', 'sessions', session.id, 'claude-settings.json');
    const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
    const hookCmd = settings.hooks?.PreToolUse?.[0]?.hooks?.[0]?.command;
    if (typeof hookCmd !== 'string') throw new Error(`no PreToolUse command hook in ${settingsFile}`);
    // omni quotes a word only when it must (shQuote), so the socket path may be bare.
    const sock = /sh '?[^' ]*omni-hook'? '?([^' ]+)'?/.exec(hookCmd)?.[1] ?? path.join(omniHome, 'run', 'agent', session.id, 'hook.sock');
    if (!fs.existsSync(sock)) throw new Error(`agent socket ${sock} does not exist`);
    const base = { ...JSON.parse(fs.readFileSync(FIXTURE, 'utf8')), cwd: work };
    if (rec.harnessSessionId) base.session_id = rec.harnessSessionId;
    if (rec.transcriptPath) base.transcript_path = rec.transcriptPath;
    return { id: session.id, hookCmd, sock, base };
  }

  /** Run `/bin/sh -c <command>` with `input` on stdin, the way Claude Code runs a command hook. */
  function runHook(command, input) {
    const t0 = now();
    const r = spawnSync('/bin/sh', ['-c', command], { input, env, cwd: work, encoding: 'utf8', timeout: 30_000 });
    const t1 = now();
    return { t: ms(t0, t1), code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
  }

  let cleaned = false;
  function cleanup() {
    if (cleaned) return;
    cleaned = true;
    if (daemonUsed) {
      say(`cleaning up: stopping the session${sessionNames.length === 1 ? '' : 's'}, tmux and the daemon`);
      for (const name of sessionNames) omni(['stop', name], { timeoutMs: 20_000 });
      // Claude outlives its killed tmux session by a second or so and runs its SessionEnd hook on
      // the way out. If the daemon were gone by then, omni-hook would start a new one (it
      // restarts a missing daemon) in a directory about to be deleted. So: daemon down only once
      // every claude is.
      for (const pid of claudePids) {
        if (waitGone(pid, 15_000)) continue;
        say(`claude (pid ${pid}) did not exit; killing it`);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        waitGone(pid, 2_000);
      }
      spawnSync('tmux', ['-S', tmuxSock, 'kill-server'], { stdio: 'ignore' });
      omni(['daemon', 'stop'], { timeoutMs: 15_000 });
      try {
        const pid = Number(fs.readFileSync(path.join(omniHome, 'run', 'omnid.pid'), 'utf8'));
        if (pid > 0 && waitGone(pid, 5_000) === false) process.kill(pid, 'SIGKILL');
      } catch {
        /* no daemon left */
      }
    }
    if (keep) say(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      cleanup();
      process.exit(130);
    });
  }

  return { dir, home, omniHome, work, env, omni, must, events, startSession, attach, runHook, cleanup };
}

/**
 * One POST of a PreToolUse payload on a fresh connection to an agent socket (like curl does),
 * timed to the end of the reply. With `timeoutMs`, a reply that does not come fails the call.
 */
export function rawPost(sock, body, { timeoutMs } = {}) {
  return new Promise((resolve) => {
    const t0 = now();
    const req = http.request(
      {
        socketPath: sock,
        path: '/hook/PreToolUse?mode=gate',
        method: 'POST',
        agent: false,
        ...(timeoutMs ? { timeout: timeoutMs } : {}),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ t: ms(t0, now()), status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => resolve({ t: ms(t0, now()), error: err }));
      },
    );
    if (timeoutMs) req.on('timeout', () => req.destroy(new Error(`no reply within ${timeoutMs / 1000} s (an ask holding?)`)));
    req.on('error', (err) => resolve({ t: ms(t0, now()), error: err }));
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------- randomness
/** A small fast seeded PRNG (mulberry32): the same seed gives the same generated state every run. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
