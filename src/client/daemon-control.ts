import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, OmniError } from '../core/errors.js';
import { ensurePrivateDir } from '../core/fsutil.js';
import type { OmniPaths } from '../core/paths.js';
import { OmniClient } from './api.js';

const OMNI_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'omni.js');

export interface DaemonStatus {
  running: boolean;
  pid?: number;
  version?: string;
  uptimeSec?: number;
  sessions?: number;
  socket: string;
  home: string;
}

export async function daemonStatus(paths: OmniPaths): Promise<DaemonStatus> {
  const client = new OmniClient(paths);
  try {
    const info = await client.request<{ pid: number; version: string; uptimeSec: number; sessions: number }>('/v1/daemon', { timeoutMs: 3000 });
    return { running: true, ...info, socket: paths.socket, home: paths.home };
  } catch (err) {
    if (err instanceof OmniError && err.code === 'daemon_unreachable' && !/not the omni daemon/.test(err.message)) {
      return { running: false, socket: paths.socket, home: paths.home };
    }
    throw err;
  }
}

/** Start the daemon detached (if not running) and wait until it answers. */
export async function startDaemon(paths: OmniPaths, timeoutMs = 10_000): Promise<{ started: boolean; pid?: number }> {
  const before = await daemonStatus(paths);
  if (before.running) return { started: false, pid: before.pid };
  ensurePrivateDir(paths.home);
  ensurePrivateDir(paths.logDir);
  const out = fs.openSync(paths.daemonLog, 'a', 0o600);
  // The daemon gets a clean copy of this environment; sessions get their caller's own env.
  const child = spawn(process.execPath, [OMNI_JS, 'daemon', 'run'], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, OMNI_HOME: paths.home },
    cwd: '/',
  });
  // A daemon that dies at start (e.g. it cannot bind its socket) is reported at once, not
  // after the timeout: hooks that fail closed wait on this.
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  child.unref();
  fs.closeSync(out);
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const st = await daemonStatus(paths);
    if (st.running) return { started: true, pid: st.pid };
    if (exited !== undefined) {
      // Exit 0 without serving: another daemon won the race to the socket; ask it.
      if (exited === 0 && (await daemonStatus(paths)).running) return { started: false, pid: (await daemonStatus(paths)).pid };
      if (exited !== 0) throw new OmniError(`the omni daemon exited at start (code ${exited}); see ${paths.daemonLog}`, 'daemon_unreachable', ExitCode.daemonUnreachable);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new OmniError(`the omni daemon did not come up within ${timeoutMs / 1000}s; see ${paths.daemonLog}`, 'daemon_unreachable', ExitCode.daemonUnreachable);
}

export async function stopDaemon(paths: OmniPaths, timeoutMs = 10_000): Promise<{ stopped: boolean; pid?: number }> {
  const st = await daemonStatus(paths);
  if (!st.running) return { stopped: false };
  await new OmniClient(paths).request('/v1/daemon/stop', { method: 'POST', timeoutMs: 3000 });
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!(await daemonStatus(paths)).running) return { stopped: true, pid: st.pid };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new OmniError(`the omni daemon (pid ${st.pid}) did not stop within ${timeoutMs / 1000}s`, 'error');
}

/**
 * A client with the daemon started on first need: the real request goes first, and only one
 * that finds nothing listening starts the daemon and is sent again (no status probe before).
 */
export async function connect(paths: OmniPaths): Promise<OmniClient> {
  // Another user's daemon (a share): never started from here.
  if (paths.foreign) return new OmniClient(paths);
  return new OmniClient(paths, { start: () => startDaemon(paths) });
}
