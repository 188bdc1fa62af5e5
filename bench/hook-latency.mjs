#!/usr/bin/env node
// Hook latency bench: how much time omni adds to Claude Code's PreToolUse round trip.
//
//   npm run build && node bench/hook-latency.mjs [--quick] [--n 500] [--warmup 20] [--json] [--no-node] [--keep]
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

import fs from 'node:fs';
import path from 'node:path';
import { DIST, HARNESS_BIN, OMNI_JS, createWorld, eachArg, interleave, machine, parseOptions, rawPost, runMain, sayer, stats, statsDiff, statsHeader, statsRow } from './lib.mjs';

// ---------------------------------------------------------------------------------- options
/** What --quick stands for: the short run CI makes (test/integration/bench.test.ts). */
const QUICK = ['--n', '10', '--warmup', '2', '--no-node'];

function parseArgs(argv) {
  const o = { n: 500, warmup: 20, json: false, node: true, keep: false };
  eachArg(argv, (a, _flag, num) => {
    if (a === '--n' || a.startsWith('--n=') || a === '-n') o.n = num();
    else if (a === '--warmup' || a.startsWith('--warmup=')) o.warmup = num();
    else if (a === '--json') o.json = true;
    else if (a === '--no-node') o.node = false;
    else if (a === '--keep') o.keep = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node bench/hook-latency.mjs [--quick] [--n 500] [--warmup 20] [--json] [--no-node] [--keep]\n');
      process.exit(0);
    } else throw new Error(`unknown argument: ${a}`);
  });
  if (o.n < 1) throw new Error('--n must be at least 1');
  return o;
}

const opts = parseOptions('hook-latency', parseArgs, QUICK);
const say = sayer(opts);
const world = createWorld({ prefix: 'omb-', say, keep: opts.keep });
const { dir, omni, must, runHook } = world;

const shQuote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

// --------------------------------------------------------------------------------- main
async function main() {
  if (!fs.existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` first');
  if (!fs.existsSync(path.join(HARNESS_BIN, 'claude'))) throw new Error(`no pinned claude at ${HARNESS_BIN}/claude: run \`npm run test:setup\``);

  say(`world: ${dir}`);
  say('starting an omni Claude session "bench" (real claude, idle, model on a closed port)');
  const session = world.startSession('bench');
  const waited = omni(['wait', 'bench', '--for', 'idle', '--timeout', '90'], { timeoutMs: 100_000 });
  if (waited.code !== 0) throw new Error(`session never became idle: ${waited.stderr.trim() || waited.stdout.trim()}`);

  // The payload: the recorded fixture, with this session's own identity; tool_use_id changes
  // on every call.
  const { hookCmd, sock, base } = world.attach(session, JSON.parse(must(['ls', '--json']).stdout));
  say(`session ${session.id}; PreToolUse hook command:\n  ${hookCmd}`);
  base.tool_input = { command: 'echo hi', description: 'bench' };
  let callNo = 0;
  const payload = (variant) => JSON.stringify({ ...base, tool_use_id: `toolu_bench_${variant}_${++callNo}` });

  const curlCmd = `curl -sS --unix-socket ${shQuote(sock)} -H 'content-type: application/json' --data-binary @- 'http://omni/hook/PreToolUse?mode=gate'`;
  const nodeCmd = `${shQuote(process.execPath)} ${shQuote(OMNI_JS)} hook-post ${shQuote(sock)} PreToolUse gate`;

  // Each variant: run once, return { t, why } (why only on failure). `daemon` marks those that
  // reach the daemon.
  const check = (r, expectOut) => {
    if (r.error) return { t: r.t, why: r.error.message };
    if (r.code !== 0) return { t: r.t, why: `exit ${r.code}: ${r.stderr.trim()}` };
    if (r.stdout !== expectOut) return { t: r.t, why: `stdout ${JSON.stringify(r.stdout)}` };
    if (r.stderr !== '') return { t: r.t, why: `stderr ${JSON.stringify(r.stderr)}` };
    return { t: r.t };
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
        if (r.error) return { t: r.t, why: r.error.message };
        if (r.status !== 200 || r.body !== '0\n') return { t: r.t, why: `HTTP ${r.status} ${JSON.stringify(r.body)}` };
        return { t: r.t };
      },
    },
    ...(opts.node
      ? // A whole client (docs/PROTOCOL.md): the verdict "none" is exit 0 with nothing printed.
        [{ key: 'node', label: 'node client  sh -c omni.js hook-post', daemon: true, run: async () => check(runHook(nodeCmd, payload('node')), '') }]
      : []),
  ];

  const total = opts.warmup + opts.n;
  say(`timing ${variants.length} variants x ${opts.n} runs (+${opts.warmup} warm-up), interleaved`);
  const { times, failures, firstWhy, elapsed } = await interleave(variants, { n: opts.n, warmup: opts.warmup, quiet: opts.json });

  // Every daemon-bound call must have become a tool.call event in the session's log.
  const toolCalls = world.events('bench').filter((e) => e.type === 'tool.call').length;
  const expectedCalls = variants.filter((v) => v.daemon).length * total - variants.filter((v) => v.daemon).reduce((a, v) => a + failures[v.key], 0);

  const figures = Object.fromEntries(variants.map((v) => [v.key, { ...stats(times[v.key].length ? times[v.key] : [NaN]), failures: failures[v.key] }]));
  const added = statsDiff(figures.omni, figures.noop);
  const summary = {
    bench: 'hook-latency',
    date: new Date().toISOString(),
    machine: machine(),
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
    const lines = [];
    lines.push('');
    lines.push(`PreToolUse hook round trip, ${opts.n} runs each (interleaved, ${opts.warmup} warm-up discarded), ms`);
    lines.push(`${summary.machine.cpus} CPUs (${summary.machine.cpu}), Node ${process.version}, ${summary.machine.tmux}, ${elapsed.toFixed(1)} s`);
    lines.push('');
    lines.push(`${statsHeader('variant', 40)}  fail`);
    for (const v of variants) lines.push(`${statsRow(v.label, figures[v.key], 40)}  ${String(figures[v.key].failures).padStart(4)}`);
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

await runMain('hook-latency', main, world.cleanup);
