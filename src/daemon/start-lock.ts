import path from 'node:path';
import lockfile from 'proper-lockfile';

export type Unlock = () => Promise<void>;

export interface StartLockOptions {
  /** A holder that stops refreshing the lock (kill -9) loses it after this long (min 5000). */
  staleMs?: number;
  /** How long to wait for another starting daemon before giving up. */
  waitMs?: number;
}

/**
 * The daemon start lock ($OMNI_HOME/run/daemon.lock): a daemon checks the control socket, binds
 * it and re-adopts the sessions while holding it, so daemons started at once (several gate
 * hooks after a crash) do this one at a time and the later ones find the winner serving.
 * proper-lockfile keeps the lock's mtime fresh while it is held; a holder killed with -9 leaves
 * a lock that goes stale after `staleMs` and is then taken over.
 *
 * Resolves with the release, or undefined when the lock stayed held for `waitMs` (a daemon is
 * still starting; the caller decides from the socket).
 */
export async function acquireStartLock(runDir: string, log: (msg: string) => void, opts: StartLockOptions = {}): Promise<Unlock | undefined> {
  const stale = Math.max(opts.staleMs ?? 5000, 5000);
  const waitMs = opts.waitMs ?? 30_000;
  const deadline = performance.now() + waitMs;
  for (;;) {
    try {
      const release = await lockfile.lock(path.join(runDir, 'daemon'), {
        realpath: false,
        lockfilePath: path.join(runDir, 'daemon.lock'),
        stale,
        update: 1000,
        // Only a stall of the event loop longer than `stale` gets here; the socket is bound by then.
        onCompromised: (err) => log(`start lock: ${err.message}`),
      });
      return async () => {
        try {
          await release();
        } catch (err) {
          log(`start lock: release: ${(err as Error).message}`);
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      if (performance.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  }
}
