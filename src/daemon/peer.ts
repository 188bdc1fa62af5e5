import { execFile } from 'node:child_process';
import fs from 'node:fs';

/**
 * Who is on the other end of a control-socket connection? Linux only: the connection's socket
 * inode from /proc, its peer's inode from `ss -xpn` (iproute2, netlink), the processes holding
 * that peer socket from the same listing, each confirmed in /proc/<pid>/fd. Node has no
 * SO_PEERCRED and /proc/net/unix does not pair a socket with its peer, so `ss` stays: the daemon
 * runs it from one kept shell (ss-helper.ts, ~15 ms against ~27 ms for a spawn from node on a
 * busy 2-core host). Used for approval verbs and the person's MCP calls.
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

/** Which sockets a process holds (the inodes of /proc/<pid>/fd's `socket:[N]` links); injected for tests. */
export type SocketHolder = (pid: number, inode: string) => boolean;

export const holdsSocket: SocketHolder = (pid, inode) => {
  const want = `socket:[${inode}]`;
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === want) return true;
    } catch {
      /* closed meanwhile */
    }
  }
  return false;
};

/**
 * The processes holding the other end of this connection. Linux: throws PeerCheckUnavailable
 * when they cannot be found (no `ss`, /proc unreadable, the peer not in the listing).
 * Elsewhere there is no check: undefined.
 *
 * `ss` prints socket paths and process names as they are, spaces and newlines included, and a
 * caller chooses both for its own socket: its row can carry made-up columns ("pid=1"). So the
 * listing only suggests: our row must be the one row ending in our own pid and fd, and a pid
 * counts only if /proc shows it holding the peer socket. Every holder is returned (a socket
 * shared across a fork has several); the caller judges them all.
 */
export async function peerPids(socket: import('node:net').Socket, ss: SsRunner = runSs, holds: SocketHolder = holdsSocket): Promise<number[] | undefined> {
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
  const lines = out.split('\n').slice(1);
  // Our row: "<path> <inode> <peer address> <peer inode> users:(…("<name>",pid=<us>,fd=<fd>)…)"
  // (a child we fork holds our fds until it execs: it may show up in the same row).
  const ours = new RegExp(`\\s${inode}\\s+\\S+\\s+(\\d+)\\s+users:\\(.*\\("[^"\\n]*",pid=${process.pid},fd=${fd}\\)[,)]`);
  const rows = lines.map((l) => ours.exec(l)?.[1]).filter((x): x is string => x !== undefined);
  if (rows.length !== 1) throw new PeerCheckUnavailable(`\`ss -xpn\` shows ${rows.length ? 'more than one row' : 'no row'} for this connection (socket ${inode})`);
  const peerInode = rows[0]!;
  const candidates = new Set<number>();
  for (const l of lines) {
    if (!l.split(/\s+/).includes(peerInode)) continue;
    for (const m of l.matchAll(/pid=(\d+)/g)) candidates.add(Number(m[1]));
  }
  const pids = [...candidates].filter((pid) => holds(pid, peerInode));
  if (!pids.length) throw new PeerCheckUnavailable(`\`ss -xpn\` does not show the process behind this connection (socket ${inode})`);
  return pids;
}

/** The peer's pid: the first of `peerPids` (every holder is judged by the approval gate). */
export async function peerPid(socket: import('node:net').Socket, ss: SsRunner = runSs): Promise<number | undefined> {
  return (await peerPids(socket, ss))?.[0];
}
