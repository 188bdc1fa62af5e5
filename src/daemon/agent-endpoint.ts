import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { formatReply } from '../core/agent-protocol.js';
import { ensurePrivateDir } from '../core/fsutil.js';
import { BodyTooLarge, HEADERS_TIMEOUT_MS, readBody, readJson, REQUEST_TIMEOUT_MS, requestUrl, sendJson } from './http.js';
import type { McpCallReply } from '../mcp/tools.js';
import { SocketKeeper } from './socket-keeper.js';
import type { HookReply } from '../harnesses/types.js';

/** Per session socket: far above an agent's parallel hooks (each held ask keeps one open). */
const MAX_CONNECTIONS = 64;

/** `signal` aborts when the hook hangs up before its answer (the harness stopped waiting). */
export type HookHandler = (sessionId: string, event: string, payload: Record<string, unknown>, signal: AbortSignal) => Promise<HookReply>;

/** `POST /mcp/call {tool, args}`: one of omni's MCP tools, called as the session (src/daemon/composer.ts). */
export type McpHandler = (sessionId: string, tool: string, args: unknown, signal: AbortSignal) => Promise<McpCallReply>;

/**
 * The agent-facing side of the daemon: one Unix socket per session
 * (`run/agent/<id>/hook.sock`). The socket is the session's identity, and it accepts two
 * verbs: report a hook event and get the decision back; and call one of omni's MCP tools
 * (`POST /mcp/call`), which acts only on the session's own sub-agents. Nothing on it can
 * approve anything or reach another session; those verbs exist only on the control socket. Each session gets a
 * directory, not just a socket file: a sandbox binds in that directory (and nothing else of
 * omni's), and a bound directory still reaches the socket a restarted daemon re-creates,
 * where a bound socket file would be a stale inode.
 */
export class AgentEndpoints {
  private servers = new Map<string, http.Server>();
  /** Each socket file is put back if it is deleted while its session lives (hooks would fail closed). */
  private keepers = new Map<string, SocketKeeper>();

  constructor(
    private readonly dir: string,
    private readonly handler: HookHandler,
    private readonly log: (msg: string) => void = () => {},
    /** Absent (tests of the hook verb alone): /mcp/call is not served. */
    private readonly mcp?: McpHandler,
  ) {}

  /** The session's agent directory: hook.sock, and for a sandboxed session proxy.sock and ca.pem. */
  sessionDir(sessionId: string): string {
    return path.join(this.dir, sessionId);
  }

  socketPath(sessionId: string): string {
    return path.join(this.sessionDir(sessionId), 'hook.sock');
  }

  async open(sessionId: string): Promise<string> {
    if (this.servers.has(sessionId)) return this.socketPath(sessionId);
    const sock = this.socketPath(sessionId);
    ensurePrivateDir(this.sessionDir(sessionId));
    try {
      fs.unlinkSync(sock); // left by a daemon that died; the session is ours now
    } catch {
      /* not there */
    }
    const server = http.createServer((req, res) => void this.serve(sessionId, req, res));
    // Receiving a request is bounded; answering it is not (a held approval keeps the answer
    // waiting for as long as a person needs, and these timeouts end before it). A peer that
    // never finishes its request is cut off, and one session's socket holds at most
    // MAX_CONNECTIONS at once: an agent cannot run the daemon out of descriptors.
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.keepAliveTimeout = 5_000;
    server.maxConnections = MAX_CONNECTIONS;
    server.on('clientError', (_err, socket) => socket.destroy());
    await listenAt(server, sock);
    fs.chmodSync(sock, 0o600);
    this.servers.set(sessionId, server);
    const keeper = new SocketKeeper(server, sock, (srv, at) => listenAt(srv, at), this.log);
    keeper.start();
    this.keepers.set(sessionId, keeper);
    return sock;
  }

  /** Put back every socket file that went missing (asked for by a daemon start, SIGUSR2). */
  async checkAll(): Promise<void> {
    await Promise.all([...this.keepers.values()].map((k) => k.check()));
  }

  async close(sessionId: string): Promise<void> {
    const server = this.servers.get(sessionId);
    if (!server) return;
    this.servers.delete(sessionId);
    this.keepers.get(sessionId)?.stop();
    this.keepers.delete(sessionId);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // The directory goes too (a sandboxed session's proxy socket and CA have been closed first).
    fs.rmSync(this.sessionDir(sessionId), { recursive: true, force: true });
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((id) => this.close(id)));
  }

  private async serve(sessionId: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = requestUrl(req);
    if (req.method === 'POST' && url?.pathname === '/mcp/call' && this.mcp) return this.serveMcp(sessionId, this.mcp, req, res);
    const m = url && /^\/hook\/([A-Za-z]+)$/.exec(url.pathname);
    const gate = url?.searchParams.get('mode') === 'gate';
    if (req.method !== 'POST' || !m) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('1\nomni agent endpoint: only POST /hook/<Event> and POST /mcp/call exist here\n');
      return;
    }
    let reply: HookReply;
    let close = false;
    const hangup = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) hangup.abort();
    });
    try {
      const body = await readBody(req);
      let payload: Record<string, unknown> = {};
      if (body.trim()) {
        const parsed = JSON.parse(body) as unknown;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) payload = parsed as Record<string, unknown>;
      }
      reply = await this.handler(sessionId, m[1]!, payload, hangup.signal);
    } catch (err) {
      this.log(`hook ${m[1]} for ${sessionId} failed: ${(err as Error).stack ?? err}`);
      close = err instanceof BodyTooLarge;
      // A gate event fails closed (exit 2 blocks, with the reason); an observed one fails open.
      reply = gate ? { exitCode: 2, stderr: `omni: blocked because ${whyFailed(err)}` } : {};
    }
    const code = reply.exitCode ?? 0;
    const text = code === 0 ? (reply.stdout ?? '') : (reply.stderr ?? reply.stdout ?? '');
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', ...(close ? { connection: 'close' } : {}) });
    res.end(formatReply(code, text));
  }

  /**
   * An MCP tool call as this session: JSON in, `McpCallReply` out (always 200; a refusal is
   * `{ok: false}`). It may take long (omni_wait, a held ask): nothing here times the answer.
   */
  private async serveMcp(sessionId: string, handler: McpHandler, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const hangup = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) hangup.abort();
    });
    let reply: McpCallReply;
    try {
      const body = await readJson<{ tool?: unknown; args?: unknown }>(req);
      reply = typeof body.tool !== 'string' ? { ok: false, error: { code: 'bad_request', message: '"tool" is required' } } : await handler(sessionId, body.tool, body.args, hangup.signal);
    } catch (err) {
      if (err instanceof BodyTooLarge) res.setHeader('connection', 'close');
      reply = { ok: false, error: { code: (err as { code?: string }).code ?? 'internal', message: (err as Error).message } };
    }
    if (!res.destroyed) sendJson(res, 200, reply);
  }
}

/** Why a hook could not be handled, in the words the agent (and the person reading its screen) gets. */
export function whyFailed(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  // What was not logged did not happen: with the state directory full, nothing is allowed.
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') return 'omni cannot write its log: no space left on device (free some space in OMNI_HOME; nothing needs restarting)';
  return `the daemon failed to handle this hook: ${e?.message ?? String(err)}`;
}

/** Listen on a session's socket path; a file left there is ours to replace (the session is ours). */
async function listenAt(server: import('node:net').Server, sock: string): Promise<void> {
  // The directory too: the keeper re-creates a socket whose whole directory was removed.
  ensurePrivateDir(path.dirname(sock));
  fs.rmSync(sock, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(sock, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
