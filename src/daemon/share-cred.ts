import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type net from 'node:net';
import { peerPids } from './peer.js';

/**
 * Who is on the other end of a guest connection, from the kernel: SO_PEERCRED (the pid, uid
 * and gid of the process that connected, fixed at connect(2)). Node cannot read it, so a tiny
 * perl (in every Linux base system) gets a duplicate of the connection's fd as its stdin and
 * prints it. Without perl: the peer's pids (peer.ts, `ss -xpn`, which sees other users'
 * processes only when the daemon is root) and their /proc/<pid>/status. Never anything the
 * client says. Asked once per connection, on the guest socket only (the owner's is untouched).
 */
export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

const PERL = 'use Socket; my $c = getsockopt(STDIN, SOL_SOCKET, SO_PEERCRED) or die "getsockopt: $!\\n"; print join(" ", unpack("iII", $c)), "\\n";';

/** `pid uid gid` as the perl helper prints it. */
export function parsePeercredLine(out: string): PeerCred | undefined {
  const m = /^(\d+) (\d+) (\d+)\s*$/.exec(out);
  if (!m) return undefined;
  const [pid, uid, gid] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return pid > 0 ? { pid, uid, gid } : undefined;
}

/** The real and effective uid from a /proc/<pid>/status text; undefined unless both are there. */
export function parseStatusUids(status: string): { real: number; effective: number } | undefined {
  const m = /^Uid:\s+(\d+)\s+(\d+)\s+/m.exec(status);
  return m ? { real: Number(m[1]), effective: Number(m[2]) } : undefined;
}

/** The uid a process runs as: only when its real and effective uids agree (a setuid program's do not). */
export function procUid(pid: number, read: (file: string) => string = (f) => fs.readFileSync(f, 'utf8')): number | undefined {
  try {
    const u = parseStatusUids(read(`/proc/${pid}/status`));
    return u && u.real === u.effective ? u.real : undefined;
  } catch {
    return undefined;
  }
}

/** SO_PEERCRED through perl; rejects when perl is missing or fails. */
export function perlPeercred(socket: net.Socket, perl = 'perl'): Promise<PeerCred> {
  return new Promise((resolve, reject) => {
    const child = spawn(perl, ['-e', PERL], { stdio: [socket, 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const cred = code === 0 ? parsePeercredLine(out) : undefined;
      if (cred) resolve(cred);
      else reject(new Error(`perl SO_PEERCRED: ${err.trim() || `exit ${code}`}`));
    });
  });
}

/**
 * The connection's peer. The uid is the one SO_PEERCRED reports; without perl, the uid every
 * holder of the peer socket runs as (real = effective), or an error when they differ or none can be read.
 */
export async function peerCred(socket: net.Socket): Promise<PeerCred> {
  try {
    return await perlPeercred(socket);
  } catch (first) {
    const pids = await peerPids(socket).catch(() => undefined);
    const uids = new Set((pids ?? []).map((p) => procUid(p)));
    const [uid] = [...uids];
    if (!pids?.length || uids.size !== 1 || uid === undefined) throw new Error(`cannot tell who connected: ${(first as Error).message}; no /proc answer either`);
    return { pid: pids[0]!, uid, gid: -1 };
  }
}
