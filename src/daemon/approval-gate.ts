import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import type { NewEvent } from '../core/events.js';
import { OmniError } from '../core/errors.js';
import { isLive, type SessionRecord } from '../core/session.js';
import { linuxProc, peerPids, PeerCheckUnavailable, type ProcReader } from './peer.js';

/** Why a caller of an approval verb is refused, and the session it comes from when known. */
export interface Refusal {
  why: string;
  from?: SessionRecord;
}

/**
 * An agent must never answer an ask, so an approval verb is refused from a process that:
 * descends from a live session's pane; shares a Unix session with a process of a pane's tree
 * (a double fork leaves the tree but keeps the SID); carries a live session's OMNI_SESSION_ID; or descends from omni's
 * tmux server (`tmux run-shell`, `new-window`: the server, not the pane, is the parent) —
 * except the approval popup the daemon opened itself (`popup`: it showed a valid nonce).
 * A process that calls setsid(2) and scrubs its environment is not caught (docs/POLICIES.md).
 */
export function judgePeer(pid: number, ctx: { proc: ProcReader; sessions: SessionRecord[]; tmuxServerPid?: number; popup: boolean }): Refusal | undefined {
  const { proc } = ctx;
  const live = ctx.sessions.filter((s) => isLive(s.status) && s.panePid);
  const me = proc.stat(pid);
  if (!me) return { why: `cannot read /proc/${pid}/stat of the asking process` };
  const panes = new Map(live.map((s) => [s.panePid!, s]));
  let underTmux = false;
  for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 256; p = proc.stat(p)?.ppid, hops++) {
    const s = panes.get(p);
    if (s) return { why: `pid ${pid} runs in session ${s.name}'s process tree`, from: s };
    if (p === ctx.tmuxServerPid) underTmux = true;
  }
  const sids = sessionSids(proc, panes);
  const bySid = me.sid > 1 ? sids.get(me.sid) : undefined;
  if (bySid) return { why: `pid ${pid} is in a Unix session (sid ${me.sid}) of session ${bySid.name}'s processes: a background or double fork from it`, from: bySid };
  if (ctx.popup) return undefined;
  const marked = proc.environ(pid)?.OMNI_SESSION_ID;
  const s = marked ? live.find((x) => x.id === marked) : undefined;
  if (s) return { why: `pid ${pid} carries session ${s.name}'s environment (OMNI_SESSION_ID)`, from: s };
  if (underTmux) return { why: `pid ${pid} runs under omni's own tmux server (tmux run-shell, new-window, …), not in a terminal of yours; only the approval popup omni opens may answer from there` };
  return undefined;
}

/** What the guest check reads of a process: its name and arguments (/proc/<pid>/comm, cmdline: readable for any user's). */
export interface ProcNames {
  comm(pid: number): string | undefined;
  cmdline(pid: number): string[] | undefined;
}

export const linuxNames: ProcNames = {
  comm: (pid) => readProc(`/proc/${pid}/comm`)?.trim(),
  cmdline: (pid) => readProc(`/proc/${pid}/cmdline`)?.split('\0').filter(Boolean),
};

function readProc(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * A guest (another Unix user) is a person too, never an agent: refused when its process runs
 * under an omni tmux server (any omni daemon's, its own included: `tmux: server` started with
 * `-S …/run/tmux.sock`) or carries an omni session's environment (when readable: a daemon that
 * is not root cannot read another user's environ; the ancestry check still holds).
 */
export function judgeGuestPeer(pid: number, ctx: { proc: ProcReader; names: ProcNames }): Refusal | undefined {
  for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 256; p = ctx.proc.stat(p)?.ppid, hops++) {
    if (ctx.names.comm(p) !== 'tmux: server') continue;
    const argv = ctx.names.cmdline(p) ?? [];
    const sock = argv[argv.indexOf('-S') + 1];
    if (argv.includes('-S') && sock?.endsWith('/run/tmux.sock')) return { why: `pid ${pid} runs under an omni tmux server (pid ${p}, ${sock}): an agent's process, not a person's terminal` };
  }
  const env = ctx.proc.environ(pid);
  if (env?.OMNI_SESSION_ID) return { why: `pid ${pid} carries an omni session's environment (OMNI_SESSION_ID=${env.OMNI_SESSION_ID})` };
  return undefined;
}

/**
 * The Unix sessions (SIDs) of every process in a live pane's tree. tmux makes each pane's
 * process a session leader; harnesses start their tools' shells in new ones (Claude does), and
 * an orphan keeps its SID after its parent is gone.
 */
function sessionSids(proc: ProcReader, panes: Map<number, SessionRecord>): Map<number, SessionRecord> {
  const out = new Map<number, SessionRecord>();
  for (const [panePid, s] of panes) out.set(proc.stat(panePid)?.sid ?? panePid, s);
  const parent = new Map<number, { ppid: number; sid: number }>();
  for (const p of proc.pids()) {
    const st = proc.stat(p);
    if (st) parent.set(p, st);
  }
  for (const [p, st] of parent) {
    if (st.sid <= 1 || out.has(st.sid)) continue;
    for (let q: number | undefined = p, hops = 0; q !== undefined && q > 1 && hops < 256; q = parent.get(q)?.ppid, hops++) {
      const s = panes.get(q);
      if (s) {
        out.set(st.sid, s);
        break;
      }
    }
  }
  return out;
}

export interface ApprovalGateDeps {
  sessions: () => SessionRecord[];
  /** The session an approval belongs to (its audit log gets the refusal). */
  approvalSession: (approvalId: string) => SessionRecord | undefined;
  /** The pid of omni's tmux server, undefined when none runs (main.ts keeps it: server-pid.ts). */
  tmuxServerPid: () => Promise<number | undefined>;
  emit: (rec: SessionRecord, ev: NewEvent) => void;
  log: (msg: string) => void;
  proc?: ProcReader;
  /** Who holds the other end of the connection (peer.ts `peerPids`): every holder is judged. */
  peerPid?: (socket: import('node:net').Socket) => Promise<number | number[] | undefined>;
  /** A guest connection's peer (SO_PEERCRED, share-cred.ts); undefined for the owner's. */
  guest?: (socket: import('node:net').Socket) => { pid: number } | undefined;
  names?: ProcNames;
}

/** The approval verbs' caller check, the popup nonces it honours, and the audit of refusals. */
export class ApprovalGate {
  /** approval id → nonces of popups opened for it; each answers once, and only that approval. */
  private readonly nonces = new Map<string, Set<string>>();

  constructor(private readonly deps: ApprovalGateDeps) {}

  /** A one-time nonce for a popup the daemon opens over a pane for this approval. */
  popupNonce(approvalId: string): string {
    const n = randomBytes(18).toString('base64url');
    const set = this.nonces.get(approvalId) ?? new Set<string>();
    set.add(n);
    this.nonces.set(approvalId, set);
    return n;
  }

  /** The approval was answered or withdrawn: its popups can no longer answer anything. */
  forget(approvalId: string): void {
    this.nonces.delete(approvalId);
  }

  /** Throws `forbidden` (and logs it) when the caller may not answer this approval. */
  async check(req: http.IncomingMessage, q: { approval: string; verb: string; nonce?: string }): Promise<void> {
    const guest = this.deps.guest?.(req.socket);
    if (guest) {
      const r = judgeGuestPeer(guest.pid, { proc: this.deps.proc ?? linuxProc, names: this.deps.names ?? linuxNames }) ?? this.judgeAll([guest.pid], await this.serverPid(), false)?.r;
      if (r) this.refuse(q, guest.pid, r);
      return;
    }
    const server = this.serverPid(); // asked alongside the peer lookup: both may spawn a process
    let pids: number[] | undefined;
    try {
      pids = await this.peers(req);
    } catch (err) {
      if (!(err instanceof PeerCheckUnavailable)) throw err;
      this.refuse(q, undefined, { why: `omni cannot tell who is asking, so approvals are refused: ${err.message}` });
    }
    if (pids === undefined) return; // no check on this platform
    const popup = q.nonce !== undefined && this.nonces.get(q.approval)?.has(q.nonce) === true;
    const refused = this.judgeAll(pids, await server, popup);
    if (refused) this.refuse(q, refused.pid, refused.r);
    if (popup) this.nonces.get(q.approval)?.delete(q.nonce!);
  }

  /**
   * Throws `forbidden` when the caller runs inside an omni session (the same judgement as for
   * approval verbs, with no popup exception): `POST /v1/mcp/call` acts as the person, and an
   * agent drives only through its own session's socket, which sees only its descendants.
   */
  async checkOutsideSessions(req: http.IncomingMessage, what: string): Promise<void> {
    const server = this.serverPid();
    let pids: number[] | undefined;
    try {
      pids = await this.peers(req);
    } catch (err) {
      if (!(err instanceof PeerCheckUnavailable)) throw err;
      throw new OmniError(`${what} refused: omni cannot tell who is asking (${err.message})`, 'forbidden');
    }
    if (pids === undefined) return;
    const refused = this.judgeAll(pids, await server, false);
    if (!refused) return;
    const { pid, r } = refused;
    this.deps.log(`${what} refused: pid ${pid}${r.from ? ` from session ${r.from.name} (${r.from.id})` : ''}: ${r.why}`);
    throw new OmniError(`${what} refused: ${r.why}; inside a session, omni's tools come through that session's own wiring (its sub-agents only)`, 'forbidden');
  }

  /** Every process holding the caller's end of the connection; undefined where there is no check. */
  private async peers(req: http.IncomingMessage): Promise<number[] | undefined> {
    const r = await (this.deps.peerPid ?? peerPids)(req.socket);
    return r === undefined ? undefined : [r].flat();
  }

  /** The first holder that may not ask, and why; undefined when every one may. */
  private judgeAll(pids: number[], tmuxServerPid: number | undefined, popup: boolean): { pid: number; r: Refusal } | undefined {
    const sessions = this.deps.sessions();
    for (const pid of pids) {
      const r = judgePeer(pid, { proc: this.deps.proc ?? linuxProc, sessions, tmuxServerPid, popup });
      if (r) return { pid, r };
    }
    return undefined;
  }

  /** omni's tmux server pid, or undefined (none runs, or tmux could not say). */
  private serverPid(): Promise<number | undefined> {
    return this.deps.tmuxServerPid().catch(() => undefined);
  }

  private refuse(q: { approval: string; verb: string }, pid: number | undefined, r: Refusal): never {
    const target = this.deps.approvalSession(q.approval);
    const data = { id: q.approval, verb: q.verb, why: r.why, ...(pid !== undefined ? { pid } : {}), ...(r.from ? { from: r.from.id } : {}) };
    this.deps.log(`approval refused: ${q.verb} ${q.approval}${pid !== undefined ? ` by pid ${pid}` : ''}${r.from ? ` from session ${r.from.name} (${r.from.id})` : ''}: ${r.why}`);
    for (const rec of new Map([target, r.from].filter((x): x is SessionRecord => !!x).map((x) => [x.id, x])).values()) {
      this.deps.emit(rec, { type: 'approval.refused', data });
    }
    throw new OmniError(`approval refused: ${r.why}; answer from your own terminal (omni approve|deny, omni approvals)`, 'forbidden');
  }
}
