import dns from 'node:dns';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { addressClass, isMetadataAddress } from './addresses.js';
import { LeafIssuer } from './ca.js';
import { normalizeHost, PathMatchers } from './rules.js';
import { injectSecrets, pushAllowed, scrub } from './secrets.js';
import type { EgressDecision, EgressEvent, EgressRequest, ResolvedSecret, SessionCaPems } from './types.js';

/**
 * The per-session egress proxy (docs/SANDBOX.md, test/fixtures/sandbox/FINDINGS.md §2, §4).
 *
 * The sandbox has no network; this listener is its only way out, and the listener is the
 * session's identity. It speaks:
 *   - `CONNECT host:port`, then either TLS (terminated with a leaf from the session CA, so each
 *     request inside is seen by method and path) or plain HTTP (undici tunnels even http://
 *     upstreams with CONNECT). What arrives on a tunnel is always parsed as HTTP/1.1: nothing is
 *     ever relayed as opaque bytes, except an accepted Upgrade (WebSocket).
 *   - absolute-URI `http://` requests.
 * Every request goes through, in order: TRACE refused; the address check for pins and IP
 * literals; the git push check; the daemon's `decide` (which may hold the request while a
 * person answers); DNS for names, every address checked; secret injection; forwarding, both
 * bodies streamed. Routing always uses the CONNECT target or the absolute URI, never the Host
 * header (which is rewritten to the target).
 */

export interface EgressProxyOptions {
  listen: { path: string } | { port: number; host?: string };
  ca: SessionCaPems;
  /** The policy: allow or deny one request. `signal` aborts when the client goes away. */
  decide(req: EgressRequest, signal: AbortSignal): Promise<EgressDecision>;
  secrets: ResolvedSecret[];
  /** host (or host:port) → ip or ip:port. Trusted even if private; never if metadata. */
  resolve: Record<string, string>;
  /** `host:port` targets exempt from the private-address refusal (the configured model endpoint). */
  trusted: string[];
  /** Extra CA certificates (PEM texts) for upstream TLS, besides Node's root store. */
  upstreamCa?: string[];
  /** Shared TLS contexts for upstream connections (built per proxy without it). */
  upstreamContexts?: UpstreamContexts;
  onEvent(ev: EgressEvent): void;
  /** Name → addresses; default `dns.promises.lookup(host, { all: true })`. */
  lookup?: (host: string) => Promise<string[]>;
  log?: (msg: string) => void;
}

interface Target {
  scheme: 'http' | 'https';
  /** Normalized: lower case, no brackets, no trailing dot. */
  host: string;
  port: number;
}

interface Pin {
  ip: string;
  port?: number;
}

/** One request being handled: a normal one (`res`) or an Upgrade (`socket`, `head`). */
interface Exchange {
  req: http.IncomingMessage;
  target: Target;
  /** Path and query as sent (origin form). */
  rawPath: string;
  res?: http.ServerResponse;
  socket?: Duplex;
  head?: Buffer;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus the proxy's own; never forwarded. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'upgrade'];

/** How long a new tunnel may stay silent before its first byte. */
const FIRST_BYTE_MS = 60_000;

/**
 * Upstream TLS contexts by extra CA set: building one from ~140 roots costs tens of ms, so
 * whoever starts many proxies (the daemon's SandboxService) keeps one of these for all of them.
 */
export class UpstreamContexts {
  private byCa = new Map<string, tls.SecureContext>();

  get(extra: readonly string[]): tls.SecureContext {
    const key = extra.join('\n');
    let ctx = this.byCa.get(key);
    if (!ctx) {
      ctx = tls.createSecureContext({ ca: [...tls.rootCertificates, ...extra] });
      this.byCa.set(key, ctx);
    }
    return ctx;
  }
}

/** `host`, `host:port`, `[v6]`, `[v6]:port`, or a bare IPv6 literal → parts; undefined if malformed. */
export function parseAuthority(s: string, defaultPort?: number): { host: string; port?: number } | undefined {
  let host = s;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d*))?$/.exec(s);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
    if (!net.isIPv6(host)) return undefined;
  } else if (net.isIPv6(s)) {
    host = s;
  } else {
    const i = s.lastIndexOf(':');
    if (i >= 0) {
      host = s.slice(0, i);
      portText = s.slice(i + 1);
    }
  }
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return undefined;
    port = Number(portText);
    if (port < 1 || port > 65535) return undefined;
  }
  host = normalizeHost(host);
  if (!net.isIP(host) && !/^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$/.test(host)) return undefined;
  return { host, port };
}

/** `/a/b?q` → path and query; an error for paths a rule could be fooled by. */
function splitPath(raw: string): { path: string; query: string } | { error: string } {
  const q = raw.indexOf('?');
  const path = (q >= 0 ? raw.slice(0, q) : raw).replace(/#.*$/, '') || '/';
  const query = q >= 0 ? raw.slice(q + 1).replace(/#.*$/, '') : '';
  if (!path.startsWith('/')) return { error: 'the request target must be a path starting with "/"' };
  // `/allowed/../secret` would match `/allowed/**` and reach /secret upstream.
  const dot = path.split('/').some((seg) => /^(?:\.|%2e){1,2}$/i.test(seg));
  if (dot) return { error: 'a path with "." or ".." segments is refused (send the normalized path)' };
  return { path, query };
}

const hostHeader = (t: Target): string => {
  const h = net.isIPv6(t.host) ? `[${t.host}]` : t.host;
  return t.port === (t.scheme === 'https' ? 443 : 80) ? h : `${h}:${t.port}`;
};

/** One line, for a response body or a log: the error's code and message. */
const oneLine = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  const msg = (e?.message ?? String(err)).split('\n')[0]!;
  return e?.code && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg;
};

/**
 * A tunnel's socket as a plain stream, for handing a plain-HTTP tunnel to the inner HTTP server.
 * The raw socket cannot be passed itself: the first byte was read to tell TLS from HTTP, and
 * http.Server consumes a net.Socket's handle directly, so bytes pushed back with unshift() would
 * never reach its parser (measured). tls.TLSSocket does read them, so TLS needs no wrapper.
 */
class TunnelStream extends Duplex {
  constructor(
    private readonly sock: net.Socket,
    first: Buffer,
  ) {
    super();
    sock.on('data', (d: Buffer) => {
      if (!this.push(d)) sock.pause();
    });
    sock.on('end', () => this.push(null));
    sock.on('error', (err) => this.destroy(err));
    sock.on('close', () => this.destroy());
    sock.on('timeout', () => this.emit('timeout'));
    this.push(first);
  }
  override _read(): void {
    this.sock.resume();
  }
  override _write(chunk: Buffer, enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.sock.write(chunk, enc, cb);
  }
  override _final(cb: (err?: Error | null) => void): void {
    this.sock.end();
    cb();
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.sock.destroy();
    cb(err);
  }
  // What http.Server calls on its connections.
  setTimeout(ms: number, cb?: () => void): this {
    this.sock.setTimeout(ms);
    if (cb) this.once('timeout', cb);
    return this;
  }
  setNoDelay(v?: boolean): this {
    this.sock.setNoDelay(v);
    return this;
  }
  setKeepAlive(enable?: boolean, delay?: number): this {
    this.sock.setKeepAlive(enable, delay);
    return this;
  }
  get remoteAddress(): string | undefined {
    return this.sock.remoteAddress;
  }
}

export class EgressProxy {
  private readonly outer: http.Server;
  /** Where decrypted (or plain) requests from CONNECT tunnels are parsed. */
  private readonly inner: http.Server;
  private readonly issuer: LeafIssuer;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private readonly tlsContext: tls.SecureContext;
  /** The tunnel target of each socket handed to the inner server. */
  private readonly targets = new WeakMap<object, Target>();
  private readonly clients = new Set<net.Socket>();
  /** Sockets outside the agents (upgrades): closed by close(). */
  private readonly detached = new Set<Duplex>();
  private readonly pins = new Map<string, Pin>();
  private readonly trusted = new Set<string>();
  /** The secret bindings' path globs, compiled once for this proxy. */
  private readonly pathGlobs = new PathMatchers();
  private closed = false;

  constructor(private readonly opts: EgressProxyOptions) {
    this.issuer = new LeafIssuer(opts.ca);
    this.tlsContext = (opts.upstreamContexts ?? new UpstreamContexts()).get(opts.upstreamCa ?? []);
    for (const [k, v] of Object.entries(opts.resolve)) {
      const key = parseAuthority(k);
      const pin = parseAuthority(v);
      if (!key) throw new Error(`egress resolve: "${k}" is not a host or host:port`);
      if (!pin || !net.isIP(pin.host)) throw new Error(`egress resolve: "${v}" (for ${k}) is not an ip or ip:port`);
      this.pins.set(key.port ? `${key.host}:${key.port}` : key.host, { ip: pin.host, port: pin.port });
    }
    for (const t of opts.trusted) {
      let a = parseAuthority(t);
      // An unbracketed IPv6 host:port (`::1:8080`) parses as one address; the last group is the port.
      if (a && !a.port && net.isIPv6(a.host)) a = parseAuthority(`[${t.slice(0, t.lastIndexOf(':'))}]${t.slice(t.lastIndexOf(':'))}`);
      if (!a?.port) throw new Error(`egress trusted: "${t}" is not host:port`);
      this.trusted.add(`${a.host}:${a.port}`);
    }

    const serverOpts: http.ServerOptions = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 30_000 };
    // requestTimeout 0: a held ask keeps a request open for as long as a person needs, and a
    // model's streamed answer for minutes.
    this.outer = http.createServer(serverOpts);
    this.inner = http.createServer(serverOpts);
    this.outer.on('connection', (s: net.Socket) => this.track(s));
    this.outer.on('request', (req, res) => this.onOuterRequest(req, res));
    this.outer.on('connect', (req, sock: net.Socket, head: Buffer) => this.onConnect(req, sock, head));
    this.outer.on('upgrade', (req, sock: net.Socket, head: Buffer) => this.onOuterUpgrade(req, sock, head));
    this.inner.on('request', (req, res) => this.onInnerRequest(req, res));
    this.inner.on('upgrade', (req, sock: Duplex, head: Buffer) => this.onInnerUpgrade(req, sock, head));
    this.inner.on('connect', (_req, sock: Duplex) => rawReply(sock, 405, 'CONNECT inside a tunnel is refused'));
    for (const s of [this.outer, this.inner]) s.on('clientError', (err: NodeJS.ErrnoException, sock: Duplex) => this.onClientError(err, sock));
  }

  /** The listening address (a port for TCP, the path for a Unix socket), once started. */
  get address(): net.AddressInfo | string | null {
    return this.outer.address();
  }

  async start(): Promise<void> {
    const l = this.opts.listen;
    if ('path' in l) {
      try {
        fs.unlinkSync(l.path); // left by a daemon that died; the session is ours
      } catch {
        /* not there */
      }
    }
    await new Promise<void>((resolve, reject) => {
      this.outer.once('error', reject);
      const done = () => {
        this.outer.off('error', reject);
        resolve();
      };
      if ('path' in l) this.outer.listen(l.path, done);
      else this.outer.listen(l.port, l.host ?? '127.0.0.1', done);
    });
    this.outer.on('error', (err) => this.log(`listener: ${oneLine(err)}`));
    if ('path' in l) fs.chmodSync(l.path, 0o600);
  }

  /** Stops listening and ends every connection (held decisions see their signal abort). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closing = new Promise<void>((resolve) => this.outer.close(() => resolve()));
    for (const s of this.clients) s.destroy();
    for (const s of this.detached) s.destroy();
    this.outer.closeAllConnections();
    this.inner.closeAllConnections();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    await closing;
    if ('path' in this.opts.listen) {
      try {
        fs.unlinkSync(this.opts.listen.path);
      } catch {
        /* gone */
      }
    }
  }

  // ------------------------------------------------------------------------------ listeners

  private log(msg: string): void {
    try {
      this.opts.log?.(scrub(msg, this.opts.secrets));
    } catch {
      /* a logger that throws must not take the proxy down */
    }
  }

  private track(s: net.Socket): void {
    this.clients.add(s);
    s.on('close', () => this.clients.delete(s));
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') this.log(`client socket: ${oneLine(err)}`);
    });
  }

  private onClientError(err: NodeJS.ErrnoException, sock: Duplex): void {
    // Malformed HTTP, a TLS handshake the client aborted (it does not trust the CA), a reset.
    if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE' && !/handshake|certificate|alert/i.test(err.message)) this.log(`client: ${oneLine(err)}`);
    if (sock.writable && err.code?.startsWith('HPE_')) {
      sock.end(`HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: text/plain\r\n\r\nomni egress: malformed request\n`);
    }
    sock.destroy();
  }

  private onConnect(req: http.IncomingMessage, sock: net.Socket, head: Buffer): void {
    const a = parseAuthority(req.url ?? '', 443);
    if (!a || this.closed) {
      sock.end(`HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: text/plain\r\n\r\nomni egress: CONNECT needs host:port\n`);
      return;
    }
    const port = a.port!;
    // Issue (or fetch) the leaf while waiting for the first byte; cached per host.
    const ctx = this.issuer.secureContextFor(a.host);
    ctx.catch(() => {});
    sock.setNoDelay(true);
    sock.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    // A tunnel nobody speaks on is closed; once handed over, the inner server's timeouts apply.
    sock.setTimeout(FIRST_BYTE_MS, () => sock.destroy());
    const start = (first: Buffer): void => {
      sock.setTimeout(0);
      sock.pause();
      if (first[0] === 0x16) {
        // A TLS handshake record. TLSSocket reads what is buffered on the socket first.
        sock.unshift(first);
        ctx.then(
          (secureContext) => {
            if (sock.destroyed) return;
            const t = new tls.TLSSocket(sock, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
            t.on('error', () => t.destroy());
            this.targets.set(t, { scheme: 'https', host: a.host, port });
            this.inner.emit('connection', t);
          },
          (err) => {
            this.log(`certificate for ${a.host}: ${oneLine(err)}`);
            sock.destroy();
          },
        );
      } else {
        const s = new TunnelStream(sock, first);
        s.on('error', () => s.destroy());
        this.targets.set(s, { scheme: 'http', host: a.host, port });
        this.inner.emit('connection', s);
      }
    };
    if (head.length > 0) start(head);
    else sock.once('data', start);
  }

  private onOuterRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const abs = this.absolute(req);
    if ('error' in abs) {
      plainReply(res, 400, abs.error);
      return;
    }
    void this.exchange({ req, res, target: abs.target, rawPath: abs.rawPath });
  }

  private onOuterUpgrade(req: http.IncomingMessage, sock: net.Socket, head: Buffer): void {
    const abs = this.absolute(req);
    if ('error' in abs) {
      rawReply(sock, 400, abs.error);
      return;
    }
    void this.exchange({ req, socket: sock, head, target: abs.target, rawPath: abs.rawPath });
  }

  private onInnerRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = this.targets.get(req.socket);
    const url = req.url ?? '';
    if (!target || !url.startsWith('/')) {
      plainReply(res, 400, 'inside a tunnel, send origin-form requests (GET /path)');
      return;
    }
    void this.exchange({ req, res, target, rawPath: url });
  }

  private onInnerUpgrade(req: http.IncomingMessage, sock: Duplex, head: Buffer): void {
    const target = this.targets.get(req.socket);
    const url = req.url ?? '';
    if (!target || !url.startsWith('/')) {
      rawReply(sock, 400, 'inside a tunnel, send origin-form requests (GET /path)');
      return;
    }
    void this.exchange({ req, socket: sock, head, target, rawPath: url });
  }

  /** The target of an absolute-URI request on the outer listener. */
  private absolute(req: http.IncomingMessage): { target: Target; rawPath: string } | { error: string } {
    const url = req.url ?? '';
    const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/i.exec(url);
    if (!m) return { error: "this is the session's egress proxy: send CONNECT host:port, or an absolute http:// URI" };
    const scheme = m[1]!.toLowerCase();
    if (scheme === 'https') return { error: 'https:// through this proxy takes CONNECT (set HTTPS_PROXY)' };
    if (scheme !== 'http') return { error: `unsupported scheme ${scheme}://` };
    if (m[2]!.includes('@')) return { error: 'credentials in the URL are refused' };
    const a = parseAuthority(m[2]!, 80);
    if (!a) return { error: 'bad host in the URL' };
    let rawPath = m[3]!.replace(/#.*$/, '');
    if (!rawPath.startsWith('/')) rawPath = `/${rawPath}`;
    return { target: { scheme: 'http', host: a.host, port: a.port! }, rawPath };
  }

  // ------------------------------------------------------------------------------ requests

  /** One request from arrival to the upstream's response head (or a refusal): one event. */
  private async exchange(x: Exchange): Promise<void> {
    const t0 = performance.now();
    const { req, target } = x;
    const method = (req.method ?? 'GET').toUpperCase();
    const split = splitPath(x.rawPath);
    const ereq: EgressRequest = { scheme: target.scheme, host: target.host, port: target.port, method, path: 'path' in split ? split.path : x.rawPath.split('?')[0]! };
    let reported = false;
    const report = (ev: Omit<EgressEvent, keyof EgressRequest | 'ms'>): void => {
      if (reported) return;
      reported = true;
      const out: EgressEvent = { ...ereq, path: scrub(ereq.path, this.opts.secrets), ...ev, ms: Math.round((performance.now() - t0) * 10) / 10 };
      if (out.reason) out.reason = scrub(out.reason, this.opts.secrets);
      try {
        this.opts.onEvent(out);
      } catch (err) {
        this.log(`onEvent threw: ${oneLine(err)}`);
      }
    };
    const refuse = (status: number, reason: string, verdict: 'allow' | 'deny' = 'deny'): void => {
      const text = scrub(reason, this.opts.secrets);
      report({ verdict, reason: text, status });
      if (x.res) plainReply(x.res, status, text);
      else rawReply(x.socket!, status, text);
    };

    // The client going away withdraws the request (a held ask disappears from the queue).
    // Errors on either side end up as a 'close' below; unhandled they would crash the daemon.
    req.on('error', () => {});
    x.res?.on('error', () => {});
    const gone = new AbortController();
    const onGone = (): void => gone.abort();
    if (x.res) x.res.on('close', () => !x.res!.writableFinished && onGone());
    else x.socket!.on('close', onGone);

    try {
      if (this.closed) return refuse(503, 'the proxy is closing');
      if ('error' in split) return refuse(400, split.error);
      if (method === 'TRACE' || method === 'TRACK') return refuse(405, `${method} is refused (it echoes the request, headers included)`);

      // Pins and IP literals are checked before anyone is asked; names resolve after `decide`
      // (below), so a name the policy refuses is never looked up: DNS queries are a channel out.
      const pre = this.staticAddress(target);
      if ('refuse' in pre) return refuse(403, pre.refuse);

      const push = pushAllowed(this.opts.secrets, ereq, 'path' in split ? split.query : '');
      if (!push.ok) return refuse(403, push.reason);

      let decision: EgressDecision;
      try {
        decision = await this.opts.decide(ereq, gone.signal);
      } catch (err) {
        if (gone.signal.aborted) return report({ verdict: 'deny', reason: 'the client went away before the decision' });
        return refuse(403, `the decision failed: ${oneLine(err)}`);
      }
      if (gone.signal.aborted) return report({ verdict: 'deny', reason: 'the client went away before the decision' });
      if (decision.verdict !== 'allow') return refuse(403, decision.reason ?? 'refused by policy');

      let addr: Pin;
      if ('ip' in pre) addr = pre;
      else {
        const r = await this.resolveName(target);
        if ('refuse' in r) return refuse(r.status, r.refuse, r.status === 502 ? 'allow' : 'deny');
        addr = r;
      }
      if (gone.signal.aborted) return report({ verdict: 'allow', reason: 'the client went away' });
      this.forward(x, ereq, addr, report, refuse);
    } catch (err) {
      this.log(`request ${method} ${target.host}: ${oneLine(err)}`);
      if (x.res && !x.res.headersSent) refuse(500, 'internal error in the proxy');
      else (x.res ?? x.socket)?.destroy();
    }
  }

  /** Pins and IP literals: the address to use, a refusal, or `dns` (a name to look up). */
  private staticAddress(t: Target): Pin | { refuse: string } | { dns: true } {
    const pin = this.pins.get(`${t.host}:${t.port}`) ?? this.pins.get(t.host);
    if (pin) {
      if (isMetadataAddress(pin.ip)) return { refuse: `${t.host} is pinned to ${pin.ip}, a cloud metadata address` };
      return { ip: pin.ip, port: pin.port ?? t.port };
    }
    const trusted = this.trusted.has(`${t.host}:${t.port}`);
    if (net.isIP(t.host)) {
      if (isMetadataAddress(t.host)) return { refuse: `${t.host} is a cloud metadata address` };
      const cls = trusted ? undefined : addressClass(t.host);
      if (cls) return { refuse: `${t.host} is a ${cls} address` };
      return { ip: t.host, port: t.port };
    }
    if (!trusted && (t.host === 'localhost' || t.host.endsWith('.localhost'))) return { refuse: `${t.host} is a loopback address` };
    return { dns: true };
  }

  /** A name's addresses, each checked; the first IPv4 one (many sandboxes' hosts lack IPv6 routes). */
  private async resolveName(t: Target): Promise<Pin | { refuse: string; status: number }> {
    let addrs: string[];
    try {
      addrs = this.opts.lookup ? await this.opts.lookup(t.host) : (await dns.promises.lookup(t.host, { all: true, verbatim: true })).map((a) => a.address);
    } catch (err) {
      return { refuse: `cannot resolve ${t.host}: ${(err as NodeJS.ErrnoException).code ?? oneLine(err)}`, status: 502 };
    }
    if (addrs.length === 0) return { refuse: `cannot resolve ${t.host}: no address`, status: 502 };
    const trusted = this.trusted.has(`${t.host}:${t.port}`);
    for (const a of addrs) {
      if (isMetadataAddress(a)) return { refuse: `${t.host} resolves to ${a}, a cloud metadata address`, status: 403 };
      const cls = trusted ? undefined : addressClass(a);
      if (cls) return { refuse: `${t.host} resolves to ${a}, a ${cls} address`, status: 403 };
    }
    return { ip: addrs.find((a) => net.isIPv4(a)) ?? addrs[0]!, port: t.port };
  }

  private forwardHeaders(req: http.IncomingMessage, t: Target, upgrade: boolean): http.OutgoingHttpHeaders {
    const drop = new Set(HOP_BY_HOP);
    for (const tok of String(req.headers.connection ?? '').split(',')) if (tok.trim()) drop.add(tok.trim().toLowerCase());
    // The client already got its 100 Continue from the inner server.
    drop.add('expect');
    const out: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || drop.has(k) || k === 'host') continue;
      out[k] = v;
    }
    out.host = hostHeader(t);
    if (upgrade && req.headers.upgrade) {
      out.connection = 'Upgrade';
      out.upgrade = req.headers.upgrade;
    }
    return out;
  }

  private forward(
    x: Exchange,
    ereq: EgressRequest,
    addr: Pin,
    report: (ev: Omit<EgressEvent, keyof EgressRequest | 'ms'>) => void,
    refuse: (status: number, reason: string, verdict?: 'allow' | 'deny') => void,
  ): void {
    const { req, target } = x;
    const upgrade = x.socket !== undefined;
    const headers = this.forwardHeaders(req, target, upgrade);
    const injected = injectSecrets(ereq, headers, this.opts.secrets, { upstreamAddress: addr.ip, paths: this.pathGlobs });
    const https_ = target.scheme === 'https';
    const ip = net.isIP(target.host) !== 0;
    const options: https.RequestOptions & { secureContext?: tls.SecureContext } = {
      // The checked address itself: no second lookup that DNS could answer differently.
      host: addr.ip,
      port: addr.port,
      method: req.method,
      path: x.rawPath,
      headers,
      setHost: false,
      agent: upgrade ? false : https_ ? this.httpsAgent : this.httpAgent,
    };
    if (https_) {
      options.secureContext = this.tlsContext;
      // SNI and the certificate check are for the name the client asked for, not the address.
      if (!ip) options.servername = target.host;
      options.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(target.host, cert);
    }
    const up = (https_ ? https : http).request(options);
    up.on('socket', (s: net.Socket) => s.setNoDelay(true));
    const names = injected.length ? { secrets: injected } : {};

    up.on('error', (err) => {
      if (x.res?.headersSent || (upgrade && x.socket!.destroyed)) {
        (x.res ?? x.socket)!.destroy();
        return;
      }
      if (x.res?.destroyed || x.socket?.destroyed) {
        report({ verdict: 'allow', reason: 'the client went away' });
        return;
      }
      refuse(502, `upstream ${target.host}:${target.port}: ${oneLine(err)}`, 'allow');
    });

    up.on('response', (r) => {
      report({ verdict: 'allow', status: r.statusCode, ...names });
      if (x.res) {
        const res = x.res;
        res.writeHead(r.statusCode ?? 502, r.statusMessage, responseHeaders(r));
        // SSE: the head goes out now, not with the first event.
        res.flushHeaders();
        r.pipe(res);
        r.on('error', () => res.destroy());
        r.on('aborted', () => res.destroy());
      } else {
        // The upstream answered an Upgrade without upgrading: relay that answer, then close.
        const s = x.socket!;
        s.write(statusHead(r.statusCode ?? 502, r.statusMessage, pairs(r.rawHeaders, true)));
        r.pipe(s);
        r.on('error', () => s.destroy());
      }
    });

    if (x.res) {
      const res = x.res;
      res.on('close', () => {
        if (!res.writableFinished) up.destroy();
      });
      req.pipe(up);
    } else {
      const client = x.socket!;
      up.on('upgrade', (r, upSock: net.Socket, upHead: Buffer) => {
        report({ verdict: 'allow', status: r.statusCode, ...names });
        this.detached.add(upSock);
        upSock.on('close', () => this.detached.delete(upSock));
        upSock.setNoDelay(true);
        client.write(statusHead(r.statusCode ?? 101, r.statusMessage, pairs(r.rawHeaders, false)));
        if (upHead.length) client.write(upHead);
        if (x.head?.length) upSock.write(x.head);
        upSock.pipe(client);
        client.pipe(upSock);
        upSock.on('error', () => client.destroy());
        client.on('error', () => upSock.destroy());
        upSock.on('close', () => client.destroy());
        client.on('close', () => upSock.destroy());
      });
      client.on('close', () => up.destroy());
      up.end();
    }
  }
}

/** The upstream's response headers minus hop-by-hop ones (Node frames the body itself). */
function responseHeaders(r: http.IncomingMessage): http.OutgoingHttpHeaders {
  const drop = new Set([...HOP_BY_HOP, 'transfer-encoding']);
  for (const tok of String(r.headers.connection ?? '').split(',')) if (tok.trim()) drop.add(tok.trim().toLowerCase());
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !drop.has(k)) out[k] = v;
  return out;
}

/** Raw header pairs for a status head written by hand; `close` replaces connection headers. */
function pairs(raw: string[], close: boolean): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!;
    if (close && ['connection', 'keep-alive', 'transfer-encoding', 'upgrade'].includes(k.toLowerCase())) continue;
    out.push([k, raw[i + 1]!]);
  }
  if (close) out.push(['connection', 'close']);
  return out;
}

function statusHead(status: number, message: string | undefined, headers: Array<[string, string]>): string {
  const lines = headers.map(([k, v]) => `${k}: ${v.replace(/[\r\n]/g, ' ')}\r\n`).join('');
  return `HTTP/1.1 ${status} ${(message ?? http.STATUS_CODES[status] ?? '').replace(/[\r\n]/g, ' ')}\r\n${lines}\r\n`;
}

/** The proxy's own answer on a normal request: `omni egress: <reason>`. */
function plainReply(res: http.ServerResponse, status: number, reason: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = `omni egress: ${reason}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The proxy's own answer on a socket taken over from the HTTP server (CONNECT, Upgrade). */
function rawReply(sock: Duplex, status: number, reason: string): void {
  const body = `omni egress: ${reason}\n`;
  if (!sock.writable) {
    sock.destroy();
    return;
  }
  sock.end(statusHead(status, undefined, [['content-type', 'text/plain; charset=utf-8'], ['content-length', String(Buffer.byteLength(body))], ['connection', 'close']]) + body);
}
