import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';

/**
 * Keeps a listening Unix socket's file in place. Deleting the file (a cleanup script, `rm -rf
 * run/`, a tmp reaper) leaves the server listening on an inode nobody can reach: clients would
 * start a second daemon, or hooks would fail. The keeper watches the socket's directory and,
 * when the file is gone or replaced by another inode, listens again at the same path. Open
 * connections (a held approval, a `--follow`) are not touched.
 */
export class SocketKeeper {
  private ino: number | undefined;
  private watcher: fs.FSWatcher | undefined;
  private busy = false;
  private closed = false;

  constructor(
    private readonly server: net.Server,
    private readonly sock: string,
    private readonly listen: (server: net.Server, sock: string) => Promise<void>,
    private readonly log: (msg: string) => void,
  ) {}

  /** Call once the server listens: remember the inode, watch the directory. */
  start(): void {
    this.ino = inode(this.sock);
    this.watcher?.close();
    try {
      this.watcher = fs.watch(path.dirname(this.sock), (_ev, name) => {
        if (name == null || String(name) === path.basename(this.sock)) void this.check();
      });
      this.watcher.on('error', () => this.watcher?.close());
      this.watcher.unref();
    } catch (err) {
      // Without a watch, check() still runs when asked (a new daemon start signals the old one).
      this.log(`cannot watch ${this.sock}: ${(err as Error).message}`);
    }
  }

  /** Listen again if the file is not the one this server made. */
  async check(): Promise<void> {
    if (this.closed || this.busy || this.ino === undefined) return;
    const now = inode(this.sock);
    if (now !== undefined && now === this.ino) return;
    this.busy = true;
    try {
      this.log(`socket ${this.sock} was ${now === undefined ? 'deleted' : 'replaced'}; listening there again`);
      // A replaced file is only taken over when nothing answers on it (listen() checks).
      this.server.close();
      await this.listen(this.server, this.sock);
      fs.chmodSync(this.sock, 0o600);
      this.start(); // the directory may be a new one too
    } catch (err) {
      this.log(`socket ${this.sock}: cannot listen again: ${(err as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    this.closed = true;
    this.watcher?.close();
  }
}

function inode(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}

/**
 * Before a new daemon binds: is a daemon already running whose socket file is gone? Then it is
 * told (SIGUSR2) to listen again, and the new one steps aside once it answers. Two daemons must
 * never serve the same sessions. Returns the running daemon's pid, or undefined when none runs.
 */
export async function wakeRunningDaemon(pidFile: string, home: string, answers: () => Promise<boolean>, log: (msg: string) => void, waitMs = 10_000): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!(pid > 0) || pid === process.pid || !isDaemonProcess(pid, home)) return undefined;
  log(`daemon ${pid} runs but its socket does not answer; asking it to listen again`);
  try {
    process.kill(pid, 'SIGUSR2');
  } catch {
    return undefined; // gone meanwhile
  }
  const deadline = performance.now() + waitMs;
  while (performance.now() < deadline) {
    if (await answers()) return pid;
    // A daemon still shutting down (`omni daemon stop` returns once its socket is closed) is
    // waited for, so the new one never adopts sessions the old one is still letting go of.
    if (!isDaemonProcess(pid, home)) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!isDaemonProcess(pid, home)) return undefined;
  throw new Error(`omni daemon ${pid} is running but does not answer on its socket; stop it (kill ${pid}) and start again`);
}

/**
 * A live process that is an omni daemon of this home (a pid file can outlive its daemon, and
 * pids are reused: a stranger must not get a signal whose default action ends it).
 */
function isDaemonProcess(pid: number, home: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  let cmd: string;
  try {
    cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return false; // no /proc (not Linux): the watch alone puts the socket back
  }
  if (!/\bdaemon\b/.test(cmd)) return false;
  let theirs: string | undefined;
  try {
    theirs = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith('OMNI_HOME='))?.slice('OMNI_HOME='.length);
  } catch {
    /* not readable: judged by its command line alone */
  }
  // Another home's daemon is not ours to wake (and would never answer on our socket).
  if (theirs !== undefined) return theirs === home;
  return /omni/.test(cmd);
}
