import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OmniError } from './errors.js';

/** Every filesystem location omni uses. `OMNI_HOME` moves all of them (tests use a temp dir). */
export interface OmniPaths {
  home: string;
  runDir: string;
  socket: string;
  tmuxSocket: string;
  tmuxConf: string;
  pidFile: string;
  /** Per-session agent-facing sockets live here (one socket per session). */
  agentDir: string;
  stateDir: string;
  sessionsIndex: string;
  sessionsDir: string;
  logDir: string;
  daemonLog: string;
  configDir: string;
  /** Re-creatable downloads (the price snapshot of `omni prices update`). */
  cacheDir: string;
  /** The guests' control socket (docs/COLLABORATION.md, "Sharing"): listened on only while grants exist. */
  shareSocket: string;
  /**
   * Set when `socket` is another user's daemon (OMNI_SOCKET, OMNI_OWNER): says which; such a
   * daemon is never started from here, and its tmux socket comes from the daemon (GET /v1/daemon).
   */
  foreign?: string;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): OmniPaths {
  const omniHome = env.OMNI_HOME;
  let home: string;
  let configDir: string;
  if (omniHome) {
    home = path.resolve(omniHome);
    configDir = path.join(home, 'config');
  } else {
    const userHome = env.HOME || os.homedir();
    const xdgState = env.XDG_STATE_HOME || path.join(userHome, '.local', 'state');
    const xdgConfig = env.XDG_CONFIG_HOME || path.join(userHome, '.config');
    home = path.join(xdgState, 'omni');
    configDir = path.join(xdgConfig, 'omni');
  }
  const runDir = path.join(home, 'run');
  const stateDir = path.join(home, 'state');
  const foreign = foreignSocket(env);
  return {
    home,
    runDir,
    socket: path.join(runDir, 'omni.sock'),
    tmuxSocket: path.join(runDir, 'tmux.sock'),
    tmuxConf: path.join(runDir, 'tmux.conf'),
    pidFile: path.join(runDir, 'omnid.pid'),
    agentDir: path.join(runDir, 'agent'),
    stateDir,
    sessionsIndex: path.join(stateDir, 'sessions.json'),
    sessionsDir: path.join(stateDir, 'sessions'),
    logDir: path.join(home, 'log'),
    daemonLog: path.join(home, 'log', 'omnid.log'),
    configDir,
    cacheDir: path.join(home, 'cache'),
    shareSocket: path.join(runDir, 'share', 'omni.sock'),
    ...(foreign ? { socket: foreign.socket, foreign: foreign.why } : {}),
  };
}

/**
 * A daemon of someone else's that this command talks to: OMNI_SOCKET (a path, as `omni share`
 * prints it), or OMNI_OWNER (that user's default location: the home in /etc/passwd, never $HOME).
 */
function foreignSocket(env: NodeJS.ProcessEnv): { socket: string; why: string } | undefined {
  if (env.OMNI_SOCKET) return { socket: path.resolve(env.OMNI_SOCKET), why: `OMNI_SOCKET=${env.OMNI_SOCKET}` };
  if (!env.OMNI_OWNER) return undefined;
  const home = passwdHome(env.OMNI_OWNER, readPasswd());
  if (!home) throw new OmniError(`no user ${env.OMNI_OWNER} in /etc/passwd (--owner, OMNI_OWNER)`, 'not_found');
  return { socket: ownerShareSocket(home), why: `--owner ${env.OMNI_OWNER}` };
}

/** Where a user's daemon listens for guests when its OMNI_HOME is the default one. */
export function ownerShareSocket(userHome: string): string {
  return path.join(userHome, '.local', 'state', 'omni', 'run', 'share', 'omni.sock');
}

/** The home directory of `user` in an /etc/passwd text; undefined when not there. */
export function passwdHome(user: string, passwd: string): string | undefined {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f.length >= 7) return f[5] || undefined;
  }
  return undefined;
}

function readPasswd(): string {
  try {
    return fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return '';
  }
}
