import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The POSIX ACL entries (setfacl, package acl) that let a guest reach omni's sockets and nothing
 * wider: search (x, never read) on each directory of the way that it could not already pass,
 * read-write on the guest socket and on omni's tmux socket. omni removes only the entries it
 * added (an entry the user already had is left as it was, and not recorded).
 */
export type AclRunner = (argv: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

export const runAclTool: AclRunner = ([cmd, ...args]) =>
  new Promise((resolve) =>
    execFile(cmd!, args, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) })),
  );

export interface DirStat {
  mode: number;
  uid: number;
}

/** The directories from `/` down to `dir` (inclusive) that `uid` cannot search through its mode bits as "other" or as their owner. */
export function dirsToOpen(dir: string, uid: number, stat: (p: string) => DirStat | undefined = statOf): string[] {
  const out: string[] = [];
  const parts = path.resolve(dir).split(path.sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const p = path.sep + parts.slice(0, i).join(path.sep);
    const st = stat(p);
    if (!st) continue;
    if (st.uid === uid ? (st.mode & 0o100) !== 0 : (st.mode & 0o001) !== 0) continue;
    out.push(p);
  }
  return out;
}

function statOf(p: string): DirStat | undefined {
  try {
    const st = fs.statSync(p);
    return { mode: st.mode, uid: st.uid };
  } catch {
    return undefined;
  }
}

export const addArgv = (user: string, perms: 'x' | 'rw', file: string): string[] => ['setfacl', '-m', `u:${user}:${perms}`, file];
export const removeArgv = (user: string, file: string): string[] => ['setfacl', '-x', `u:${user}`, file];
export const readArgv = (file: string): string[] => ['getfacl', '-cp', file];

/** Whether a `getfacl -c` listing has a named entry for `user` (not the owner's `user::`). */
export function hasUserEntry(listing: string, user: string): boolean {
  return listing.split('\n').some((l) => l.startsWith(`user:${user}:`));
}

/** Adds `u:user:perms` on `file` unless the user already has an entry there; true when omni added it. */
export async function openFor(run: AclRunner, user: string, perms: 'x' | 'rw', file: string): Promise<boolean> {
  const cur = await run(readArgv(file));
  if (cur.code !== 0) throw new Error(`getfacl ${file}: ${cur.stderr.trim() || `exit ${cur.code}`}`);
  if (hasUserEntry(cur.stdout, user)) return false;
  const r = await run(addArgv(user, perms, file));
  if (r.code !== 0) throw new Error(`setfacl ${file}: ${r.stderr.trim() || `exit ${r.code}`} (is the acl package installed, and the filesystem mounted with ACLs?)`);
  return true;
}

/** Removes the user's entry from `file`; a file that is gone is fine. */
export async function closeFor(run: AclRunner, user: string, file: string): Promise<void> {
  if (!fs.existsSync(file)) return;
  await run(removeArgv(user, file));
}
