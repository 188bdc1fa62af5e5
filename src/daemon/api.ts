import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { ApprovalQueue } from '../approvals/queue.js';
import type { ApprovalScope, ApprovalVia } from '../approvals/types.js';
import type { CostReport } from '../cost/aggregate.js';
import type { ApprovalGate } from './approval-gate.js';
import type { PolicyRefInput, PolicyService } from './policy-service.js';
import { SESSION_STATUSES, type SessionStatus } from '../core/events.js';
import { OmniError } from '../core/errors.js';
import type { HarnessRegistry } from '../harnesses/registry.js';
import type { EventBus } from './bus.js';
import { streamSessionEvents } from './events-route.js';
import { followScreen } from './screen-follow.js';
import type { LoopWatch } from './loop-watch.js';
import { HEADERS_TIMEOUT_MS, readJson, REQUEST_TIMEOUT_MS, requestUrl, sendError, sendJson, startNdjson } from './http.js';
import type { SessionRemoval } from './session-removal.js';
import type { CreateSessionRequest, SessionManager } from './sessions.js';
import { hasTags, isLive, type SessionRecord } from '../core/session.js';
import { broadcast } from './broadcast.js';
import { withClients, type AttachedSource } from './attached-clients.js';
import type { SpawnGrant } from '../agents/grant.js';
import { grantError } from './spawn-grants.js';
import type { Composer } from './composer.js';

export interface DaemonInfo {
  pid: number;
  version: string;
  startedAt: string;
  socket: string;
  home: string;
  tmuxSocket: string;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, params: string[], url: URL) => Promise<void>;
/** A route of the control API: method, path pattern (groups are the params), handler. */
export type Route = [string, RegExp, Handler];

/** The control API (docs/API.md): HTTP/1.1 + JSON on the user-only Unix socket. */
export function createControlServer(deps: {
  sessions: SessionManager;
  policies: PolicyService;
  approvals: ApprovalQueue;
  /** Who may answer an approval (src/daemon/approval-gate.ts). */
  gate: ApprovalGate;
  bus: EventBus;
  harnesses: HarnessRegistry;
  info: DaemonInfo;
  /** Requests wait for this (the daemon re-adopting sessions after a restart). */
  ready?: Promise<void>;
  shutdown: () => void;
  log: (msg: string) => void;
  /** `GET /v1/cost` (src/cost/report.ts). */
  cost?: (q: { by: string | null; session?: SessionRecord }) => CostReport;
  /** Before totals are read (`GET /v1/sessions`, `/v1/cost`): reprice them if the prices changed (PriceWatch.check). */
  refreshCost?: () => void;
  /** `DELETE /v1/sessions/:ref`, `POST /v1/sessions/prune` (src/daemon/session-removal.ts). */
  removal?: SessionRemoval;
  /** Logs a request that holds the event loop past its bound (src/daemon/loop-watch.ts). */
  loopWatch?: LoopWatch;
  /** `POST /v1/mcp/call`: omni's MCP tools as the person (src/daemon/composer.ts). */
  composer?: Composer;
  /** Every client attached to omni's tmux server (`tmux list-clients`): `clients` on session records. */
  attached?: AttachedSource;
  /** Routes of the daemon's other parts (Polly, Debby: src/daemon/polly-api.ts, debby-api.ts). */
  extraRoutes?: readonly Route[];
  /** Guests (other Unix users) and who did what (src/daemon/share-access.ts). */
  share?: {
    access(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<{ url: URL } | { handled: true } | undefined>;
    who(req: http.IncomingMessage): { by: string; uid?: number; guest?: true };
    sent(req: http.IncomingMessage, rec: SessionRecord, text: string, submit: boolean): void;
  };
}): http.Server {
  const { sessions, bus, harnesses, info, policies, approvals } = deps;
  const user = os.userInfo().username;
  const routes: Route[] = [
    ['GET', /^\/v1\/daemon$/, async (_q, res) => sendJson(res, 200, { ...info, uptimeSec: Math.round(process.uptime()), sessions: sessions.list().length })],
    [
      'POST',
      /^\/v1\/daemon\/stop$/,
      async (_q, res) => {
        sendJson(res, 200, { stopping: true, pid: info.pid });
        setImmediate(deps.shutdown);
      },
    ],
    [
      'GET',
      /^\/v1\/harnesses$/,
      async (_q, res) => sendJson(res, 200, { harnesses: harnesses.all().map((h) => ({ name: h.name, displayName: h.displayName, capabilities: h.capabilities })) }),
    ],
    [
      'GET',
      /^\/v1\/sessions$/,
      async (_q, res, _p, url) => {
        const all = url.searchParams.get('all') === '1';
        deps.refreshCost?.();
        const tags = url.searchParams.getAll('tag');
        const list = sessions.list().filter((s) => (all || (s.status !== 'exited' && s.status !== 'failed')) && hasTags(s, tags));
        sendJson(res, 200, { sessions: await withClients(list, deps.attached) });
      },
    ],
    [
      'POST',
      /^\/v1\/sessions$/,
      async (req, res) => {
        const body = await readJson<Partial<CreateSessionRequest>>(req);
        if (!body.harness || typeof body.harness !== 'string') throw new OmniError('"harness" is required', 'bad_request');
        if (!body.cwd || typeof body.cwd !== 'string') throw new OmniError('"cwd" is required', 'bad_request');
        const env = body.env && typeof body.env === 'object' ? body.env : ownEnv(body.env);
        const rec = await sessions.create({
          harness: body.harness,
          cwd: homeCwd(body.cwd),
          env,
          name: body.name,
          model: body.model,
          args: Array.isArray(body.args) ? body.args.map(String) : [],
          binary: body.binary,
          policies: Array.isArray(body.policies) ? body.policies : [],
          prompt: typeof body.prompt === 'string' && body.prompt ? body.prompt : undefined,
          agent: body.agent && typeof body.agent === 'object' ? body.agent : undefined,
          sandbox: sandboxLayers((body as { sandbox?: unknown }).sandbox),
          tags: stringList(body.tags, 'tags'),
          ...spawnGrant(body.spawn),
        });
        sendJson(res, 201, { session: rec });
      },
    ],
    [
      'POST',
      /^\/v1\/sessions\/prune$/,
      async (req, res) => {
        if (!deps.removal) throw new OmniError('this daemon cannot remove sessions', 'not_found');
        const body = await readJson<{ olderThanMs?: unknown; dryRun?: unknown }>(req);
        const older = body.olderThanMs ?? 0;
        if (typeof older !== 'number' || !Number.isFinite(older) || older < 0) throw new OmniError('"olderThanMs" must be a number of milliseconds, 0 or more', 'bad_request');
        const dryRun = body.dryRun === true;
        sendJson(res, 200, { dryRun, removed: deps.removal.prune({ olderThanMs: older, dryRun }) });
      },
    ],
    ['GET', /^\/v1\/sessions\/([^/]+)$/, async (_q, res, [ref]) => sendJson(res, 200, { session: (await withClients([sessions.resolve(ref!)], deps.attached))[0] })],
    [
      'DELETE',
      /^\/v1\/sessions\/([^/]+)$/,
      async (_q, res, [ref], url) => {
        if (!deps.removal) throw new OmniError('this daemon cannot remove sessions', 'not_found');
        const dryRun = url.searchParams.get('dryRun') === '1';
        sendJson(res, 200, { dryRun, removed: deps.removal.remove(sessions.resolve(ref!), { dryRun }) });
      },
    ],
    [
      'POST',
      /^\/v1\/sessions\/([^/]+)\/input$/,
      async (req, res, [ref]) => {
        const rec = sessions.resolve(ref!);
        const body = await readJson<{ text?: unknown; submit?: unknown; force?: unknown }>(req);
        if (typeof body.text !== 'string' || body.text === '') throw new OmniError('"text" must be a non-empty string', 'bad_request');
        deps.share?.sent(req, rec, body.text, body.submit !== false);
        const result = await sessions.send(rec, body.text, { submit: body.submit !== false, force: body.force === true });
        sendJson(res, 200, { session: rec.id, ...result });
      },
    ],
    [
      'POST',
      /^\/v1\/sessions\/([^/]+)\/tags$/,
      async (req, res, [ref]) => {
        const rec = sessions.resolve(ref!);
        const body = await readJson<{ add?: unknown; remove?: unknown }>(req);
        sendJson(res, 200, { session: sessions.setTags(rec, { add: stringList(body.add, 'add'), remove: stringList(body.remove, 'remove') }) });
      },
    ],
    [
      'POST',
      /^\/v1\/broadcast$/,
      async (req, res) => {
        const body = await readJson<{ text?: unknown; tags?: unknown; sessions?: unknown; submit?: unknown; force?: unknown }>(req);
        if (typeof body.text !== 'string' || body.text === '') throw new OmniError('"text" must be a non-empty string', 'bad_request');
        const result = await broadcast(sessions, {
          text: body.text,
          tags: stringList(body.tags, 'tags'),
          sessions: stringList(body.sessions, 'sessions'),
          submit: body.submit !== false,
          force: body.force === true,
        });
        sendJson(res, 200, result);
      },
    ],
    [
      'POST',
      /^\/v1\/sessions\/([^/]+)\/interrupt$/,
      async (_q, res, [ref]) => {
        const rec = sessions.resolve(ref!);
        const r = await sessions.interrupt(rec);
        sendJson(res, 200, { session: rec.id, interrupted: true, idle: r.idle });
      },
    ],
    [
      'POST',
      /^\/v1\/sessions\/([^/]+)\/resume$/,
      async (req, res, [ref]) => {
        const body = await readJson<{ env?: Record<string, string>; args?: unknown[] }>(req);
        const rec = await sessions.resume(sessions.resolve(ref!), body.env && typeof body.env === 'object' ? body.env : ownEnv(body.env), Array.isArray(body.args) ? body.args.map(String) : []);
        sendJson(res, 200, { session: rec });
      },
    ],
    [
      'POST',
      /^\/v1\/sessions\/([^/]+)\/stop$/,
      async (_q, res, [ref]) => {
        const found = sessions.resolve(ref!);
        const alreadyEnded = !isLive(found.status); // stop is idempotent; the caller is told it had ended
        const rec = await sessions.stop(found);
        sendJson(res, 200, { session: rec, ...(alreadyEnded ? { alreadyEnded: true } : {}) });
      },
    ],
    [
      'POST',
      /^\/v1\/sessions\/([^/]+)\/rename$/,
      async (req, res, [ref]) => {
        const body = await readJson<{ name?: unknown }>(req);
        if (typeof body.name !== 'string' || !body.name) throw new OmniError('"name" must be a non-empty string', 'bad_request');
        sendJson(res, 200, { session: sessions.rename(sessions.resolve(ref!), body.name) });
      },
    ],
    [
      'GET',
      /^\/v1\/sessions\/([^/]+)\/screen$/,
      async (_q, res, [ref], url) => {
        const rec = sessions.resolve(ref!);
        const escapes = url.searchParams.get('escapes') === '1';
        if (url.searchParams.get('follow') === '1') {
          await sessions.screen(rec); // a session with no screen is answered 409 now, not streamed
          return followScreen(res, { current: () => sessions.list().find((r) => r.id === rec.id), read: (r) => sessions.screen(r, { escapes }) });
        }
        sendJson(res, 200, { session: rec.id, status: rec.status, text: await sessions.screen(rec, { escapes }) });
      },
    ],
    [
      'GET',
      /^\/v1\/sessions\/([^/]+)\/wait$/,
      async (req, res, [ref], url) => {
        const rec = sessions.resolve(ref!);
        const status = (url.searchParams.get('for') ?? 'idle') as SessionStatus | 'attention';
        if (status !== 'attention' && !SESSION_STATUSES.includes(status)) throw new OmniError(`cannot wait for "${status}"; one of: ${[...SESSION_STATUSES, 'attention'].join(', ')}`, 'bad_request');
        const timeoutSec = Number(url.searchParams.get('timeout') ?? '600');
        if (!Number.isFinite(timeoutSec) || timeoutSec < 0) throw new OmniError('timeout must be a number of seconds', 'bad_request');
        // `attention`: the turn is over (idle) or a person is needed (waiting), whichever comes first.
        const done = sessions.waitForStatus(rec, status === 'attention' ? ['idle', 'waiting'] : status, timeoutSec * 1000);
        res.on('close', () => void done.catch(() => {}));
        sendJson(res, 200, { session: await done });
      },
    ],
    [
      'GET',
      /^\/v1\/sessions\/([^/]+)\/events$/,
      async (_q, res, [ref], url) => {
        const rec = sessions.resolve(ref!);
        const ended = rec.status === 'exited' || rec.status === 'failed';
        await streamSessionEvents(res, { session: rec.id, file: sessions.eventsFile(rec.id), url, bus, ended, log: deps.log });
      },
    ],
    [
      'GET',
      /^\/v1\/sessions\/([^/]+)\/policies$/,
      async (_q, res, [ref]) => sendJson(res, 200, policies.describe(sessions.resolve(ref!))),
    ],
    [
      'POST',
      /^\/v1\/sessions\/([^/]+)\/policies$/,
      async (req, res, [ref]) => {
        const rec = sessions.resolve(ref!);
        const body = await readJson<Partial<PolicyRefInput>>(req);
        if (typeof body.ref !== 'string' || !body.ref) throw new OmniError('"ref" (a policy file or name) is required', 'bad_request');
        const snap = policies.add(rec, { ref: body.ref, source: body.source, text: body.text });
        sendJson(res, 201, { added: { source: snap.source, level: snap.level }, ...policies.describe(rec) });
      },
    ],
    [
      'GET',
      /^\/v1\/approvals$/,
      async (req, res, _p, url) => {
        const sessionRef = url.searchParams.get('session');
        const session = sessionRef ? sessions.resolve(sessionRef).id : undefined;
        const all = url.searchParams.get('all') === '1';
        if (url.searchParams.get('follow') !== '1') {
          sendJson(res, 200, { approvals: approvals.list({ all, session }) });
          return;
        }
        const write = startNdjson(res);
        const unsub = approvals.subscribe((item) => {
          if (session && item.type !== 'snapshot' && item.approval.session !== session) return;
          if (!write(item)) unsub();
        });
        res.on('close', unsub);
        write({ type: 'snapshot', approvals: approvals.list({ session }) });
      },
    ],
    [
      'POST',
      /^\/v1\/approvals\/([^/]+)\/(approve|deny)$/,
      async (req, res, [id, verb]) => {
        // Approval verbs exist only here, on the user's control socket; and not even here for a
        // process that comes from an omni session (an agent approving its own ask).
        const body = await readJson<{ scope?: string; via?: string; reason?: string; nonce?: unknown }>(req);
        await deps.gate.check(req, { approval: id!, verb: verb!, ...(typeof body.nonce === 'string' ? { nonce: body.nonce } : {}) });
        const via = (['cli', 'tui', 'popup', 'api'].includes(body.via ?? '') ? body.via : 'api') as ApprovalVia;
        if (body.scope !== undefined && body.scope !== 'once' && body.scope !== 'session') throw new OmniError('"scope" is "once" or "session"', 'bad_request');
        const who = deps.share?.who(req);
        const approval = policies.answer(id!, verb === 'approve' ? 'approve' : 'deny', {
          scope: (body.scope ?? 'once') as ApprovalScope,
          via,
          by: who?.by ?? user,
          ...(who?.guest && who.uid !== undefined ? { guest: { user: who.by, uid: who.uid } } : {}),
          reason: typeof body.reason === 'string' ? body.reason : undefined,
        });
        sendJson(res, 200, { approval });
      },
    ],
    [
      'POST',
      /^\/v1\/mcp\/call$/,
      async (req, res) => {
        if (!deps.composer) throw new OmniError('this daemon does not serve omni\'s MCP tools', 'not_found');
        const body = await readJson<{ tool?: unknown; args?: unknown; env?: unknown }>(req);
        // As the person: never for a process of an omni session (it has its own, narrower wiring).
        await deps.gate.checkOutsideSessions(req, 'omni mcp as the user');
        if (typeof body.tool !== 'string') throw new OmniError('"tool" is required', 'bad_request');
        const env = body.env && typeof body.env === 'object' && !Array.isArray(body.env) ? (body.env as Record<string, string>) : {};
        const hangup = new AbortController();
        res.on('close', () => {
          if (!res.writableFinished) hangup.abort();
        });
        sendJson(res, 200, await deps.composer.call({ kind: 'user', env }, body.tool, body.args, hangup.signal));
      },
    ],
    [
      'GET',
      /^\/v1\/cost$/,
      async (_q, res, _p, url) => {
        if (!deps.cost) throw new OmniError('this daemon does not meter cost', 'not_found');
        deps.refreshCost?.();
        const ref = url.searchParams.get('session');
        sendJson(res, 200, deps.cost({ by: url.searchParams.get('by'), ...(ref ? { session: sessions.resolve(ref) } : {}) }));
      },
    ],
    [
      'GET',
      /^\/v1\/events$/,
      async (req, res, _p, url) => {
        // All sessions, live only: a dashboard's feed.
        const write = startNdjson(res);
        const unsub = bus.subscribe(null, (ev) => {
          if (!write(ev)) unsub();
        });
        res.on('close', unsub);
        void url;
      },
    ],
    ...(deps.extraRoutes ?? []),
  ];

  const server = http.createServer(async (req, res) => {
    const url = requestUrl(req);
    if (!url) return sendError(res, new OmniError(`not a request path: ${JSON.stringify(req.url?.slice(0, 200))}`, 'bad_request'));
    const watched = deps.loopWatch?.begin(`${req.method} ${url.pathname}`);
    if (watched) res.once('close', watched);
    try {
      await deps.ready;
      // A guest's request is checked (and its session refs pinned to ids) before routing.
      const shared = await deps.share?.access(req, res, url);
      if (shared && 'handled' in shared) return;
      const target = shared?.url ?? url;
      for (const [method, re, handler] of routes) {
        const m = re.exec(target.pathname);
        if (!m) continue;
        if (req.method !== method) continue;
        await handler(req, res, m.slice(1).map(decodeURIComponent), target);
        return;
      }
      throw new OmniError(`no route ${req.method} ${url.pathname} (see docs/API.md)`, 'not_found');
    } catch (err) {
      if (!(err instanceof OmniError)) deps.log(`${req.method} ${url.pathname}: ${(err as Error).stack ?? err}`);
      sendError(res, err);
    }
  });
  // Garbage on the socket gets a 400 (a request not sent in time a 408) and a closed
  // connection; the daemon keeps serving.
  server.on('clientError', (err, socket) => {
    const late = (err as NodeJS.ErrnoException).code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const status = late ? '408 Request Timeout' : '400 Bad Request';
    const why = late ? `the request did not arrive within ${REQUEST_TIMEOUT_MS / 1000} s` : 'not an HTTP request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nomni: ${why}\n`);
    else socket.destroy();
    deps.log(`client error: ${(err as Error).message}`);
  });
  // Bounds receiving a request, not answering it: waits and follows stay as long as they need.
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  return server;
}

/** `sandbox`: `true`/`false` (the flag), or layers as `omni run` sends them (spec, then flag). */
function sandboxLayers(v: unknown): CreateSessionRequest['sandbox'] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'boolean') return [{ enabled: v }];
  if (Array.isArray(v) && v.every((l) => l && typeof l === 'object' && !Array.isArray(l))) return v as CreateSessionRequest['sandbox'];
  throw new OmniError('"sandbox" must be true, false, or a list of sandbox settings objects', 'bad_request');
}

/** `spawn`: what the session may start (omni run of a spec with `spawn: true`). */
function spawnGrant(v: unknown): { spawn?: SpawnGrant } {
  if (v === undefined || v === null) return {};
  const bad = grantError(v);
  if (bad) throw new OmniError(bad, 'bad_request');
  return { spawn: v as SpawnGrant };
}

/** An optional list of strings in a request body. */
function stringList(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  throw new OmniError(`"${field}" must be a list of strings`, 'bad_request');
}

/**
 * A start (docs/REMOTE.md) from another machine sends no environment and may give
 * `~`/`~/dir` as its cwd; the session then gets this daemon's environment (that of the login
 * that started it, e.g. the ssh bridge's) and this user's home.
 */
function ownEnv(given: unknown): Record<string, string> {
  if (given !== undefined) return {};
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

function homeCwd(cwd: string): string {
  if (cwd === '~') return os.homedir();
  return cwd.startsWith('~/') ? path.join(os.homedir(), cwd.slice(2)) : cwd;
}
