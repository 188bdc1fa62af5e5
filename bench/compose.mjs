#!/usr/bin/env node
// Composition bench (issue 14): what omni's MCP tools cost against the same work done directly.
//
//   npm run build && node bench/compose.mjs [--spawns 30] [--calls 300] [--warmup 3] [--quick] [--json] [--keep]
//
// An isolated daemon (test/helpers/scripted-daemon.mjs: the real dist/ daemon with the scripted
// test harness added) runs a lead session of the scripted harness with a spawn grant (two
// entries: `helper`, no worktree, and `coder`, its own git worktree). Then, interleaved:
//
//  (a) a child's start, each child stopped after it is measured (so the live count stays put):
//      create   POST /v1/sessions {harness: scripted, prompt} on the control socket (`omni new`
//               with a prompt): the baseline
//      spawn    omni_spawn {agent: helper, prompt} through the lead's agent socket (POST /mcp/call)
//      spawnWt  omni_spawn {agent: coder, prompt}: the same plus a git worktree
//    each timed from the request to the child's first `idle` (its harness is up) and to its
//    `idle` after the prompt's turn (the daemon's event timestamps, same clock), and the reply.
//  (b) one read of the session list, round trip:
//      list       GET /v1/sessions on the control socket: the baseline
//      agentSock  omni_sessions as POST /mcp/call on the lead's agent socket (a fresh connection, as
//                 `omni mcp --agent-socket` makes it)
//      stdioAgent omni_sessions through `omni mcp --agent-socket <lead's>` over stdio (the SDK's
//                 Client: what a harness in the lead's pane sees)
//      controlMcp omni_sessions as POST /v1/mcp/call on the control socket, as the person
//      stdioUser  omni_sessions through `omni mcp` over stdio as the person (control socket
//                 POST /v1/mcp/call)
//
// `--quick`: 4 spawns, 40 calls, 1 warm-up (CI). Prints a table and a JSON line (only that with --json);
// exits 1 if a call failed or a figure is missing. See bench/README.md for what the figures mean.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { DIST, OMNI_JS, ROOT, alive, createWorld, eachArg, f2, interleave, machine, ms, now, parseOptions, r2, runMain, sayer, stats, statsHeader, statsRow, waitGone } from './lib.mjs';

// ---------------------------------------------------------------------------------- options
function parseArgs(argv) {
  const o = { spawns: 30, calls: 300, warmup: 3, quick: false, json: false, keep: false };
  eachArg(argv, (a, flag, num) => {
    if (flag === '--spawns') o.spawns = num();
    else if (flag === '--calls') o.calls = num();
    else if (flag === '--warmup') o.warmup = num();
    else if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node bench/compose.mjs [--spawns 30] [--calls 300] [--warmup 3] [--quick] [--json] [--keep]\n');
      process.exit(0);
    } else throw new Error(`unknown argument: ${a}`);
  });
  if (o.spawns < 1 || o.calls < 1) throw new Error('--spawns and --calls must be at least 1');
  return o;
}

const opts = parseOptions('compose', parseArgs, ['--spawns', '4', '--calls', '40', '--warmup', '1', '--quick']);
const say = sayer(opts);
const world = createWorld({ prefix: 'omc-', say, keep: opts.keep });
const { env, omniHome, work } = world;
const DAEMON = path.join(ROOT, 'test', 'helpers', 'scripted-daemon.mjs');
const CONTROL = path.join(omniHome, 'run', 'omni.sock');
const tmuxSock = path.join(omniHome, 'run', 'tmux.sock');
const sleep = (msec) => new Promise((r) => setTimeout(r, msec));
const PROMPT = 'hello from the bench';

// ------------------------------------------------------------------------------ the daemon
/** One JSON request on a unix socket, on a fresh connection; the parsed reply and its time. */
function request(socketPath, method, urlPath, body) {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const t0 = now();
    const req = http.request({ socketPath, method, path: urlPath, agent: false, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        const t = ms(t0, now());
        try {
          resolve({ t, status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          resolve({ t, status: res.statusCode ?? 0, why: `not JSON: ${text.slice(0, 200)}` });
        }
      });
    });
    req.on('error', (err) => resolve({ t: ms(t0, now()), status: 0, why: err.message }));
    req.end(data);
  });
}
const api = (method, urlPath, body) => request(CONTROL, method, urlPath, body);

async function until(fn, msec, what) {
  const end = Date.now() + msec;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${msec} ms waiting for ${what}`);
    await sleep(20);
  }
}

let daemonPid;
async function startDaemon() {
  fs.mkdirSync(path.join(omniHome, 'log'), { recursive: true, mode: 0o700 });
  const out = fs.openSync(path.join(omniHome, 'log', 'bench-daemon.out'), 'a', 0o600);
  const child = spawn(process.execPath, [DAEMON], { detached: true, stdio: ['ignore', out, out], env, cwd: '/' });
  child.unref();
  fs.closeSync(out);
  const info = await until(() => api('GET', '/v1/daemon').then((r) => r.status === 200 && r.body), 20_000, 'the daemon to answer');
  daemonPid = info.pid;
}

/** The lead's work dir is a git repository with one commit: `coder` children get worktrees of it. */
function initRepo() {
  const git = (...args) => {
    const r = spawnSync('git', args, { cwd: work, encoding: 'utf8', env: { ...env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.invalid', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.invalid' } });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.trim()}`);
  };
  git('init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(work, 'README'), 'bench\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'start');
}

const GRANT = {
  agents: [
    { name: 'helper', file: '/bench/lead.yaml', executor: { harness: 'scripted' }, policies: [], worktree: false },
    { name: 'coder', file: '/bench/lead.yaml', executor: { harness: 'scripted' }, policies: [], worktree: true },
  ],
  limits: {},
};

async function startLead() {
  const r = await api('POST', '/v1/sessions', { harness: 'scripted', cwd: work, env: { ...env, PWD: work }, name: 'lead', spawn: GRANT, agent: { name: 'lead', file: '/bench/lead.yaml' } });
  if (r.status !== 201) throw new Error(`create lead: ${r.status} ${r.why ?? JSON.stringify(r.body)}`);
  const w = await api('GET', '/v1/sessions/lead/wait?for=idle&timeout=60');
  if (w.status !== 200) throw new Error(`the lead never became idle: ${JSON.stringify(w.body)}`);
  return r.body.session;
}

// ------------------------------------------------------------------------- (a) child starts
const eventsFile = (id) => path.join(omniHome, 'state', 'sessions', id, 'events.ndjson');

/** The child's first idle and its idle after the prompt's turn, as wall-clock ms (the daemon's timestamps). */
function milestones(id) {
  let text;
  try {
    text = fs.readFileSync(eventsFile(id), 'utf8');
  } catch {
    return undefined;
  }
  let firstIdle;
  let prompted = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let ev;
    try {
      ev = JSON.parse(line);
    } catch {
      continue; // a line still being written
    }
    if (ev.type === 'message.user') prompted = true;
    if (ev.type === 'session.status' && ev.data?.status === 'idle') {
      const at = Date.parse(ev.ts);
      firstIdle ??= at;
      if (prompted) return { firstIdle, turnDone: at };
    }
  }
  return undefined;
}

/** Starts one child by `start()` (resolves to {t, id} or {why}), waits for its turn, stops it. */
async function childStart(start) {
  const t0 = Date.now();
  const r = await start();
  if (r.why) return { why: r.why };
  const m = await until(async () => milestones(r.id), 30_000, `child ${r.id}'s prompt turn`).catch((err) => ({ why: err.message }));
  const stop = await api('POST', `/v1/sessions/${r.id}/stop`, {});
  if (m.why) return { why: m.why };
  if (stop.status !== 200) return { why: `stop ${r.id}: ${stop.status} ${JSON.stringify(stop.body)}` };
  return { t: { reply: r.t, firstIdle: m.firstIdle - t0, turnDone: m.turnDone - t0 } };
}

const mcpCall = (sock, tool, args) => request(sock, 'POST', '/mcp/call', { tool, args });

function spawnVariant(key, agentSock, agent) {
  return {
    key,
    run: () =>
      childStart(async () => {
        const r = await mcpCall(agentSock, 'omni_spawn', { agent, prompt: PROMPT });
        if (r.why || r.status !== 200 || !r.body?.ok) return { why: r.why ?? `omni_spawn: ${r.status} ${JSON.stringify(r.body)}` };
        return { t: r.t, id: r.body.result.session };
      }),
  };
}

let created = 0;
const createVariant = {
  key: 'create',
  run: () =>
    childStart(async () => {
      const r = await api('POST', '/v1/sessions', { harness: 'scripted', cwd: work, env: { ...env, PWD: work }, name: `direct-${++created}`, prompt: PROMPT });
      if (r.why || r.status !== 201) return { why: r.why ?? `create: ${r.status} ${JSON.stringify(r.body)}` };
      return { t: r.t, id: r.body.session.id };
    }),
};

// --------------------------------------------------------------------- (b) tool round trips
async function connectMcp(args) {
  const transport = new StdioClientTransport({ command: process.execPath, args: [OMNI_JS, 'mcp', ...args], env: { ...env, PWD: work }, cwd: work, stderr: 'ignore' });
  const client = new Client({ name: 'omni-bench', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** A round trip that must answer the session list: `count(body)` is how many sessions it listed. */
async function timed(fn, count) {
  const t0 = now();
  try {
    const body = await fn();
    const t = ms(t0, now());
    const n = count(body);
    return Number.isInteger(n) ? { t } : { why: `no session list in ${JSON.stringify(body).slice(0, 200)}` };
  } catch (err) {
    return { why: err.message };
  }
}

const toolText = (r) => {
  if (r.isError) throw new Error(`tool error: ${r.content?.[0]?.text}`);
  return JSON.parse(r.content[0].text);
};

// --------------------------------------------------------------------------------- main
const clients = [];

async function main() {
  if (!fs.existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` first');
  say(`world: ${world.dir}`);
  initRepo();
  await startDaemon();
  const lead = await startLead();
  const agentSock = path.join(omniHome, 'run', 'agent', lead.id, 'hook.sock');
  say(`daemon pid ${daemonPid}, lead ${lead.id}; (a) ${opts.spawns} child starts of each kind (+${opts.warmup} warm-up)`);

  const a = await interleave([createVariant, spawnVariant('spawn', agentSock, 'helper'), spawnVariant('spawnWt', agentSock, 'coder')], { n: opts.spawns, warmup: opts.warmup, quiet: true });
  const starts = {};
  for (const [k, ts] of Object.entries(a.times)) {
    starts[k] = { reply: stats(ts.map((x) => x.reply)), firstIdle: stats(ts.map((x) => x.firstIdle)), turnDone: stats(ts.map((x) => x.turnDone)) };
  }

  say(`(b) ${opts.calls} round trips of each kind (+${opts.warmup * 5} warm-up)`);
  const stdioAgent = await connectMcp(['--agent-socket', agentSock]);
  clients.push(stdioAgent);
  const stdioUser = await connectMcp([]);
  clients.push(stdioUser);
  const b = await interleave(
    [
      { key: 'list', run: () => timed(async () => { const r = await api('GET', '/v1/sessions'); if (r.status !== 200) throw new Error(r.why ?? `status ${r.status}`); return r.body; }, (x) => x.sessions?.length) },
      { key: 'agentSock', run: () => timed(async () => { const r = await mcpCall(agentSock, 'omni_sessions', {}); if (r.status !== 200 || !r.body?.ok) throw new Error(r.why ?? JSON.stringify(r.body)); return r.body.result; }, (x) => x.sessions?.length) },
      { key: 'controlMcp', run: () => timed(async () => { const r = await api('POST', '/v1/mcp/call', { tool: 'omni_sessions', args: {}, env: { ...env, PWD: work } }); if (r.status !== 200 || !r.body?.ok) throw new Error(r.why ?? JSON.stringify(r.body)); return r.body.result; }, (x) => x.sessions?.length) },
      { key: 'stdioAgent', run: () => timed(async () => toolText(await stdioAgent.callTool({ name: 'omni_sessions', arguments: {} })), (x) => x.sessions?.length) },
      { key: 'stdioUser', run: () => timed(async () => toolText(await stdioUser.callTool({ name: 'omni_sessions', arguments: {} })), (x) => x.sessions?.length) },
    ],
    { n: opts.calls, warmup: opts.warmup * 5, quiet: opts.json },
  );
  const calls = Object.fromEntries(Object.entries(b.times).map(([k, ts]) => [k, stats(ts)]));

  const x = (v, base) => r2(v / base);
  const failures = Object.values(a.failures).reduce((s, n) => s + n, 0) + Object.values(b.failures).reduce((s, n) => s + n, 0);
  const summary = {
    bench: 'compose',
    quick: opts.quick,
    spawns: opts.spawns,
    calls: opts.calls,
    starts,
    startRatio: {
      spawnFirstIdleP50: x(starts.spawn.firstIdle.p50, starts.create.firstIdle.p50),
      spawnFirstIdleP99: x(starts.spawn.firstIdle.p99, starts.create.firstIdle.p99),
      spawnTurnDoneP50: x(starts.spawn.turnDone.p50, starts.create.turnDone.p50),
      spawnWtFirstIdleP50: x(starts.spawnWt.firstIdle.p50, starts.create.firstIdle.p50),
    },
    startAdded: { spawnFirstIdleP50: r2(starts.spawn.firstIdle.p50 - starts.create.firstIdle.p50), spawnWtFirstIdleP50: r2(starts.spawnWt.firstIdle.p50 - starts.create.firstIdle.p50) },
    mcp: calls,
    mcpRatio: {
      agentSockP50: x(calls.agentSock.p50, calls.list.p50),
      agentSockP99: x(calls.agentSock.p99, calls.list.p99),
      stdioAgentP50: x(calls.stdioAgent.p50, calls.list.p50),
      stdioAgentP99: x(calls.stdioAgent.p99, calls.list.p99),
      controlMcpP50: x(calls.controlMcp.p50, calls.list.p50),
      stdioUserP50: x(calls.stdioUser.p50, calls.list.p50),
    },
    failures,
    failuresBy: { ...a.failures, ...b.failures },
    firstWhy: { ...a.firstWhy, ...b.firstWhy },
    machine: machine(),
  };
  // The table, then the JSON line (bench/run-all.mjs reads the last one).
  if (!opts.json) printTable(summary);
  process.stdout.write(JSON.stringify(summary) + '\n');
  if (failures) process.stderr.write(`compose: ${failures} failed run(s): ${JSON.stringify(summary.firstWhy)}\n`);
  return failures ? 1 : 0;
}

function printTable(s) {
  const w = 40;
  const lines = [
    `compose: scripted harness, ${s.spawns} starts and ${s.calls} calls of each kind, interleaved (ms)`,
    statsHeader('(a) a child start', w, 9),
  ];
  for (const [k, label] of [['create', 'create → first idle (baseline)'], ['spawn', 'omni_spawn → first idle'], ['spawnWt', 'omni_spawn + worktree → first idle']]) lines.push(statsRow(label, s.starts[k].firstIdle, w, 9));
  for (const [k, label] of [['create', 'create → prompt turn done (baseline)'], ['spawn', 'omni_spawn → prompt turn done'], ['spawnWt', 'omni_spawn + worktree → turn done']]) lines.push(statsRow(label, s.starts[k].turnDone, w, 9));
  for (const [k, label] of [['create', 'create reply'], ['spawn', 'omni_spawn reply'], ['spawnWt', 'omni_spawn + worktree reply']]) lines.push(statsRow(label, s.starts[k].reply, w, 9));
  lines.push(`omni_spawn / create, first idle: p50 ${f2(s.startRatio.spawnFirstIdleP50, 0)}×, p99 ${f2(s.startRatio.spawnFirstIdleP99, 0)}×; with a worktree p50 ${f2(s.startRatio.spawnWtFirstIdleP50, 0)}×`);
  lines.push('', statsHeader('(b) the session list, round trip', w, 9));
  for (const [k, label] of [['list', 'GET /v1/sessions (baseline)'], ['agentSock', 'omni_sessions, agent socket'], ['controlMcp', 'omni_sessions, control POST /v1/mcp/call'], ['stdioAgent', 'omni_sessions, omni mcp --agent-socket'], ['stdioUser', 'omni_sessions, omni mcp (person)']]) lines.push(statsRow(label, s.mcp[k], w, 9));
  lines.push(`/ baseline p50: agent socket ${f2(s.mcpRatio.agentSockP50, 0)}×, stdio ${f2(s.mcpRatio.stdioAgentP50, 0)}×, control socket ${f2(s.mcpRatio.controlMcpP50, 0)}×, stdio as the person ${f2(s.mcpRatio.stdioUserP50, 0)}×`);
  process.stdout.write(lines.join('\n') + '\n');
}

function cleanup() {
  for (const c of clients) void c.close().catch(() => {});
  // The scripted panes end with omni's tmux server; the daemon then has nothing left to watch.
  spawnSync('tmux', ['-S', tmuxSock, 'kill-server'], { stdio: 'ignore' });
  if (daemonPid && alive(daemonPid)) {
    world.omni(['daemon', 'stop'], { timeoutMs: 15_000 });
    if (!waitGone(daemonPid, 5_000)) process.kill(daemonPid, 'SIGKILL');
  }
  world.cleanup();
}

await runMain('compose', main, cleanup);
