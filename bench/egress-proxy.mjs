#!/usr/bin/env node
// Egress proxy bench: what the per-session egress proxy (src/egress/proxy.ts) adds to a request.
//
//   npm run build && node bench/egress-proxy.mjs [--quick] [--n 500] [--warmup 50] [--mb 64] [--runs 5] [--json]
//
// Three processes, as in the daemon: the local upstreams (HTTPS with their own CA, standing in
// for api.github.com; plain HTTP), the proxy (dist/egress/proxy.js on a TCP port, TLS terminated
// with a session CA, one secret injected, `decide` allows at once), and this process, the client.
// Times, interleaved, per request (n each):
//   https new   a new connection per request: direct = TCP + TLS + GET;
//               proxy = TCP + CONNECT + TLS (session CA) + GET
//   https ka    keep-alive: one connection (one tunnel through the proxy) reused
//   http new    plain HTTP, new connection each: direct; proxy = absolute-URI GET
//   http ka     plain HTTP, keep-alive (to the upstream; to the proxy)
// then throughput: a --mb MB download and upload, keep-alive, --runs times each, direct vs proxy.
// And, in-process: what issuing a leaf certificate for a new host costs (once per host).
// See bench/README.md.

import { fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DIST, eachArg, f2, interleave, machine, ms, now, parseOptions, r2, runMain, sayer, stats, statsDiff, statsHeader, statsRow } from './lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const dist = (p) => pathToFileURL(path.join(DIST, p)).href;
const SECRET = 'bench-REAL-token';
const SMALL = Buffer.from(JSON.stringify({ login: 'octocat', id: 1, plan: { name: 'pro' }, pad: 'x'.repeat(900) }));
const CHUNK = Buffer.alloc(64 * 1024, 'x');

// ------------------------------------------------------------------------ child: upstream
async function upstreamRole() {
  const { LeafIssuer } = await import(dist('egress/ca.js'));
  const issuer = new LeafIssuer(JSON.parse(process.env.BENCH_UPSTREAM_CA));
  const handler = (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'POST') {
      let n = 0;
      req.on('data', (c) => (n += c.length));
      req.on('end', () => res.end(`${n}`));
      return;
    }
    if (url.pathname === '/big') {
      const total = Number(url.searchParams.get('mb')) * 1024 * 1024;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
      let sent = 0;
      const more = () => {
        while (sent < total) {
          sent += CHUNK.length;
          if (!res.write(CHUNK)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-auth-seen': req.headers.authorization === `Bearer ${SECRET}` ? 'real' : 'other' });
    res.end(SMALL);
  };
  const opts = { keepAliveTimeout: 60_000 };
  const hs = https.createServer({ ...opts, SNICallback: (name, cb) => issuer.secureContextFor(name).then((c) => cb(null, c), cb) }, handler);
  const hp = http.createServer(opts, handler);
  await Promise.all([hs, hp].map((s) => new Promise((r) => s.listen(0, '127.0.0.1', r))));
  process.send({ https: hs.address().port, http: hp.address().port });
}

// --------------------------------------------------------------------------- child: proxy
async function proxyRole() {
  const { EgressProxy } = await import(dist('egress/proxy.js'));
  const cfg = JSON.parse(process.env.BENCH_PROXY);
  let events = 0;
  let injected = 0;
  const proxy = new EgressProxy({
    listen: { port: 0 },
    ca: cfg.sessionCa,
    decide: async () => ({ verdict: 'allow' }),
    secrets: [{ name: 'github', value: SECRET, placeholder: 'placeholder', inject: [{ host: 'bench.test', header: 'authorization', value: 'Bearer ${secret}' }], push: [] }],
    resolve: { 'bench.test': `127.0.0.1:${cfg.https}`, 'plain.test': `127.0.0.1:${cfg.http}` },
    trusted: [],
    upstreamCa: [cfg.upstreamCaPem],
    onEvent: (ev) => {
      events++;
      if (ev.secrets?.length) injected++;
    },
  });
  await proxy.start();
  process.on('message', (m) => m === 'stats' && process.send({ events, injected }));
  process.send({ port: proxy.address.port });
}

// ---------------------------------------------------------------------------------- options
/** What --quick stands for: the short run CI makes (test/integration/bench.test.ts). */
const QUICK = ['--n', '20', '--warmup', '2', '--mb', '2', '--runs', '1'];

function parseArgs(argv) {
  const o = { n: 500, warmup: 50, mb: 64, runs: 5, json: false };
  eachArg(argv, (a, flag, num) => {
    if (flag === '--n' || flag === '-n') o.n = num();
    else if (flag === '--warmup') o.warmup = num();
    else if (flag === '--mb') o.mb = num();
    else if (flag === '--runs') o.runs = num();
    else if (a === '--json') o.json = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node bench/egress-proxy.mjs [--quick] [--n 500] [--warmup 50] [--mb 64] [--runs 5] [--json]\n');
      process.exit(0);
    } else throw new Error(`unknown argument: ${a}`);
  });
  if (o.n < 1 || o.runs < 1 || o.mb < 1) throw new Error('--n, --runs and --mb must be at least 1');
  return o;
}

// ---------------------------------------------------------------------------------- client
/** One request; resolves { t, status, bytes, auth } or { why }. Times to the end of the body. */
function timed(mod, options, body) {
  return new Promise((resolve) => {
    const t0 = now();
    const req = mod.request(options, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => resolve({ t: ms(t0, now()), status: res.statusCode, bytes, auth: res.headers['x-auth-seen'] }));
      res.on('error', (err) => resolve({ why: err.message }));
    });
    req.on('error', (err) => resolve({ why: err.message }));
    if (body) {
      let left = body;
      const more = () => {
        while (left > 0) {
          left -= CHUNK.length;
          if (!req.write(CHUNK)) return void req.once('drain', more);
        }
        req.end();
      };
      more();
    } else req.end();
  });
}

/** A TLS connection to bench.test through the proxy: CONNECT, then TLS trusting the session CA. */
function tunnel(proxyPort, sessionCaPem, cb) {
  const r = http.request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: 'bench.test:443', agent: false });
  r.on('connect', (res, sock) => {
    if (res.statusCode !== 200) return cb(new Error(`CONNECT ${res.statusCode}`));
    const t = tls.connect({ socket: sock, servername: 'bench.test', ca: sessionCaPem }, () => cb(null, t));
    t.once('error', cb);
  });
  r.on('error', cb);
  r.end();
}

/** An agent whose connections are CONNECT tunnels (like undici's ProxyAgent keeps them). */
class TunnelAgent extends http.Agent {
  constructor(proxyPort, caPem, opts) {
    super(opts);
    this.proxyPort = proxyPort;
    this.caPem = caPem;
  }
  createConnection(_options, cb) {
    tunnel(this.proxyPort, this.caPem, cb);
  }
}

async function main(opts, say, children) {
  if (!fs.existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` first');
  const { createSessionCa, LeafIssuer } = await import(dist('egress/ca.js'));
  const upstreamCa = await createSessionCa('bench upstream CA');
  const sessionCa = await createSessionCa('omni session bench');

  const start = (role, env) =>
    new Promise((resolve, reject) => {
      const c = fork(SELF, [], { env: { ...process.env, BENCH_ROLE: role, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(c);
      c.once('message', resolve);
      c.once('exit', (code) => reject(new Error(`${role} exited ${code}`)));
    });
  const up = await start('upstream', { BENCH_UPSTREAM_CA: JSON.stringify(upstreamCa) });
  const px = await start('proxy', { BENCH_PROXY: JSON.stringify({ sessionCa, upstreamCaPem: upstreamCa.certPem, https: up.https, http: up.http }) });
  say(`upstream https :${up.https}, http :${up.http}; proxy :${px.port}`);

  const upCa = upstreamCa.certPem;
  const direct = { host: '127.0.0.1', servername: 'bench.test', ca: upCa, headers: { host: 'bench.test', authorization: `Bearer ${SECRET}` } };
  const kaDirectHttps = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const kaProxyHttps = new TunnelAgent(px.port, sessionCa.certPem, { keepAlive: true, maxSockets: 1 });
  const kaDirectHttp = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const kaProxyHttp = new http.Agent({ keepAlive: true, maxSockets: 1 });

  const viaProxyHttps = (agentOpt, pathname, body) =>
    timed(http, { ...agentOpt, method: body ? 'POST' : 'GET', path: pathname, headers: { host: 'bench.test', authorization: 'Bearer placeholder' } }, body);
  const newTunnel = (pathname) =>
    new Promise((resolve) => {
      const t0 = now();
      tunnel(px.port, sessionCa.certPem, (err, t) => {
        if (err) return resolve({ why: err.message });
        timed(http, { createConnection: () => t, path: pathname, headers: { host: 'bench.test', authorization: 'Bearer placeholder' } }).then((r) => {
          t.destroy();
          resolve(r.why ? r : { ...r, t: ms(t0, now()) });
        });
      });
    });

  const ok = (r, auth) => {
    if (r.why) return r;
    if (r.status !== 200) return { why: `HTTP ${r.status}` };
    if (r.bytes !== SMALL.length) return { why: `${r.bytes} bytes` };
    if (auth && r.auth !== auth) return { why: `upstream saw ${r.auth} authorization` };
    return { t: r.t };
  };
  const variants = [
    { key: 'httpsNewDirect', label: 'https new conn, direct', run: async () => ok(await timed(https, { ...direct, port: up.https, path: '/small', agent: false }), 'real') },
    { key: 'httpsNewProxy', label: 'https new conn, proxy', run: async () => ok(await newTunnel('/small'), 'real') },
    { key: 'httpsKaDirect', label: 'https keep-alive, direct', run: async () => ok(await timed(https, { ...direct, port: up.https, path: '/small', agent: kaDirectHttps }), 'real') },
    { key: 'httpsKaProxy', label: 'https keep-alive, proxy', run: async () => ok(await viaProxyHttps({ agent: kaProxyHttps }, '/small'), 'real') },
    { key: 'httpNewDirect', label: 'http new conn, direct', run: async () => ok(await timed(http, { host: '127.0.0.1', port: up.http, path: '/small', agent: false, headers: { host: 'plain.test' } })) },
    { key: 'httpNewProxy', label: 'http new conn, proxy', run: async () => ok(await timed(http, { host: '127.0.0.1', port: px.port, path: 'http://plain.test/small', agent: false, headers: { host: 'plain.test' } })) },
    { key: 'httpKaDirect', label: 'http keep-alive, direct', run: async () => ok(await timed(http, { host: '127.0.0.1', port: up.http, path: '/small', agent: kaDirectHttp, headers: { host: 'plain.test' } })) },
    { key: 'httpKaProxy', label: 'http keep-alive, proxy', run: async () => ok(await timed(http, { host: '127.0.0.1', port: px.port, path: 'http://plain.test/small', agent: kaProxyHttp, headers: { host: 'plain.test' } })) },
  ];
  say(`latency: ${opts.warmup} warm-up + ${opts.n} interleaved iterations of ${variants.length} variants`);
  const lat = await interleave(variants, { n: opts.n, warmup: opts.warmup, quiet: opts.json });

  // Throughput: keep-alive connections (already warm), --runs each, interleaved.
  const bytes = opts.mb * 1024 * 1024;
  const big = (r) => (r.why ? r : r.status !== 200 ? { why: `HTTP ${r.status}` } : r.bytes !== bytes && r.bytes !== String(bytes).length ? { why: `${r.bytes} bytes` } : { t: r.t });
  const tput = [
    { key: 'downHttpsDirect', label: 'download https, direct', run: async () => big(await timed(https, { ...direct, port: up.https, path: `/big?mb=${opts.mb}`, agent: kaDirectHttps })) },
    { key: 'downHttpsProxy', label: 'download https, proxy', run: async () => big(await viaProxyHttps({ agent: kaProxyHttps }, `/big?mb=${opts.mb}`)) },
    { key: 'upHttpsDirect', label: 'upload https, direct', run: async () => big(await timed(https, { ...direct, method: 'POST', port: up.https, path: '/up', agent: kaDirectHttps }, bytes)) },
    { key: 'upHttpsProxy', label: 'upload https, proxy', run: async () => big(await viaProxyHttps({ agent: kaProxyHttps }, '/up', bytes)) },
    { key: 'downHttpDirect', label: 'download http, direct', run: async () => big(await timed(http, { host: '127.0.0.1', port: up.http, path: `/big?mb=${opts.mb}`, agent: kaDirectHttp })) },
    { key: 'downHttpProxy', label: 'download http, proxy', run: async () => big(await timed(http, { host: '127.0.0.1', port: px.port, path: `http://plain.test/big?mb=${opts.mb}`, agent: kaProxyHttp })) },
  ];
  say(`throughput: ${opts.runs} runs of ${opts.mb} MB per variant`);
  const tp = await interleave(tput, { n: opts.runs, warmup: 1, quiet: true });
  const mbps = Object.fromEntries(Object.entries(tp.times).map(([k, ts]) => [k, stats(ts.map((t) => opts.mb / (t / 1000)))]));

  // Leaf issuance for new hosts, in this process (the proxy does it once per host per session).
  const issuer = new LeafIssuer(sessionCa);
  await issuer.secureContextFor('warm.test');
  const leafTimes = [];
  for (let i = 0; i < 50; i++) {
    const t0 = now();
    await issuer.secureContextFor(`host${i}.bench.test`);
    leafTimes.push(ms(t0, now()));
  }
  const caTimes = [];
  for (let i = 0; i < 10; i++) {
    const t0 = now();
    await createSessionCa(`ca ${i}`);
    caTimes.push(ms(t0, now()));
  }

  const pxStats = await new Promise((resolve) => {
    children[1].once('message', resolve);
    children[1].send('stats');
  });
  for (const a of [kaDirectHttps, kaProxyHttps, kaDirectHttp, kaProxyHttp]) a.destroy();

  const s = Object.fromEntries(Object.entries(lat.times).map(([k, ts]) => [k, stats(ts)]));
  const pairs = [
    ['https new conn', 'httpsNewProxy', 'httpsNewDirect'],
    ['https keep-alive', 'httpsKaProxy', 'httpsKaDirect'],
    ['http new conn', 'httpNewProxy', 'httpNewDirect'],
    ['http keep-alive', 'httpKaProxy', 'httpKaDirect'],
  ];
  const added = Object.fromEntries(pairs.map(([label, p, d]) => [label, { ...statsDiff(s[p], s[d], ['p50', 'p99']), ratioP50: r2(s[p].p50 / s[d].p50) }]));
  const tputPairs = [
    ['download https', 'downHttpsProxy', 'downHttpsDirect'],
    ['upload https', 'upHttpsProxy', 'upHttpsDirect'],
    ['download http', 'downHttpProxy', 'downHttpDirect'],
  ];
  const failures = { ...lat.failures, ...tp.failures };
  const nFail = Object.values(failures).reduce((a, b) => a + b, 0);
  const summary = {
    bench: 'egress-proxy',
    n: opts.n,
    mb: opts.mb,
    runs: opts.runs,
    ms: s,
    added,
    mbps: Object.fromEntries(Object.entries(mbps).map(([k, v]) => [k, v.p50])),
    throughputRatio: Object.fromEntries(tputPairs.map(([label, p, d]) => [label, r2(mbps[p].p50 / mbps[d].p50)])),
    leafMs: stats(leafTimes),
    caMs: stats(caTimes),
    proxyEvents: pxStats.events,
    proxyInjected: pxStats.injected,
    failures: nFail,
    machine: machine(),
  };
  if (opts.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
  } else {
    const w = 28;
    const lines = ['', `per request, ms (n = ${opts.n} each, interleaved; ${lat.elapsed.toFixed(1)} s)`, statsHeader('variant', w)];
    for (const v of variants) lines.push(statsRow(v.label, s[v.key], w));
    lines.push('', `${'added by the proxy'.padEnd(w)}${'p50'.padStart(8)}${'p99'.padStart(8)}${'ratio'.padStart(8)}`);
    for (const [label] of pairs) lines.push(`${label.padEnd(w)}${f2(added[label].p50)}${f2(added[label].p99)}${f2(added[label].ratioP50)}×`);
    lines.push('', `throughput, MB/s (${opts.mb} MB, median of ${opts.runs}; keep-alive)`, `${'variant'.padEnd(w)}${'p50'.padStart(8)}${'min'.padStart(8)}${'max'.padStart(8)}`);
    for (const v of tput) lines.push(`${v.label.padEnd(w)}${f2(mbps[v.key].p50)}${f2(mbps[v.key].min)}${f2(mbps[v.key].max)}`);
    for (const [label] of tputPairs) lines.push(`${`${label}: proxy / direct`.padEnd(w)}${f2(summary.throughputRatio[label])}`);
    lines.push('', `leaf certificate for a new host: p50 ${f2(summary.leafMs.p50, 0)} ms, p99 ${f2(summary.leafMs.p99, 0)} ms (50 hosts); session CA: p50 ${f2(summary.caMs.p50, 0)} ms`);
    lines.push(`proxy events: ${pxStats.events}, with the secret injected: ${pxStats.injected}`);
    if (nFail) lines.push(`FAILURES: ${JSON.stringify(failures)}; first: ${JSON.stringify({ ...lat.firstWhy, ...tp.firstWhy })}`);
    lines.push('', JSON.stringify(summary));
    process.stdout.write(lines.join('\n') + '\n');
  }
  return nFail ? 1 : 0;
}

// --------------------------------------------------------------------------------- entry
if (process.env.BENCH_ROLE === 'upstream') await upstreamRole();
else if (process.env.BENCH_ROLE === 'proxy') await proxyRole();
else {
  const opts = parseOptions('egress-proxy', parseArgs, QUICK);
  const say = sayer(opts);
  const children = [];
  await runMain(
    'egress-proxy',
    () => main(opts, say, children),
    () => {
      for (const c of children) c.kill();
    },
  );
}
