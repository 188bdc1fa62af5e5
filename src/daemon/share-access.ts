import type http from 'node:http';
import type { ApprovalQueue } from '../approvals/queue.js';
import { OmniError } from '../core/errors.js';
import type { NewEvent } from '../core/events.js';
import { isLive, preferLive, type SessionRecord } from '../core/session.js';
import type { Route } from './api.js';
import { readJson, sendJson, startNdjson } from './http.js';
import { guestRule, roleAtLeast, SHARE_ROLES, type ShareRole } from './share-roles.js';
import type { Guest, ShareService } from './share-service.js';
import type { Grant } from './share-store.js';

export interface ShareAccessDeps {
  shares: ShareService;
  sessions: { list(): SessionRecord[]; get(id: string): SessionRecord | undefined; resolve(ref: string): SessionRecord };
  approvals: ApprovalQueue;
  emit: (rec: SessionRecord, ev: NewEvent) => void;
  info: { pid: number; version: string; tmuxSocket: string; shareSocket: string; home: string };
  /** The owner's Unix name (who `by` names for the owner's own requests). */
  owner: string;
}

/** What the control API asks of sharing (src/daemon/api.ts `access`, `who`, `audit`). */
export interface ShareAccess {
  /**
   * Before a request is routed: undefined for the owner (no work at all); for a guest, the URL
   * to route with (session refs replaced by the granted session's id), or `handled` when the
   * answer was given here (filtered lists). Throws `forbidden` for anything the grants do not allow.
   */
  access(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<{ url: URL } | { handled: true } | undefined>;
  /** Who is asking, for `by` fields. */
  who(req: http.IncomingMessage): { by: string; uid?: number; guest?: true };
  /** `omni send` reached a session: who typed what (input.sent), before it is typed. */
  sent(req: http.IncomingMessage, rec: SessionRecord, text: string, submit: boolean): void;
  /** The owner's routes: GET/POST /v1/shares, DELETE /v1/shares/:session/:user. */
  routes: Route[];
}

export function shareAccess(deps: ShareAccessDeps): ShareAccess {
  const { shares, sessions } = deps;
  const granted = (g: Guest) => deps.shares.grants().filter((x) => x.uid === g.uid);
  const forbid = (g: Guest, what: string) => new OmniError(`${g.user} may not ${what} (the owner, ${deps.owner}, shares: omni share)`, 'forbidden');

  /** A ref resolved only among the guest's sessions: nothing else's name or existence shows. */
  function resolveGranted(g: Guest, ref: string): { rec: SessionRecord; grant: Grant } {
    const mine = granted(g)
      .map((grant) => ({ grant, rec: sessions.get(grant.session) }))
      .filter((x): x is { grant: Grant; rec: SessionRecord } => !!x.rec);
    const byId = mine.find((x) => x.rec.id === ref);
    const rec = byId?.rec ?? preferLive(mine.filter((x) => x.rec.name === ref).map((x) => x.rec));
    if (!rec) throw new OmniError(`no session "${ref}" is shared with you; shared with you: ${mine.map((x) => x.rec.name).join(', ') || 'none'}`, 'unknown_session');
    return { rec, grant: mine.find((x) => x.rec.id === rec.id)!.grant };
  }

  function act(g: Guest, rec: SessionRecord, role: ShareRole, action: string, extra: { approval?: string } = {}): void {
    deps.emit(rec, { type: 'guest.action', data: { user: g.user, uid: g.uid, action, role, ...extra } });
  }

  async function access(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<{ url: URL } | { handled: true } | undefined> {
    const g = shares.guestOf(req.socket);
    if (!g) return undefined;
    const mine = granted(g);
    if (!mine.length) throw new OmniError(`no session is shared with ${g.user} any more`, 'forbidden');
    const { rule, ref } = guestRule(req.method ?? 'GET', url.pathname);
    const out = new URL(url.href);
    switch (rule.kind) {
      case 'owner':
        throw forbid(g, `${req.method} ${url.pathname}`);
      case 'session': {
        const { rec, grant } = resolveGranted(g, decodeURIComponent(ref!));
        if (!roleAtLeast(grant.role, rule.need)) throw forbid(g, `${rule.action ?? 'do that'} on ${rec.name}: that needs the ${rule.need} role, ${g.user} has ${grant.role}`);
        const parts = url.pathname.split('/');
        parts[3] = encodeURIComponent(rec.id);
        out.pathname = parts.join('/');
        if (rule.action && rule.action !== 'send') act(g, rec, grant.role, rule.action);
        return { url: out };
      }
      case 'approval': {
        const a = deps.approvals.get(decodeURIComponent(ref!));
        const grant = a && mine.find((x) => x.session === a.session);
        if (!a || !grant) throw new OmniError(`no approval ${ref} on a session shared with you`, 'not_found');
        if (!roleAtLeast(grant.role, rule.need)) throw forbid(g, `${rule.action} on ${a.sessionName}: that needs the approve role, ${g.user} has ${grant.role}`);
        const rec = sessions.get(a.session);
        if (rec) act(g, rec, grant.role, rule.action, { approval: a.id });
        return { url: out };
      }
      case 'list':
        break;
    }
    const q = url.searchParams.get('session');
    const scoped = q ? resolveGranted(g, q).rec.id : undefined;
    if (scoped) out.searchParams.set('session', scoped);
    switch (rule.what) {
      case 'harnesses':
        return { url: out };
      case 'cost':
        if (!scoped) throw forbid(g, 'read the cost of every session (omni cost --session NAME)');
        return { url: out };
      case 'daemon': {
        const list = mine.map((x) => ({ session: x.session, name: sessions.get(x.session)?.name, role: x.role }));
        sendJson(res, 200, { pid: deps.info.pid, version: deps.info.version, tmuxSocket: deps.info.tmuxSocket, socket: deps.info.shareSocket, owner: deps.owner, guest: { user: g.user, uid: g.uid, grants: list }, sessions: list.length });
        return { handled: true };
      }
      case 'sessions': {
        const all = url.searchParams.get('all') === '1';
        const recs = mine.map((x) => sessions.get(x.session)).filter((r): r is SessionRecord => !!r && (all || isLive(r.status)));
        sendJson(res, 200, { sessions: recs });
        return { handled: true };
      }
      case 'approvals': {
        const ids = new Set(scoped ? [scoped] : mine.map((x) => x.session));
        const all = url.searchParams.get('all') === '1';
        const list = () => deps.approvals.list({ all }).filter((a) => ids.has(a.session));
        if (url.searchParams.get('follow') !== '1') {
          sendJson(res, 200, { approvals: list() });
          return { handled: true };
        }
        const write = startNdjson(res);
        const unsub = deps.approvals.subscribe((item) => {
          if (item.type !== 'snapshot' && !ids.has(item.approval.session)) return;
          if (!write(item)) unsub();
        });
        res.on('close', unsub);
        write({ type: 'snapshot', approvals: deps.approvals.list().filter((a) => ids.has(a.session)) });
        return { handled: true };
      }
    }
  }

  function who(req: http.IncomingMessage): { by: string; uid?: number; guest?: true } {
    const g = shares.guestOf(req.socket);
    return g ? { by: g.user, uid: g.uid, guest: true } : { by: deps.owner };
  }

  function sent(req: http.IncomingMessage, rec: SessionRecord, text: string, submit: boolean): void {
    const w = who(req);
    deps.emit(rec, { type: 'input.sent', data: { ...w, text, submit } });
  }

  const routes: Route[] = [
    [
      'GET',
      /^\/v1\/shares$/,
      async (_q, res) => sendJson(res, 200, { socket: deps.info.shareSocket, tmuxSocket: deps.info.tmuxSocket, grants: shares.grants().map((g) => ({ ...g, sessionName: sessions.get(g.session)?.name })) }),
    ],
    [
      'POST',
      /^\/v1\/shares$/,
      async (req, res) => {
        const body = await readJson<{ session?: unknown; user?: unknown; role?: unknown }>(req);
        if (typeof body.session !== 'string' || typeof body.user !== 'string') throw new OmniError('"session" and "user" are required', 'bad_request');
        if (!SHARE_ROLES.includes(body.role as ShareRole)) throw new OmniError(`"role" is one of ${SHARE_ROLES.join(', ')}`, 'bad_request');
        const rec = sessions.resolve(body.session);
        const r = await shares.grant(rec, body.user, body.role as ShareRole);
        sendJson(res, 200, { ...r, sessionName: rec.name, socket: deps.info.shareSocket, tmuxSocket: deps.info.tmuxSocket, home: deps.info.home });
      },
    ],
    [
      'DELETE',
      /^\/v1\/shares\/([^/]+)\/([^/]+)$/,
      async (_q, res, [ref, user]) => {
        const rec = sessions.resolve(ref!);
        sendJson(res, 200, { revoked: await shares.revoke(rec, user!), sessionName: rec.name });
      },
    ],
  ];

  return { access, who, sent, routes };
}
