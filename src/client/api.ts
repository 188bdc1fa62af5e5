import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { ExitCode, OmniError, exitCodeFor, type ExitCodeValue } from '../core/errors.js';
import type { OmniEvent } from '../core/events.js';
import type { OmniPaths } from '../core/paths.js';
import type { SessionRecord } from '../core/session.js';
import type { Approval, ApprovalScope, ApprovalStreamItem, ApprovalVia } from '../approvals/types.js';
import { NotHttp, unixRequest } from './unix-http.js';

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** No timeout by default: waits and follows are long-lived. */
  timeoutMs?: number;
}

export interface ClientOptions {
  /**
   * Starts the daemon. Given, a request that finds nothing listening on the socket (ENOENT,
   * ECONNREFUSED: it never reached a daemon, so sending it again cannot repeat it) starts the
   * daemon once and is sent again; there is no probe before the real request.
   */
  start?: () => Promise<unknown>;
  /**
   * Opens one connection to the daemon (a remote host's ssh bridge, src/client/ssh.ts); without
   * it, the Unix socket `paths.socket`. Each request or stream opens its own.
   */
  connect?: () => Duplex;
  /** What the daemon is called in errors (a host's name); the socket path by default. */
  label?: string;
}

/** A thin client of the control API over the Unix socket; used by the CLI and the TUI. */
export class OmniClient {
  private started = false;

  constructor(
    readonly paths: OmniPaths,
    private readonly opts: ClientOptions = {},
  ) {}

  /** The daemon as errors name it: the host, or the socket path. */
  get where(): string {
    return this.opts.label ?? this.paths.socket;
  }

  async request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.once(() => this.requestOnce(path, opts));
    const text = res.body;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      throw notOmni(this.where, text);
    }
    if (res.status >= 400) {
      const e = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } }).error;
      const code = e?.code ?? 'error';
      throw new OmniError(e?.message ?? `daemon answered ${res.status}`, code, exitCodeFor(code) as ExitCodeValue, e?.details);
    }
    return body as T;
  }

  /** Stream NDJSON objects until the daemon ends the response (or `signal` aborts). */
  async *stream<T = OmniEvent>(path: string, signal?: AbortSignal): AsyncGenerator<T> {
    for await (const lines of this.streamLines(path, signal)) for (const line of lines) yield JSON.parse(line) as T;
  }

  /**
   * The lines of an NDJSON answer as they arrive, a batch per chunk received (nothing waits for
   * the whole answer). A response cut short (the daemon gone mid-stream) is an error, not an end.
   */
  async *streamLines(path: string, signal?: AbortSignal): AsyncGenerator<string[]> {
    const res = await this.raw(path, { signal });
    if ((res.statusCode ?? 500) >= 400) {
      const text = await readAll(res);
      let e: { code?: string; message?: string } | undefined;
      try {
        e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      } catch {
        throw notOmni(this.where, text);
      }
      const code = e?.code ?? 'error';
      throw new OmniError(e?.message ?? `daemon answered ${res.statusCode}`, code, exitCodeFor(code) as ExitCodeValue);
    }
    // Cut on newline bytes before decoding, so a character split across chunks arrives whole.
    let carry: Buffer = Buffer.alloc(0);
    try {
      for await (const chunk of res) {
        const data = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
        const lines: string[] = [];
        let from = 0;
        for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, from)) {
          const line = data.toString('utf8', from, nl);
          from = nl + 1;
          if (line.trim()) lines.push(line);
        }
        carry = data.subarray(from);
        if (lines.length) yield lines;
      }
    } catch (err) {
      if ((err as Error).name === 'AbortError' || signal?.aborted) throw err;
      throw new OmniError(`the daemon's answer was cut short: ${(err as Error).message}`, 'daemon_unreachable', ExitCode.daemonUnreachable);
    }
  }

  /** `tags`: only sessions with every one of them. `timeoutMs`: views across hosts give up on a slow one. */
  sessions(all = false, tags: string[] = [], opts: { timeoutMs?: number } = {}): Promise<{ sessions: SessionRecord[] }> {
    const q = new URLSearchParams([...(all ? [['all', '1'] as [string, string]] : []), ...tags.map((t): [string, string] => ['tag', t])]);
    return this.request(`/v1/sessions${q.size ? `?${q}` : ''}`, opts);
  }

  session(ref: string): Promise<{ session: SessionRecord }> {
    return this.request(`/v1/sessions/${encodeURIComponent(ref)}`);
  }

  /** `omni fork`: a new session on the harness's own fork of `ref`'s conversation. */
  fork(ref: string, body: { name?: string; worktree?: boolean; env: Record<string, string>; args?: string[] }): Promise<{ session: SessionRecord }> {
    return this.request(`/v1/sessions/${encodeURIComponent(ref)}/fork`, { body });
  }

  approvals(opts: { all?: boolean; session?: string; timeoutMs?: number } = {}): Promise<{ approvals: Approval[] }> {
    const q = new URLSearchParams({ ...(opts.all ? { all: '1' } : {}), ...(opts.session ? { session: opts.session } : {}) });
    return this.request(`/v1/approvals${q.size ? `?${q}` : ''}`, { timeoutMs: opts.timeoutMs });
  }

  /** A snapshot of pending approvals, then every request and resolution as it happens. */
  approvalsStream(signal?: AbortSignal): AsyncGenerator<ApprovalStreamItem> {
    return this.stream<ApprovalStreamItem>('/v1/approvals?follow=1', signal);
  }

  /** `nonce`: the one the daemon gave the approval popup it opened (OMNI_POPUP_NONCE). */
  approve(id: string, opts: { scope?: ApprovalScope; via: ApprovalVia; nonce?: string }): Promise<{ approval: Approval }> {
    return this.request(`/v1/approvals/${encodeURIComponent(id)}/approve`, { body: { scope: opts.scope ?? 'once', via: opts.via, nonce: opts.nonce } });
  }

  deny(id: string, opts: { reason?: string; via: ApprovalVia; nonce?: string }): Promise<{ approval: Approval }> {
    return this.request(`/v1/approvals/${encodeURIComponent(id)}/deny`, { body: { reason: opts.reason, via: opts.via, nonce: opts.nonce } });
  }

  private raw(path: string, opts: RequestOptions & { signal?: AbortSignal }): Promise<http.IncomingMessage> {
    return this.once(() => this.rawOnce(path, opts));
  }

  /** `send`, and if nothing listened, the daemon started (once per client) and `send` again. */
  private async once<R>(send: () => Promise<R>): Promise<R> {
    try {
      return await send();
    } catch (err) {
      if (!(err instanceof NotListening) || !this.opts.start || this.started) throw err;
      this.started = true;
      await this.opts.start();
      return send();
    }
  }

  /** A request answered whole, over node:net (src/client/unix-http.ts): no node:http to load for it. */
  private async requestOnce(path: string, opts: RequestOptions): Promise<{ status: number; body: string }> {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    try {
      return await unixRequest(this.opts.connect ?? this.paths.socket, {
        method: opts.method ?? (body ? 'POST' : 'GET'),
        path,
        body,
        timeoutMs: opts.timeoutMs,
        onTimeout: () => new OmniError(`the daemon did not answer within ${opts.timeoutMs} ms`, 'daemon_unreachable', ExitCode.daemonUnreachable),
      });
    } catch (err) {
      throw this.socketError(err as NodeJS.ErrnoException);
    }
  }

  private socketError(err: NodeJS.ErrnoException): Error {
    if (err instanceof OmniError || err.name === 'AbortError') return err;
    if (err instanceof NotHttp) return notOmni(this.where, err.text);
    // A unix:// host is another daemon of this machine, not a share: no guest wording.
    if (this.paths.foreign && !this.paths.foreign.startsWith('host ') && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')) {
      return new OmniError(`nothing listens for guests on ${this.paths.socket} (${this.paths.foreign}): its owner shares no session now, or its daemon is not running`, 'daemon_unreachable', ExitCode.daemonUnreachable);
    }
    if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') return new NotListening(this.paths.socket);
    if (err.code?.startsWith('HPE_')) return notOmni(this.where, '');
    // Another user's socket that we may not open: no grant (omni share), or none any more.
    if (err.code === 'EACCES') return new OmniError(`permission denied on ${this.paths.socket}: its owner has not shared a session with you (omni share SESSION --user YOU), or has revoked it`, 'forbidden');
    return new OmniError(`cannot talk to the omni daemon on ${this.where}: ${err.message}`, 'daemon_unreachable', ExitCode.daemonUnreachable);
  }

  /** Streams: node:http, loaded only by the commands that stream. */
  private async rawOnce(path: string, opts: RequestOptions & { signal?: AbortSignal }): Promise<http.IncomingMessage> {
    const http = await import('node:http');
    return new Promise((resolve, reject) => {
      const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
      const req = http.request(
        {
          ...(this.opts.connect ? { createConnection: this.opts.connect as unknown as http.RequestOptions['createConnection'] } : { socketPath: this.paths.socket }),
          path,
          method: opts.method ?? (payload ? 'POST' : 'GET'),
          headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
          signal: opts.signal,
        },
        resolve,
      );
      if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new OmniError(`the daemon did not answer within ${opts.timeoutMs} ms`, 'daemon_unreachable', ExitCode.daemonUnreachable)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.socketError(err)));
      if (payload) req.write(payload);
      req.end();
    });
  }
}

/** Nothing listens on the socket (the request reached no daemon). */
class NotListening extends OmniError {
  constructor(sock: string) {
    super(`the omni daemon is not running (no answer on ${sock}); start it with: omni daemon start`, 'daemon_unreachable', ExitCode.daemonUnreachable);
  }
}

function notOmni(sock: string, text: string): OmniError {
  return new OmniError(
    `something answered on ${sock} but it is not the omni daemon${text ? ` (it said: ${text.slice(0, 60).replace(/\s+/g, ' ')})` : ''}; stop it or set OMNI_HOME`,
    'daemon_unreachable',
    ExitCode.daemonUnreachable,
  );
}

async function readAll(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
