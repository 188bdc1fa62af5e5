import path from 'node:path';
import type { SandboxPlan } from './bwrap.js';

/**
 * macOS: the same plan as a Seatbelt (SBPL) profile for `sandbox-exec -p`.
 *
 * Differences from Linux, by necessity:
 * - There is no network namespace, so the egress proxy listens on a loopback TCP port on the
 *   host (`proxyPort`) and the profile allows outbound connections to exactly that port; no
 *   forwarder runs. The hook socket is reached by path.
 * - Nothing is mounted: hidden trees stay visible by name but reading them is denied.
 * - Seatbelt matches resolved paths: pass canonical ones (/private/var/…, not /var/…).
 * - The environment is not cleared by sandbox-exec; the caller starts it with `env -i` + plan.env.
 * - Known gap: SBPL cannot filter ioctl requests, so TIOCSTI on the pane's tty is not blocked
 *   here the way the Linux seccomp filter blocks it.
 *
 * SBPL evaluates rules in order and the last matching one wins, so the profile goes from broad
 * to specific: allow reads, deny the hidden trees, re-allow what the plan exposes.
 */

/** An SBPL string literal. */
export function sbplString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function canonical(p: string): string {
  if (!path.isAbsolute(p)) throw new Error(`seatbelt: path must be absolute, got ${JSON.stringify(p)}`);
  return path.resolve(p);
}

const subpaths = (ps: string[]) => ps.map((p) => `(subpath ${sbplString(p)})`).join(' ');

/** Ancestors of `p` up to and excluding `/` (so stat/realpath of a re-exposed path works). */
function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let d = path.dirname(p); d !== '/' && d !== '.'; d = path.dirname(d)) out.push(d);
  return out;
}

export function seatbeltProfile(plan: SandboxPlan & { proxyPort?: number }): string {
  const home = canonical(plan.home);
  const hidden = [home, ...plan.hide.map(canonical)];
  const cwd = canonical(plan.cwd);
  const writable = [cwd, ...plan.writable.map(canonical)];
  const readable = plan.readable.map(canonical);
  const agentDir = canonical(plan.agentDir);
  const exposed = [...writable, ...readable, agentDir];
  const hook = path.join(agentDir, 'hook.sock');
  const port = plan.proxyPort ?? plan.proxy?.port;
  if (port !== undefined && (!Number.isInteger(port) || port <= 0 || port > 65535)) throw new Error(`seatbelt: bad proxy port ${port}`);

  const inside = (p: string, tree: string) => p === tree || p.startsWith(tree + '/');
  const metadata = [...new Set(exposed.flatMap(ancestors).filter((d) => hidden.some((h) => inside(d, h))))].sort();

  const lines = [
    '(version 1)',
    '(deny default)',
    '',
    '; processes: children inherit this profile',
    '(allow process-exec)',
    '(allow process-fork)',
    '(allow signal (target same-sandbox))',
    '(allow process-info* (target same-sandbox))',
    '(allow sysctl-read)',
    '; os.cpus() and friends (libuv: host_processor_info)',
    '(allow mach-host*)',
    '; getpwuid() and DNS-free basics; deliberately no keychain (com.apple.SecurityServer)',
    '(allow mach-lookup',
    '  (global-name "com.apple.system.opendirectoryd.libinfo")',
    '  (global-name "com.apple.system.notification_center")',
    '  (global-name "com.apple.system.logger")',
    '  (global-name "com.apple.logd")',
    '  (global-name "com.apple.PowerManagement.control"))',
    '(allow user-preference-read)',
    '(allow ipc-posix-sem)',
    '(allow ipc-posix-shm-read* ipc-posix-shm-write-data ipc-posix-shm-write-create)',
    '; terminals: the pane (ioctl for window size/raw mode) and ptys agents open for their tools',
    '(allow pseudo-tty)',
    '(allow file-read* file-write* file-ioctl (literal "/dev/ptmx") (literal "/dev/tty") (regex #"^/dev/ttys[0-9]+$"))',
    '',
    '; reads: everywhere except the hidden trees, then what the plan re-exposes',
    '(allow file-read*)',
    `(deny file-read* file-write* ${subpaths(hidden)})`,
  ];
  if (metadata.length) lines.push(`(allow file-read-metadata ${metadata.map((d) => `(literal ${sbplString(d)})`).join(' ')})`);
  lines.push(
    `(allow file-read* ${subpaths([...readable, agentDir, ...writable])})`,
    '',
    '; writes: the session folder, the plan\'s writable paths, temp dirs, terminals',
    `(allow file-write* ${subpaths(writable)} (subpath "/private/tmp") (subpath "/private/var/folders"))`,
    '(allow file-write* (literal "/dev/null") (literal "/dev/zero") (literal "/dev/dtracehelper") (literal "/dev/stdout") (literal "/dev/stderr") (regex #"^/dev/fd/[0-9]+$"))',
    '; the agent dir stays read-only even when it lies inside a writable path',
    `(deny file-write* (subpath ${sbplString(agentDir)}))`,
    '',
    '; network: nothing but the hook socket and the egress proxy\'s loopback port',
    '(deny network*)',
    `(allow network-outbound (remote unix-socket (path-literal ${sbplString(hook)})))`,
  );
  if (port !== undefined) lines.push(`(allow network-outbound (remote ip ${sbplString(`localhost:${port}`)}))`);
  return lines.join('\n') + '\n';
}

/** argv for running `command` under the profile. */
export function seatbeltArgs(profile: string, command: string, args: string[]): string[] {
  return ['sandbox-exec', '-p', profile, command, ...args];
}
