import os from 'node:os';
import path from 'node:path';

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
  };
}
