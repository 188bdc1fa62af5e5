import fs from 'node:fs';
import { execa } from 'execa';
import { findOnPath } from '../core/fsutil.js';
import { SandboxUnavailable } from './errors.js';
import { seccompProgram } from './seccomp.js';

export { SandboxUnavailable };

export interface BwrapInfo {
  /** Absolute path of the bwrap binary. */
  path: string;
  /** e.g. `0.8.0`. */
  version: string;
}

export { findOnPath };

/**
 * The smallest invocation using every kernel feature the real launch needs: a user namespace
 * (implied when bwrap is not setuid), net/pid namespaces, dropping capabilities (mandatory as
 * root, FINDINGS §1), `--clearenv` (bwrap >= 0.5; Debian 11 / Ubuntu 20.04 ship 0.4) and our
 * seccomp filter, read from fd 3.
 */
export const BWRAP_PROBE_ARGS = [
  '--cap-drop', 'ALL', '--seccomp', '3', '--unshare-net', '--unshare-pid', '--ro-bind', '/', '/',
  '--dev', '/dev', '--proc', '/proc', '--clearenv', 'true',
];

/**
 * Find bwrap on `env.PATH` and check once that it can actually build a sandbox here.
 * Throws SandboxUnavailable with an actionable message otherwise.
 */
export async function detectBwrap(env: Record<string, string | undefined> = process.env): Promise<BwrapInfo> {
  const bwrap = findOnPath('bwrap', env.PATH);
  if (!bwrap) {
    throw new SandboxUnavailable(
      'bubblewrap (bwrap) is not installed or not on PATH; install it (apt-get install bubblewrap, dnf install bubblewrap, pacman -S bubblewrap)',
    );
  }
  const ver = await execa(bwrap, ['--version'], { reject: false, timeout: 10_000, stdin: 'ignore' });
  const version = /(\d+\.\d+(?:\.\d+)?)/.exec(ver.stdout)?.[1];
  if (ver.exitCode !== 0 || !version) {
    throw new SandboxUnavailable(`${bwrap} --version failed: ${oneLine(ver.stderr || ver.stdout) || `exit ${ver.exitCode}`}`);
  }
  const filter = seccompProgram(); // throws SandboxUnavailable on an unsupported architecture
  const probe = await execa(bwrap, BWRAP_PROBE_ARGS, {
    reject: false,
    timeout: 10_000,
    stdio: ['ignore', 'pipe', 'pipe', new Uint8Array(filter)],
    env: { PATH: env.PATH ?? '/usr/bin:/bin' },
    extendEnv: false,
  });
  if (probe.exitCode !== 0) throw new SandboxUnavailable(explainProbeFailure(bwrap, version, probe.stderr, probe.exitCode));
  return { path: bwrap, version };
}

/** Turn bwrap's complaint into what the user should do. Exported for tests. */
export function explainProbeFailure(bwrap: string, version: string, stderr: string, exitCode: number | undefined): string {
  const said = oneLine(stderr) || `exit ${exitCode ?? '?'}`;
  if (/unknown option --clearenv|unrecognized option.*clearenv/i.test(stderr)) {
    return `bubblewrap ${version} at ${bwrap} is too old (needs >= 0.5 for --clearenv); upgrade bubblewrap`;
  }
  if (/capset|capabilit|--cap-drop|unknown cap/i.test(stderr)) {
    return `${bwrap} cannot drop capabilities (--cap-drop ALL): ${said}; without that a root sandbox could unmount its own mounts`;
  }
  if (/seccomp/i.test(stderr)) {
    return `${bwrap} cannot load a seccomp filter (${said}); the kernel needs CONFIG_SECCOMP_FILTER`;
  }
  if (/namespace|uid map|uid_map|setting up|loopback|Permission denied|Operation not permitted|No space left/i.test(stderr)) {
    return [
      `${bwrap} cannot create namespaces here (${said}).`,
      'Unprivileged user namespaces are probably disabled:',
      'Debian/older kernels: sysctl kernel.unprivileged_userns_clone=1;',
      'Ubuntu 23.10+: sysctl kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile allowing userns for bwrap;',
      'also check user.max_user_namespaces > 0; in a container, run it with a seccomp/AppArmor profile that allows unshare/mount.',
      sysctlHints(),
    ].filter(Boolean).join(' ');
  }
  return `${bwrap} cannot start a sandbox: ${said}`;
}

function sysctlHints(): string {
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const seen: string[] = [];
  const clone = read('/proc/sys/kernel/unprivileged_userns_clone');
  if (clone === '0') seen.push('kernel.unprivileged_userns_clone=0');
  const apparmor = read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns');
  if (apparmor === '1') seen.push('kernel.apparmor_restrict_unprivileged_userns=1');
  const max = read('/proc/sys/user/max_user_namespaces');
  if (max === '0') seen.push('user.max_user_namespaces=0');
  return seen.length ? `(this machine has ${seen.join(', ')})` : '';
}

function oneLine(s: string): string {
  return s.trim().split('\n').map((l) => l.trim()).filter(Boolean).join('; ').slice(0, 400);
}
