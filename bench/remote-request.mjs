#!/usr/bin/env node
// One request to a remote host's daemon over ssh (docs/REMOTE.md), with OpenSSH connection
// sharing (ControlMaster, the default) and without (OMNI_SSH_CONTROL=no: a handshake per
// request), next to the same request on the local socket.
//
//   node bench/remote-request.mjs --host NAME [--reps N] [--quick] [--json]
//
// NAME is a host of `omni hosts ls` in this environment's OMNI_HOME. Needs `npm run build`.
// Not part of run-all: it needs a reachable host (test/e2e/remote-host.test.ts sets one up on
// loopback with a real sshd; that test's figures are in bench/README.md).
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { DIST, OMNI_JS, ms, now, parseOptions, runMain, sayer, stats } from './lib.mjs';

const opts = parseOptions(
  'remote-request',
  (argv) => {
    const o = { host: '', reps: 20, json: false };
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a === '--host') o.host = argv[++i];
      else if (a === '--reps') o.reps = Number(argv[++i]);
      else if (a === '--json') o.json = true;
      else throw new Error(`unknown option ${a}`);
    }
    if (!o.host) throw new Error('--host NAME is required (a host of omni hosts ls)');
    if (!Number.isInteger(o.reps) || o.reps < 1) throw new Error('--reps needs a whole number');
    return o;
  },
  ['--reps', '5'],
);
const say = sayer(opts);

async function main() {
  const { resolvePaths } = await import(path.join(DIST, 'core', 'paths.js'));
  const { findHost, clientFor } = await import(path.join(DIST, 'client', 'hosts.js'));
  const { connect } = await import(path.join(DIST, 'client', 'daemon-control.js'));
  const paths = resolvePaths(process.env);
  const host = await findHost(paths, opts.host);
  const timed = async (label, client, env) => {
    const saved = process.env.OMNI_SSH_CONTROL;
    if (env === undefined) delete process.env.OMNI_SSH_CONTROL;
    else process.env.OMNI_SSH_CONTROL = env;
    await client.request('/v1/daemon'); // the first opens the shared connection: not counted
    const xs = [];
    for (let i = 0; i < opts.reps; i++) {
      const t0 = now();
      await client.request('/v1/daemon');
      xs.push(ms(t0, now()));
    }
    if (saved === undefined) delete process.env.OMNI_SSH_CONTROL;
    else process.env.OMNI_SSH_CONTROL = saved;
    const s = stats(xs);
    say(`${label.padEnd(28)} p50 ${s.p50} ms  p90 ${s.p90} ms  (n=${s.n})`);
    return s;
  };
  const local = await timed('local socket', await connect(paths));
  const shared = await timed('ssh, shared connection', clientFor(host, paths));
  const fresh = await timed('ssh, a connection each', clientFor(host, paths), 'no');
  // The whole command as a user runs it (a process, commander, the request).
  const cmd = (env) => {
    const t0 = now();
    execFileSync(process.execPath, [OMNI_JS, 'ls', '--host', opts.host, '--json'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    return ms(t0, now());
  };
  // Interleaved, so a change of machine load falls on both alike.
  const a = [];
  const b = [];
  for (let i = 0; i < opts.reps; i++) {
    a.push(cmd({}));
    b.push(cmd({ OMNI_SSH_CONTROL: 'no' }));
  }
  const lsShared = stats(a);
  const lsFresh = stats(b);
  const nodeStart = stats(Array.from({ length: Math.min(opts.reps, 10) }, () => {
    const t0 = now();
    execFileSync(process.execPath, ['-e', '0']);
    return ms(t0, now());
  }));
  say(`omni ls --host, shared       p50 ${lsShared.p50} ms`);
  say(`omni ls --host, each its own p50 ${lsFresh.p50} ms`);
  say(`node -e 0                    p50 ${nodeStart.p50} ms`);
  const out = { bench: 'remote-request', host: opts.host, reps: opts.reps, local, shared, fresh, lsShared, lsFresh, nodeStart, xFreshOverShared: Math.round((fresh.p50 / shared.p50) * 10) / 10 };
  process.stdout.write(JSON.stringify(out) + '\n');
  return 0;
}

await runMain('remote-request', main, () => {});
