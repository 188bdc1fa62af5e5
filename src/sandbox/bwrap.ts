import fs from 'node:fs';
import path from 'node:path';
import { shQuote } from '../core/fsutil.js';

export { SandboxUnavailable } from './detect.js';

/**
 * Everything needed to start one sandboxed harness with bubblewrap (Linux). Paths are absolute
 * and should be canonical (realpath): they are mount points inside the sandbox as well.
 */
export interface SandboxPlan {
  /** The user's $HOME: hidden (an empty tmpfs) except what is bound back below. */
  home: string;
  /** More trees to hide with a tmpfs ($OMNI_HOME, ~/.config/omni when outside $HOME). Missing ones are skipped. */
  hide: string[];
  /** Writable: the session's folder or worktree. Must exist. */
  cwd: string;
  /** More read-write binds (a worktree's git common dir, harness state like ~/.claude, user extras); files too. Missing ones are skipped. */
  writable: string[];
  /** Read-only binds re-exposing paths inside hidden trees (omni's package, a harness under $HOME, generated settings). Missing ones are skipped. */
  readable: string[];
  /** $OMNI_HOME/run/agent/<id>: bound read-only (hook.sock, proxy.sock, ca.pem, ca-bundle.pem). Must exist. */
  agentDir: string;
  /** The complete environment inside (already filtered by sandboxEnv()). */
  env: Record<string, string>;
  command: string;
  args: string[];
  /**
   * Egress: a forwarder inside listens on 127.0.0.1:port and pipes to `socket` (the session's
   * proxy.sock, which must be visible inside, normally under agentDir).
   */
  proxy?: {
    socket: string;
    port: number;
    /** Absolute path of dist/sandbox/forwarder.js (its package must be readable inside). */
    forwarder: string;
    /** Node binary (process.execPath), readable inside. */
    node: string;
  };
  /** The seccomp BPF program file (writeSeccompFile()); the launcher opens it as fd 5. */
  seccomp: string;
}

/** The fd bwrap reads the seccomp program from; the launch script redirects the file there. */
export const SECCOMP_FD = 5;
/** Created by the forwarder once it listens; private /tmp, so per sandbox. */
export const FORWARDER_READY_FILE = '/tmp/.omni-fwd-ready';
/** bwrap itself starts with only this PATH (and TERM): see sandboxLaunchScript(). */
export const LAUNCH_PATH = '/usr/local/bin:/usr/bin:/bin';

const VALID_ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type MountKind = 'tmpfs' | 'ro' | 'rw' | 'agent';
/** At the same path a later mount wins: binds over the tmpfs, read-write over read-only, and the agent dir stays read-only. */
const RANK: Record<MountKind, number> = { tmpfs: 0, ro: 1, rw: 2, agent: 3 };

interface Mount {
  kind: MountKind;
  path: string;
  /** Plain --bind/--ro-bind (bwrap fails when missing) rather than the -try variant. */
  required?: boolean;
}

function abs(p: string, what: string): string {
  if (!path.isAbsolute(p)) throw new Error(`sandbox plan: ${what} must be an absolute path, got ${JSON.stringify(p)}`);
  return path.resolve(p);
}

const depth = (p: string) => p.split('/').filter(Boolean).length;

/**
 * Mounts in an order bwrap can apply: a parent before anything under it (so a bind inside
 * $HOME comes after the tmpfs that hides $HOME, and bwrap creates its missing parent dirs in
 * that tmpfs), and at equal paths by RANK.
 */
function mounts(plan: SandboxPlan): Mount[] {
  const list: Mount[] = [];
  for (const dir of [plan.home, ...plan.hide]) {
    const p = abs(dir, 'a hidden tree');
    // A tmpfs needs a mount point; one that does not exist has nothing to hide (and / is read-only).
    if (fs.existsSync(p)) list.push({ kind: 'tmpfs', path: p });
  }
  const cwd = abs(plan.cwd, 'cwd');
  if (!fs.existsSync(cwd)) throw new Error(`sandbox plan: cwd ${cwd} does not exist`);
  list.push({ kind: 'rw', path: cwd, required: true });
  for (const p of plan.writable) list.push({ kind: 'rw', path: abs(p, 'a writable path') });
  for (const p of plan.readable) list.push({ kind: 'ro', path: abs(p, 'a readable path') });
  // What the launcher itself runs must be there even when it lives in a hidden tree (a checkout
  // under /tmp, node under ~/.nvm), whatever the caller listed.
  if (plan.proxy) {
    for (const p of [path.dirname(plan.proxy.forwarder), path.dirname(plan.proxy.node)]) list.push({ kind: 'ro', path: abs(p, 'the forwarder') });
  }
  list.push({ kind: 'agent', path: abs(plan.agentDir, 'agentDir'), required: true });

  // Keep the last (highest-ranked) mount per path; identical lower ones would only be overmounted.
  const byPath = new Map<string, Mount>();
  for (const m of list) {
    const prev = byPath.get(m.path);
    if (!prev || RANK[m.kind] >= RANK[prev.kind]) byPath.set(m.path, { ...m, required: m.required || (prev?.kind === m.kind && prev.required) });
  }
  return [...byPath.values()].sort((a, b) => depth(a.path) - depth(b.path) || RANK[a.kind] - RANK[b.kind]);
}

function mountArgs(m: Mount): string[] {
  switch (m.kind) {
    case 'tmpfs':
      return ['--tmpfs', m.path];
    case 'rw':
      return [m.required ? '--bind' : '--bind-try', m.path, m.path];
    case 'ro':
      return [m.required ? '--ro-bind' : '--ro-bind-try', m.path, m.path];
    case 'agent':
      return ['--ro-bind', m.path, m.path];
  }
}

/** The command run inside: the harness, or a shell that starts the forwarder first and waits until it listens. */
export function innerCommand(plan: SandboxPlan): string[] {
  if (!plan.proxy) return [plan.command, ...plan.args];
  const { node, forwarder, port, socket } = plan.proxy;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`sandbox plan: bad proxy port ${port}`);
  const q = shQuote;
  const ready = FORWARDER_READY_FILE;
  // stdin from /dev/null: the forwarder must never read the pane's keystrokes. Wait at most 3 s
  // (300 × 10 ms); the harness starts anyway and the forwarder's error, if any, is on the pane.
  const script =
    `${q(abs(node, 'proxy.node'))} ${q(abs(forwarder, 'proxy.forwarder'))} ${port} ${q(abs(socket, 'proxy.socket'))} ${ready} </dev/null >/dev/null & ` +
    `i=0; while [ ! -e ${ready} ] && [ $i -lt 300 ]; do sleep 0.01; i=$((i+1)); done; exec "$@"`;
  return ['/bin/sh', '-c', script, 'sh', plan.command, ...plan.args];
}

/** bwrap's argv in option groups (one group per line in the launch script), without the inner command. */
function bwrapGroups(plan: SandboxPlan, bwrapPath: string): string[][] {
  const groups: string[][] = [
    [bwrapPath],
    // As root bwrap keeps every capability unless told otherwise, and then `umount $HOME` inside
    // re-exposes it (FINDINGS §1). Mandatory.
    ['--cap-drop', 'ALL'],
    ['--seccomp', String(SECCOMP_FD)],
    // No --new-session: the harness must keep the pane as controlling tty to get SIGWINCH;
    // TIOCSTI injection is blocked by the seccomp filter instead.
    ['--unshare-net', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent'],
    ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'],
    // Private /tmp and /run: host sockets live there (tmux servers, docker.sock, dbus). --dev
    // leaves /dev/shm a root-only dir; a private tmpfs makes POSIX shm (python multiprocessing) work.
    ['--tmpfs', '/tmp', '--tmpfs', '/run', '--tmpfs', '/dev/shm'],
  ];
  for (const m of mounts(plan)) groups.push(mountArgs(m));
  groups.push(['--chdir', abs(plan.cwd, 'cwd')]);
  groups.push(['--clearenv']);
  for (const [name, value] of Object.entries(plan.env)) {
    if (!VALID_ENV_NAME.test(name)) throw new Error(`sandbox plan: invalid variable name ${JSON.stringify(name)}`);
    groups.push(['--setenv', name, value]);
  }
  return groups;
}

/**
 * bwrap's argv, starting with the bwrap path (what follows `env -i PATH=…` in the launcher).
 * Expects the seccomp program on fd 5.
 */
export function bwrapArgs(plan: SandboxPlan, bwrapPath = 'bwrap'): string[] {
  return [...bwrapGroups(plan, bwrapPath).flat(), ...innerCommand(plan)];
}

/**
 * The /bin/sh script a tmux pane runs (as `sh FILE`). It deletes itself, then replaces itself
 * with bwrap started under `env -i`: bwrap stays PID 1 inside the sandbox and `--clearenv` only
 * cleans its child, so whatever bwrap inherits would be readable at /proc/1/environ (FINDINGS §1).
 * The pane's TERM is passed on when the plan does not set one.
 */
export function sandboxLaunchScript(plan: SandboxPlan, bwrapPath = 'bwrap'): string {
  const line = (words: string[]) => words.map(shQuote).join(' ');
  const lines = bwrapGroups(plan, bwrapPath).map(line);
  if (!('TERM' in plan.env)) lines.push('--setenv TERM "${TERM:-dumb}"');
  lines.push(line(innerCommand(plan)) + ` ${SECCOMP_FD}< ${shQuote(abs(plan.seccomp, 'seccomp'))}`);
  return [
    '#!/bin/sh',
    '# Generated by omni: runs one session inside bubblewrap. Deletes itself.',
    'rm -f "$0"',
    `exec env -i TERM="\${TERM:-dumb}" PATH=${LAUNCH_PATH} \\`,
    lines.map((l) => `  ${l}`).join(' \\\n'),
    '',
  ].join('\n');
}
