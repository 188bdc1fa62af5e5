import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

/**
 * A real second Unix user for the collaboration and remote-host tests (issue 17). The tests run
 * as root on CI (user creation needs it); `canMakeUsers` says whether this machine allows it.
 */
export interface UnixUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export function canMakeUsers(): boolean {
  return process.getuid?.() === 0 && fs.existsSync('/usr/sbin/useradd') && fs.existsSync('/usr/sbin/runuser');
}

/** The user `name`, created (with a home directory and /bin/sh) if it does not exist yet. */
export function ensureUnixUser(name: string): UnixUser {
  if (spawnSync('id', ['-u', name]).status !== 0) execFileSync('/usr/sbin/useradd', ['-m', '-s', '/bin/sh', name], { stdio: 'pipe' });
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`user ${name} not in /etc/passwd after useradd`);
  const f = line.split(':');
  return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

/** A fresh private directory owned by `user` (its OMNI_HOME, say), under the system temp dir. */
export function userTempDir(user: UnixUser, prefix: string): string {
  const dir = fs.mkdtempSync(`${os.tmpdir()}/${prefix}`);
  fs.chownSync(dir, user.uid, user.gid);
  fs.chmodSync(dir, 0o700);
  return dir;
}

/**
 * `argv` run as `user` (runuser: no password, a clean login-less environment plus `env`);
 * resolves with its exit code and output.
 */
export function runAs(user: UnixUser, argv: string[], env: Record<string, string> = {}, opts: { input?: string; timeoutMs?: number; cwd?: string } = {}) {
  const vars = Object.entries({ HOME: user.home, USER: user.name, LOGNAME: user.name, PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }).map(([k, v]) => `${k}=${v}`);
  const r = spawnSync('/usr/sbin/runuser', ['-u', user.name, '--', '/usr/bin/env', '-i', ...vars, ...argv], {
    input: opts.input,
    timeout: opts.timeoutMs ?? 60_000,
    cwd: opts.cwd ?? '/',
    encoding: 'utf8',
  });
  return { exitCode: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
