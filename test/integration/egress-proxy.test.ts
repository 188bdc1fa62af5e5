import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeafIssuer, createSessionCa } from '../../src/egress/ca.js';
import { EgressProxy, type EgressProxyOptions } from '../../src/egress/proxy.js';
import type { EgressDecision, EgressEvent, EgressRequest, ResolvedSecret, SessionCaPems } from '../../src/egress/types.js';

/**
 * The egress proxy end to end: real sockets, real TLS. Upstreams are local servers with their own
 * CA (trusted by the proxy through `upstreamCa`), reached by pins (`resolve`) standing in for
 * DNS: `api.github.com` and `example.test` are HTTPS upstreams, `plain.test` a plain HTTP one.
 * Clients are curl (TCP listener) and Node (TCP and the Unix socket).
 */

const run = promisify(execFile);
vi.setConfig({ testTimeout: 20_000 });
const SECRET = 'ghs_REAL_SECRET_0123456789';
const PLACEHOLDER = 'omni-placeholder-github';

interface Seen {
  server: string;
  method: string;
  url: string;
  host?: string;
  auth?: string;
  key?: string;
  body: string;
}

let dir: string;
let sessionCa: SessionCaPems;
let caFile: string;
const seen: Seen[] = [];
const events: EgressEvent[] = [];
const decided: EgressRequest[] = [];
let decide: (req: EgressRequest, signal: AbortSignal) => Promise<EgressDecision> = async () => ({ verdict: 'allow' });
/** Upstream `/sse` holds its second event until this is called. */
let releaseSse: () => void = () => {};
const servers: Array<http.Server> = [];
const ports: Record<string, number> = {};
let tcpProxy: EgressProxy;
let unixProxy: EgressProxy;
let proxyPort: number;
let sockPath: string;
const logs: string[] = [];

/** A model key for a gateway on loopback over plain http (`loopbackHttp`, as the daemon binds model secrets). */
const MODEL: ResolvedSecret = {
  name: 'model',
  value: 'sk-model-REAL-KEY',
  placeholder: 'omni-placeholder-model',
  inject: [{ host: 'localhost', header: 'x-api-key', value: '${secret}' }, { host: 'gateway.test', header: 'x-api-key', value: '${secret}' }],
  push: [],
  loopbackHttp: true,
};

const GITHUB: ResolvedSecret = {
  name: 'github',
  value: SECRET,
  placeholder: PLACEHOLDER,
  inject: [{ host: 'api.github.com', header: 'authorization', value: 'Bearer ${secret}' }],
  push: ['me/app'],
};

function handler(name: string): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = req.headers['x-api-key'] as string | undefined;
      seen.push({ server: name, method: req.method!, url: req.url!, host: req.headers.host, auth: req.headers.authorization, ...(key ? { key } : {}), body: Buffer.concat(chunks).toString() });
      if (req.url === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write('data: one\n\n');
        releaseSse = () => res.end('data: two\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name });
      res.end(`${name} ${req.method} ${req.url}\n`);
    });
  };
}

async function listen(name: string, server: http.Server): Promise<void> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  ports[name] = (server.address() as net.AddressInfo).port;
  servers.push(server);
  // A WebSocket-like echo after a 101, for the Upgrade test.
  server.on('upgrade', (req, sock: net.Socket, head: Buffer) => {
    seen.push({ server: name, method: req.method!, url: req.url!, host: req.headers.host, auth: req.headers.authorization, body: 'upgrade' });
    sock.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    if (head.length) sock.write(`echo:${head}`);
    sock.on('data', (d) => sock.write(`echo:${d}`));
    sock.on('error', () => {});
  });
}

function options(over: Partial<EgressProxyOptions> = {}): EgressProxyOptions {
  return {
    listen: { port: 0 },
    ca: sessionCa,
    decide: (req, signal) => {
      decided.push(req);
      return decide(req, signal);
    },
    secrets: [GITHUB, MODEL],
    resolve: {
      'api.github.com': `127.0.0.1:${ports.github}`,
      'api.github.com:80': `127.0.0.1:${ports.plain}`,
      'example.test': `127.0.0.1:${ports.example}`,
      'plain.test': `127.0.0.1:${ports.plain}`,
      'meta.test': '169.254.169.254:80',
      'down.test': `127.0.0.1:${ports.down}`,
      // Pinned to a LAN address (nothing listens there): a secret must not go over http to it.
      'gateway.test': '192.0.2.1:80',
    },
    trusted: [`trusted.test:${ports.plain}`, `localhost:${ports.plain}`],
    upstreamCa: [upstreamCa.certPem],
    lookup: async (host) => {
      if (host === 'loopy.test') return ['127.0.0.1'];
      if (host === 'mixed.test') return ['93.184.216.34', '10.1.2.3'];
      if (host === 'trusted.test' || host === 'localhost') return ['127.0.0.1'];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    },
    onEvent: (ev) => events.push(ev),
    log: (msg) => logs.push(msg),
    ...over,
  };
}

let upstreamCa: SessionCaPems;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omt-egress-'));
  sessionCa = await createSessionCa('omni session test');
  caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, sessionCa.certPem);
  upstreamCa = await createSessionCa('upstream test CA');
  const issuer = new LeafIssuer(upstreamCa);
  const sni = (name: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => issuer.secureContextFor(name).then((c) => cb(null, c), cb);
  await listen('github', https.createServer({ SNICallback: sni }, handler('github')));
  await listen('example', https.createServer({ SNICallback: sni }, handler('example')));
  await listen('plain', http.createServer(handler('plain')));
  // A port with nothing on it, for the 502 test.
  const tmp = net.createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  ports.down = (tmp.address() as net.AddressInfo).port;
  await new Promise((r) => tmp.close(r));

  tcpProxy = new EgressProxy(options());
  await tcpProxy.start();
  proxyPort = (tcpProxy.address as net.AddressInfo).port;
  sockPath = path.join(dir, 'proxy.sock');
  fs.writeFileSync(sockPath, 'stale'); // a leftover the proxy must replace
  unixProxy = new EgressProxy(options({ listen: { path: sockPath } }));
  await unixProxy.start();
});

afterAll(async () => {
  await tcpProxy?.close();
  await unixProxy?.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  decide = async () => ({ verdict: 'allow' });
  seen.length = 0;
  decided.length = 0;
});

// ------------------------------------------------------------------------------ clients

/** curl through the TCP listener; the last line of stdout is the status. No proxy variables leak in. */
async function curl(...args: string[]): Promise<{ status: number; body: string; stderr: string }> {
  const r = await run('curl', ['-sS', '-m', '20', '-x', `http://127.0.0.1:${proxyPort}`, '-w', '\n%{http_code}', ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }).catch((e: { stdout: string; stderr: string }) => e);
  const lines = r.stdout.split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n').replace(/\n$/, ''), stderr: r.stderr };
}

type Via = { port: number } | { socketPath: string };

/** A CONNECT tunnel through the proxy (TCP or Unix socket). */
function connect(via: Via, target: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const r = http.request({ ...('port' in via ? { host: '127.0.0.1', port: via.port } : via), method: 'CONNECT', path: target, agent: false });
    r.on('connect', (res, sock: net.Socket) => (res.statusCode === 200 ? resolve(sock) : reject(new Error(`CONNECT ${res.statusCode}`))));
    r.on('error', reject);
    r.end();
  });
}

/** TLS over a tunnel, trusting only the session CA. */
function tlsOver(sock: net.Socket, servername: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = tls.connect({ socket: sock, servername, ca: sessionCa.certPem }, () => resolve(t));
    t.on('error', reject);
  });
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on an established connection (a tunnel, plain or TLS). */
function requestOn(sock: net.Socket, opts: http.RequestOptions & { body?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = http.request(opts.agent ? opts : { ...opts, createConnection: () => sock }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    r.on('error', reject);
    r.end(opts.body);
  });
}

const lastEvent = () => events[events.length - 1]!;

async function waitFor<T>(get: () => T | undefined, ms = 10_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    const v = get();
    if (v !== undefined) return v;
  }
  throw new Error('timed out waiting');
}

// ------------------------------------------------------------------------------ tests

describe('EgressProxy over TCP with curl', () => {
  it('terminates TLS with the session CA and injects the real token for the bound host', async () => {
    const r = await curl('--cacert', caFile, '-H', `Authorization: Bearer ${PLACEHOLDER}`, 'https://api.github.com/user?per_page=1');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(200);
    expect(r.body).toBe('github GET /user?per_page=1');
    expect(seen).toEqual([{ server: 'github', method: 'GET', url: '/user?per_page=1', host: 'api.github.com', auth: `Bearer ${SECRET}`, body: '' }]);
    expect(decided).toEqual([{ scheme: 'https', host: 'api.github.com', port: 443, method: 'GET', path: '/user' }]);
    expect(lastEvent()).toMatchObject({ scheme: 'https', host: 'api.github.com', port: 443, method: 'GET', path: '/user', verdict: 'allow', status: 200, secrets: ['github'] });
    expect(lastEvent().ms).toBeGreaterThanOrEqual(0);
  });

  it('without the session CA the client refuses the certificate', async () => {
    const r = await curl('https://api.github.com/user');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/certificate|SSL/i);
    expect(seen).toEqual([]);
  });

  it('another allowed host gets no real token (the placeholder goes through as sent)', async () => {
    const r = await curl('--cacert', caFile, '-H', `Authorization: Bearer ${PLACEHOLDER}`, 'https://example.test/x');
    expect(r.status).toBe(200);
    expect(seen).toEqual([expect.objectContaining({ server: 'example', url: '/x', auth: `Bearer ${PLACEHOLDER}` })]);
    expect(lastEvent()).toMatchObject({ host: 'example.test', verdict: 'allow', status: 200 });
    expect(lastEvent().secrets).toBeUndefined();
  });

  it('a deny from decide gives 403 with the reason, and the upstream sees nothing', async () => {
    decide = async () => ({ verdict: 'deny', reason: 'example.test is not in sandbox.network.allow' });
    const r = await curl('--cacert', caFile, 'https://example.test/nope');
    expect(r.status).toBe(403);
    expect(r.body).toBe('omni egress: example.test is not in sandbox.network.allow');
    expect(seen).toEqual([]);
    expect(lastEvent()).toMatchObject({ host: 'example.test', path: '/nope', verdict: 'deny', status: 403, reason: 'example.test is not in sandbox.network.allow' });
  });

  it('a name resolving to a private address is refused (without a pin); any private address in the answer counts', async () => {
    let r = await curl('http://loopy.test/');
    expect(r.status).toBe(403);
    expect(r.body).toMatch(/loopy\.test resolves to 127\.0\.0\.1, a loopback address/);
    r = await curl('--cacert', caFile, 'https://mixed.test/');
    expect(r.status).toBe(403);
    expect(r.body).toMatch(/10\.1\.2\.3, a private \(10\/8\) address/);
    expect(seen).toEqual([]);
    expect(lastEvent()).toMatchObject({ host: 'mixed.test', verdict: 'deny', status: 403 });
  });

  it('a trusted host:port may resolve to loopback (the configured model endpoint)', async () => {
    const r = await curl(`http://trusted.test:${ports.plain}/v1/models`);
    expect(r.status).toBe(200);
    expect(seen).toEqual([expect.objectContaining({ server: 'plain', url: '/v1/models' })]);
  });

  it('a loopbackHttp secret goes over plain http to a trusted loopback endpoint only', async () => {
    let r = await curl('-H', 'x-api-key: omni-placeholder-model', `http://localhost:${ports.plain}/v1/messages`);
    expect(r.status).toBe(200);
    // Through a CONNECT tunnel too (undici / Pi).
    r = await curl('-p', '-H', 'x-api-key: omni-placeholder-model', `http://localhost:${ports.plain}/v1/messages`);
    expect(r.status).toBe(200);
    expect(seen).toEqual([expect.objectContaining({ url: '/v1/messages', key: MODEL.value }), expect.objectContaining({ url: '/v1/messages', key: MODEL.value })]);
    expect(lastEvent()).toMatchObject({ scheme: 'http', host: 'localhost', secrets: ['model'] });
    // The same binding to a host pinned off the machine: the placeholder goes, not the key.
    // (Nothing listens there; the event comes when the connection fails or curl gives up.)
    await curl('-m', '3', '-H', 'x-api-key: omni-placeholder-model', 'http://gateway.test/v1/messages');
    const ev = await waitFor(() => events.find((e) => e.host === 'gateway.test'));
    expect(ev).toMatchObject({ scheme: 'http', verdict: 'allow' });
    expect(ev.secrets).toBeUndefined();
  });

  it('IP literals: private ones refused before decide; metadata refused even when pinned', async () => {
    let r = await curl(`http://127.0.0.1:${ports.plain}/`);
    expect(r.status).toBe(403);
    expect(r.body).toMatch(/127\.0\.0\.1 is a loopback address/);
    r = await curl('http://169.254.169.254/latest/meta-data/');
    expect(r.status).toBe(403);
    expect(r.body).toMatch(/metadata/);
    r = await curl('http://meta.test/latest/meta-data/');
    expect(r.status).toBe(403);
    expect(r.body).toMatch(/meta\.test is pinned to 169\.254\.169\.254, a cloud metadata address/);
    r = await curl('--cacert', caFile, 'https://[fd00:ec2::254]/latest');
    expect(r.status).toBe(403);
    expect(decided).toEqual([]);
  });

  it('TRACE is refused', async () => {
    const r = await curl('--cacert', caFile, '-X', 'TRACE', 'https://api.github.com/');
    expect(r.status).toBe(405);
    expect(seen).toEqual([]);
    expect(lastEvent()).toMatchObject({ method: 'TRACE', verdict: 'deny', status: 405 });
  });

  it('plain absolute-URI http works and never gets secrets, even to a bound host', async () => {
    const r = await curl('-H', `Authorization: Bearer ${PLACEHOLDER}`, 'http://api.github.com/user?q=1');
    expect(r.status).toBe(200);
    expect(r.body).toBe('plain GET /user?q=1');
    expect(seen).toEqual([expect.objectContaining({ server: 'plain', url: '/user?q=1', host: 'api.github.com', auth: `Bearer ${PLACEHOLDER}` })]);
    expect(lastEvent()).toMatchObject({ scheme: 'http', host: 'api.github.com', port: 80, verdict: 'allow', status: 200 });
    expect(lastEvent().secrets).toBeUndefined();
  });

  it('CONNECT to a plain-HTTP upstream (what undici does for http://) works', async () => {
    const r = await curl('-p', '-X', 'POST', '--data-binary', 'hello body', 'http://plain.test/tunnel');
    expect(r.status).toBe(200);
    expect(r.body).toBe('plain POST /tunnel');
    expect(seen).toEqual([expect.objectContaining({ server: 'plain', method: 'POST', url: '/tunnel', body: 'hello body' })]);
    expect(lastEvent()).toMatchObject({ scheme: 'http', host: 'plain.test', port: 80, method: 'POST', verdict: 'allow' });
  });

  it('git push: to a repository not in the push list refused, to a listed one forwarded', async () => {
    let r = await curl('--cacert', caFile, '-X', 'POST', '--data-binary', 'pack', 'https://api.github.com/me/other.git/git-receive-pack');
    expect(r.status).toBe(403);
    expect(r.body).toMatch(/git push to me\/other on api\.github\.com is not allowed for secret github/);
    r = await curl('--cacert', caFile, 'https://api.github.com/me/other.git/info/refs?service=git-receive-pack');
    expect(r.status).toBe(403);
    expect(seen).toEqual([]);
    expect(decided).toEqual([]);
    r = await curl('--cacert', caFile, '-X', 'POST', '--data-binary', 'pack', 'https://api.github.com/Me/App.git/git-receive-pack');
    expect(r.status).toBe(200);
    expect(seen).toEqual([expect.objectContaining({ method: 'POST', url: '/Me/App.git/git-receive-pack', auth: `Bearer ${SECRET}`, body: 'pack' })]);
  });

  it('the Host header is not trusted for routing: the CONNECT target is', async () => {
    const r = await curl('--cacert', caFile, '-H', 'Host: api.github.com', '-H', `Authorization: Bearer ${PLACEHOLDER}`, 'https://example.test/h');
    expect(r.status).toBe(200);
    expect(seen).toEqual([expect.objectContaining({ server: 'example', host: 'example.test', auth: `Bearer ${PLACEHOLDER}` })]);
  });

  it('paths with dot segments are refused; origin-form and https:// absolute URIs get 400', async () => {
    let r = await curl('--cacert', caFile, '--path-as-is', 'https://api.github.com/repos/../user');
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/"\." or "\.\." segments/);
    r = await curl('--cacert', caFile, '--path-as-is', 'https://api.github.com/repos/%2E%2e/user');
    expect(r.status).toBe(400);
    const direct = await run('curl', ['-sS', '-w', '\n%{http_code}', `http://127.0.0.1:${proxyPort}/hello`]);
    expect(direct.stdout).toMatch(/send CONNECT host:port, or an absolute http:\/\/ URI\n\n400$/);
    const abs = await new Promise<number>((resolve) => {
      const s = net.connect(proxyPort, '127.0.0.1', () => s.write('GET https://api.github.com/ HTTP/1.1\r\nHost: api.github.com\r\n\r\n'));
      s.once('data', (d) => {
        resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(String(d))?.[1]));
        s.destroy();
      });
    });
    expect(abs).toBe(400);
    expect(seen).toEqual([]);
  });

  it('an unreachable upstream gives 502 with a one-line reason', async () => {
    const r = await curl('http://down.test/');
    expect(r.status).toBe(502);
    expect(r.body).toMatch(/^omni egress: upstream down\.test:80: .*ECONNREFUSED/);
    expect(lastEvent()).toMatchObject({ host: 'down.test', verdict: 'allow', status: 502 });
    const r2 = await curl('http://nowhere.test/');
    expect(r2.status).toBe(502);
    expect(r2.body).toMatch(/cannot resolve nowhere\.test: ENOTFOUND/);
  });
});

describe('EgressProxy with Node clients', () => {
  it('streams an SSE response chunk by chunk (the first event arrives before the upstream ends)', async () => {
    const t = await tlsOver(await connect({ port: proxyPort }, 'api.github.com:443'), 'api.github.com');
    const got: string[] = [];
    const status = await new Promise<number>((resolve, reject) => {
      const r = http.request({ createConnection: () => t, host: 'api.github.com', path: '/sse', headers: { accept: 'text/event-stream' } }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          got.push(c);
          // Only now may the upstream finish: a buffering proxy would never get here.
          if (got.length === 1) releaseSse();
        });
        res.on('end', () => resolve(res.statusCode!));
      });
      r.on('error', reject);
      r.end();
    });
    expect(status).toBe(200);
    expect(got[0]).toBe('data: one\n\n');
    expect(got.join('')).toBe('data: one\n\ndata: two\n\n');
    t.destroy();
  });

  it('through the Unix socket: CONNECT + TLS with the session CA; the socket is private', async () => {
    expect(fs.statSync(sockPath).mode & 0o777).toBe(0o600);
    const t = await tlsOver(await connect({ socketPath: sockPath }, 'api.github.com:443'), 'api.github.com');
    // One keep-alive connection: the tunnel itself, reused for both requests.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    (agent as unknown as { createConnection: () => net.Socket }).createConnection = () => t;
    const r = await requestOn(t, { agent, host: 'api.github.com', method: 'POST', path: '/repos/me/app/issues', headers: { authorization: `Bearer ${PLACEHOLDER}`, 'content-type': 'application/json' }, body: '{"title":"x"}' });
    expect(r.status).toBe(200);
    expect(r.headers['x-upstream']).toBe('github');
    expect(seen).toEqual([{ server: 'github', method: 'POST', url: '/repos/me/app/issues', host: 'api.github.com', auth: `Bearer ${SECRET}`, body: '{"title":"x"}' }]);
    // Keep-alive inside the tunnel: a second request on the same TLS connection.
    const r2 = await requestOn(t, { agent, host: 'api.github.com', path: '/second' });
    expect(r2.status).toBe(200);
    expect(seen[1]).toMatchObject({ url: '/second', auth: `Bearer ${SECRET}` });
    agent.destroy();
  });

  it('plain HTTP over a CONNECT tunnel with bytes sent right behind the CONNECT', async () => {
    const s = net.connect(proxyPort, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write('CONNECT plain.test:80 HTTP/1.1\r\nHost: plain.test:80\r\n\r\nGET /eager HTTP/1.1\r\nHost: plain.test\r\nConnection: close\r\n\r\n');
    let text = '';
    s.on('data', (d) => (text += d));
    await new Promise((r) => s.on('close', r));
    expect(text).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK/);
    expect(text).toMatch(/plain GET \/eager/);
  });

  it('TLS over a CONNECT tunnel with the ClientHello sent right behind the CONNECT', async () => {
    const raw = net.connect(proxyPort, '127.0.0.1');
    await new Promise((r) => raw.once('connect', r));
    // Corked: the CONNECT and the ClientHello leave in one write, so the proxy gets the
    // ClientHello as the CONNECT's `head`.
    raw.cork();
    raw.write('CONNECT api.github.com:443 HTTP/1.1\r\nHost: api.github.com:443\r\n\r\n');
    setTimeout(() => raw.uncork(), 20);
    // A stream that hides the proxy's "200 Connection Established" from the TLS client, so the
    // client can send its ClientHello at once instead of waiting for it.
    const ESTABLISHED = 'HTTP/1.1 200 Connection Established\r\n\r\n';
    let skip = ESTABLISHED.length;
    const { Duplex } = await import('node:stream');
    const eager = new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        raw.write(chunk, cb);
      },
      final(cb) {
        raw.end();
        cb();
      },
    });
    raw.on('data', (d: Buffer) => {
      const rest = skip > 0 ? d.subarray(Math.min(skip, d.length)) : d;
      skip -= Math.min(skip, d.length);
      if (rest.length) eager.push(rest);
    });
    raw.on('end', () => eager.push(null));
    const t = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const c = tls.connect({ socket: eager as unknown as net.Socket, servername: 'api.github.com', ca: sessionCa.certPem }, () => resolve(c));
      c.on('error', reject);
    });
    const r = await requestOn(t as unknown as net.Socket, { host: 'api.github.com', path: '/eager-tls', headers: { authorization: `Bearer ${PLACEHOLDER}` } });
    expect(r.status).toBe(200);
    expect(seen).toEqual([expect.objectContaining({ url: '/eager-tls', auth: `Bearer ${SECRET}` })]);
    raw.destroy();
  });

  it('WebSocket-style Upgrade through a TLS tunnel: checks, secret, then both directions piped', async () => {
    const t = await tlsOver(await connect({ port: proxyPort }, 'api.github.com:443'), 'api.github.com');
    const echoed = await new Promise<string>((resolve, reject) => {
      const r = http.request({ createConnection: () => t, host: 'api.github.com', path: '/ws', headers: { connection: 'Upgrade', upgrade: 'websocket', authorization: `Bearer ${PLACEHOLDER}` } });
      r.on('upgrade', (res, sock: net.Socket) => {
        expect(res.statusCode).toBe(101);
        sock.write('ping');
        sock.once('data', (d) => {
          resolve(String(d));
          sock.destroy();
        });
      });
      r.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      r.on('error', reject);
      r.end();
    });
    expect(echoed).toBe('echo:ping');
    expect(seen).toEqual([expect.objectContaining({ server: 'github', url: '/ws', auth: `Bearer ${SECRET}`, body: 'upgrade' })]);
    expect(lastEvent()).toMatchObject({ path: '/ws', verdict: 'allow', status: 101, secrets: ['github'] });
  });

  it('a denied Upgrade gets a 403 and nothing upstream', async () => {
    decide = async () => ({ verdict: 'deny', reason: 'no websockets' });
    const t = await tlsOver(await connect({ port: proxyPort }, 'example.test:443'), 'example.test');
    const r = await requestOn(t, { host: 'example.test', path: '/ws', headers: { connection: 'Upgrade', upgrade: 'websocket' } });
    expect(r.status).toBe(403);
    expect(r.body).toBe('omni egress: no websockets\n');
    expect(seen).toEqual([]);
  });

  it('a client that goes away during a pending decide aborts its signal', async () => {
    let signalled!: () => void;
    const aborted = new Promise<void>((r) => (signalled = r));
    let entered!: () => void;
    const pending = new Promise<void>((r) => (entered = r));
    decide = (_req, signal) =>
      new Promise((resolve) => {
        entered();
        signal.addEventListener('abort', () => {
          signalled();
          resolve({ verdict: 'allow' });
        });
      });
    const t = await tlsOver(await connect({ port: proxyPort }, 'example.test:443'), 'example.test');
    const r = http.request({ createConnection: () => t, host: 'example.test', path: '/held' });
    r.on('error', () => {});
    r.end();
    await pending;
    t.destroy();
    await aborted;
    await new Promise((res) => setTimeout(res, 50));
    expect(seen).toEqual([]);
    expect(lastEvent()).toMatchObject({ path: '/held', verdict: 'deny', reason: 'the client went away before the decision' });
  });

  it('garbage after CONNECT is not relayed and does not hurt the proxy', async () => {
    const s = await connect({ port: proxyPort }, 'plain.test:80');
    let text = '';
    s.on('data', (d) => (text += d));
    s.write('\x00\x01 not http at all\r\n\r\n');
    await new Promise((r) => s.on('close', r));
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    const r = await curl('http://plain.test/after-garbage');
    expect(r.status).toBe(200);
  });
});

describe('EgressProxy events and shutdown', () => {
  it('no event ever holds the secret value, a header value or a query string', () => {
    expect(events.length).toBeGreaterThan(15);
    const text = JSON.stringify(events);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(MODEL.value);
    expect(text).not.toContain(PLACEHOLDER);
    expect(text).not.toContain('per_page');
    expect(text).not.toContain('service=');
    expect(JSON.stringify(logs)).not.toContain(SECRET);
  });

  it('close() ends open tunnels and held requests, and removes the socket', async () => {
    const p = new EgressProxy(options({ listen: { path: path.join(dir, 'p2.sock') } }));
    await p.start();
    let aborted = false;
    let entered!: () => void;
    const pending = new Promise<void>((r) => (entered = r));
    decide = (_req, signal) =>
      new Promise((resolve) => {
        entered();
        signal.addEventListener('abort', () => {
          aborted = true;
          resolve({ verdict: 'deny' });
        });
      });
    const t = await tlsOver(await connect({ socketPath: path.join(dir, 'p2.sock') }, 'example.test:443'), 'example.test');
    const closed = new Promise((r) => t.on('close', r));
    const r = http.request({ createConnection: () => t, host: 'example.test', path: '/held' });
    r.on('error', () => {});
    r.end();
    await pending;
    await p.close();
    await closed;
    expect(aborted).toBe(true);
    expect(fs.existsSync(path.join(dir, 'p2.sock'))).toBe(false);
  });
});
