import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import { OmniError } from '../core/errors.js';
import { isLive, type SessionRecord } from '../core/session.js';

/**
 * Who is on the other end of a control-socket connection? Linux only: the connection's socket
 * inode from /proc, its peer from `ss -xp` (iproute2), the peer's pid from the same listing.
 * Node has no SO_PEERCRED; this costs ~10 ms, so it is used only for approval verbs.
 */
export async function peerPid(socket: import('node:net').Socket): Promise<number | undefined> {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (process.platform !== 'linux' || typeof fd !== 'number' || fd < 0) return undefined;
  let inode: string;
  try {
    const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
    if (!m) return undefined;
    inode = m[1]!;
  } catch {
    return undefined;
  }
  const out = await new Promise<string>((resolve) => execFile('ss', ['-xpn'], { maxBuffer: 16 << 20 }, (err, stdout) => resolve(err ? '' : stdout)));
  const rows = out
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((t) => t.length >= 8);
  const peerInode = rows.find((t) => t[5] === inode)?.[7];
  if (!peerInode) return undefined;
  const peer = rows.find((t) => t[5] === peerInode);
  const m = /pid=(\d+)/.exec(peer?.slice(8).join(' ') ?? '');
  return m ? Number(m[1]) : undefined;
}

/** The pid's parent, from /proc/<pid>/stat (after the last ")": the command may hold spaces). */
export function parentPid(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** The live session whose pane process is an ancestor of `pid`, if any. */
export function sessionAncestor(pid: number, sessions: SessionRecord[]): SessionRecord | undefined {
  const panes = new Map(sessions.filter((s) => isLive(s.status) && s.panePid).map((s) => [s.panePid!, s]));
  for (let p: number | undefined = pid, hops = 0; p && p > 1 && hops < 64; p = parentPid(p), hops++) {
    const hit = panes.get(p);
    if (hit) return hit;
  }
  return undefined;
}

/** Refuse an approval verb that comes from inside an omni session: an agent never approves. */
export async function refuseFromSession(req: http.IncomingMessage, sessions: SessionRecord[]): Promise<void> {
  const pid = await peerPid(req.socket);
  if (pid === undefined) return;
  const s = sessionAncestor(pid, sessions);
  if (s) {
    throw new OmniError(`approvals cannot come from inside an omni session (pid ${pid} runs in session ${s.name}); answer from your own terminal`, 'forbidden');
  }
}
