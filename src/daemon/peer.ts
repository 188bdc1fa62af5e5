import { execFile } from 'node:child_process';
import fs from 'node:fs';

/**
 * Who is on the other end of a control-socket connection? Linux only: the connection's socket
 * inode from /proc, its peer from `ss -xp` (iproute2), the peer's pid from the same listing.
 * Node has no SO_PEERCRED; this costs ~50 ms (measured: `ss -xpn` on a busy 2-core host; the
 * /proc walk ~9 ms for 90 processes), so it is used only for approval verbs.
 */

/** The check could not run: approval verbs are refused (fail closed) with this reason. */
export class PeerCheckUnavailable extends Error {}

/** What the approval check reads about a process; injected so the logic is testable without /proc. */
export interface ProcReader {
  /** Parent pid and Unix session id (/proc/<pid>/stat fields 4 and 6); undefined when gone or unreadable. */
  stat(pid: number): { ppid: number; sid: number } | undefined;
  /** The process's environment (/proc/<pid>/environ); undefined when unreadable. */
  environ(pid: number): Record<string, string> | undefined;
  /** Every visible pid (/proc). */
  pids(): number[];
}

export const linuxProc: ProcReader = {
  stat(pid) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // After the last ")": the command name may hold spaces and parentheses.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(f[1]);
      const sid = Number(f[3]);
      return Number.isInteger(ppid) && Number.isInteger(sid) ? { ppid, sid } : undefined;
    } catch {
      return undefined;
    }
  },
  pids() {
    try {
      return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
    } catch {
      return [];
    }
  },
  environ(pid) {
    try {
      const out: Record<string, string> = {};
      for (const kv of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
        const i = kv.indexOf('=');
        if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
      }
      return out;
    } catch {
      return undefined;
    }
  },
};

/** The pid's parent, from /proc/<pid>/stat. */
export function parentPid(pid: number, proc: ProcReader = linuxProc): number | undefined {
  return proc.stat(pid)?.ppid;
}

/** Runs `ss -xpn`; rejects with the spawn error (ENOENT when iproute2 is missing). */
export type SsRunner = () => Promise<string>;

export const runSs: SsRunner = () =>
  new Promise((resolve, reject) => execFile('ss', ['-xpn'], { maxBuffer: 16 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout))));

const INSTALL_HINT = 'install iproute2 (which provides `ss`) on the machine that runs the omni daemon';

/**
 * The peer's pid. Linux: throws PeerCheckUnavailable when it cannot be found (no `ss`, /proc
 * unreadable, the peer not in the listing). Elsewhere there is no check: undefined.
 */
export async function peerPid(socket: import('node:net').Socket, ss: SsRunner = runSs): Promise<number | undefined> {
  if (process.platform !== 'linux') return undefined;
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new PeerCheckUnavailable('the connection has no file descriptor to inspect');
  let inode: string;
  try {
    const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
    if (!m) throw new Error(`fd ${fd} is not a socket`);
    inode = m[1]!;
  } catch (err) {
    throw new PeerCheckUnavailable(`cannot read /proc/self/fd (${(err as Error).message}); mount /proc`);
  }
  let out: string;
  try {
    out = await ss();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new PeerCheckUnavailable(e.code === 'ENOENT' ? `\`ss\` is not installed; ${INSTALL_HINT}` : `\`ss -xpn\` failed (${e.message.split('\n')[0]}); ${INSTALL_HINT}`);
  }
  const rows = out
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((t) => t.length >= 8);
  const peerInode = rows.find((t) => t[5] === inode)?.[7];
  const peer = peerInode ? rows.find((t) => t[5] === peerInode) : undefined;
  const m = /pid=(\d+)/.exec(peer?.slice(8).join(' ') ?? '');
  if (!m) throw new PeerCheckUnavailable(`\`ss -xpn\` does not show the process behind this connection (socket ${inode})`);
  return Number(m[1]);
}
