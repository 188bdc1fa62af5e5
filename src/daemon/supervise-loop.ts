import { SUPERVISE_CHANNEL } from '../tmux/config.js';
import type { TmuxPort } from './ports.js';

export interface SuperviseLoopDeps {
  /** One look at tmux (Supervisor.check). */
  check: () => Promise<{ live: boolean; recheckMs?: number }>;
  /** Read the screens that are due (Supervisor.screens): ms until the next, or undefined. */
  screens: () => Promise<number | undefined>;
  tmux: Pick<TmuxPort, 'waitFor' | 'serverPid'>;
  /** The slow safety poll: a look at least this often, whatever the hints say. */
  safetyMs: number;
  /** Runs after every check (the daemon rides repricing on it). */
  afterCheck?: () => void;
  log?: (msg: string) => void;
}

/** How often the tmux server's reaper is nudged while sessions live (see startNudging). */
const NUDGE_MS = 1000;

/** The second look after a wake-up (see followUp). */
const FOLLOW_UP_MS = 500;

/** A check that failed (tmux busy, a spawn error) is tried again this soon. */
const RETRY_MS = 1000;

/** A failed waiter is not restarted sooner than this (a server that keeps refusing must not spin). */
const REARM_MIN_MS = 1000;

/**
 * When the daemon looks at tmux. Instead of listing panes on a timer it waits on omni's tmux
 * hooks: a `tmux wait-for` client blocks until a pane dies or a session closes (tmux.conf's
 * set-hook signals the channel) and exits when the server dies, so both are noticed at once,
 * with no process spawned while nothing happens. Every wake-up is only a hint: the check lists
 * the panes itself. A slow safety poll (`safetyMs`) covers whatever no hook reports.
 *
 * Screens (first-run dialogs) have their own timer, armed only while a session needs one.
 */
export class SuperviseLoop {
  private stopped = false;
  private checking: Promise<void> | undefined;
  private again = false;
  private checkTimer: ReturnType<typeof setTimeout> | undefined;
  private screenTimer: ReturnType<typeof setTimeout> | undefined;
  private screening = false;
  private screensAgain = false;
  private waiter: AbortController | undefined;
  private goneAt = 0;
  /** The server the waiter waits on, and the timer that nudges its reaper. */
  private serverPid: number | undefined;
  private nudgeTimer: ReturnType<typeof setInterval> | undefined;
  private followTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly log: (msg: string) => void;

  constructor(private readonly deps: SuperviseLoopDeps) {
    this.log = deps.log ?? (() => {});
  }

  start(): void {
    this.hint();
    this.wakeScreens();
  }

  /** Look now (coalesced: a hint during a check makes one more check after it). */
  hint(): void {
    if (this.stopped) return;
    if (this.checking) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /** A session started: wait on its server's hooks, and read its screen soon. */
  started(): void {
    this.arm();
    this.wakeScreens();
  }

  /** Read the screens that need reading now, then as `screens` says. */
  wakeScreens(): void {
    if (this.stopped) return;
    // A pass under way may have listed the sessions before this one needed its screen read, and
    // then arm no timer at all (or one 4 s out): it runs again as soon as it ends.
    if (this.screening) {
      this.screensAgain = true;
      return;
    }
    clearTimeout(this.screenTimer);
    this.screenTimer = setTimeout(() => void this.runScreens(), 0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.checkTimer);
    clearTimeout(this.screenTimer);
    clearTimeout(this.followTimer);
    clearInterval(this.nudgeTimer);
    this.waiter?.abort();
    this.waiter = undefined;
  }

  private schedule(ms: number): void {
    clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => void this.runCheck(), ms);
  }

  private async runCheck(): Promise<void> {
    if (this.stopped || this.checking) return;
    clearTimeout(this.checkTimer);
    let next = this.deps.safetyMs;
    this.checking = (async () => {
      try {
        const r = await this.deps.check();
        if (r.live) this.arm();
        if (r.recheckMs !== undefined) next = Math.min(next, r.recheckMs);
      } catch (err) {
        // The hint that asked for this look must not wait for the safety poll.
        this.log(`supervise: ${(err as Error).message}`);
        next = Math.min(next, RETRY_MS);
      }
      try {
        this.deps.afterCheck?.();
      } catch (err) {
        this.log(`supervise: ${(err as Error).message}`);
      }
    })();
    await this.checking;
    this.checking = undefined;
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      next = 0;
    }
    this.schedule(next);
  }

  private async runScreens(): Promise<void> {
    if (this.stopped) return;
    this.screening = true;
    this.screensAgain = false;
    let next: number | undefined;
    try {
      next = await this.deps.screens();
    } catch (err) {
      this.log(`screens: ${(err as Error).message}`);
      next = 1000;
    } finally {
      this.screening = false;
    }
    if (this.screensAgain) next = 0;
    if (this.stopped || next === undefined) return;
    clearTimeout(this.screenTimer);
    this.screenTimer = setTimeout(() => void this.runScreens(), next);
  }

  /** Keep one `tmux wait-for` client waiting while omni's server has live sessions. */
  private arm(): void {
    const waitFor = this.deps.tmux.waitFor?.bind(this.deps.tmux);
    if (this.stopped || this.waiter || !waitFor) return;
    const wait = Math.max(0, this.goneAt + REARM_MIN_MS - performance.now());
    const ac = new AbortController();
    this.waiter = ac;
    const go = async () => {
      if (ac.signal.aborted) return;
      const how = await waitFor(SUPERVISE_CHANNEL, ac.signal).catch((err: Error) => {
        this.log(`supervise: tmux wait-for: ${err.message}`);
        return 'gone' as const;
      });
      if (ac.signal.aborted || how === 'aborted') return;
      this.waiter = undefined;
      if (how === 'gone') {
        this.goneAt = performance.now();
        this.serverPid = undefined;
        clearInterval(this.nudgeTimer);
        this.nudgeTimer = undefined;
      }
      // Woken by a hook: wait again at once (a signal meanwhile is kept by tmux). Gone: the
      // server died or never ran; the check finds what that means, and re-arms if it finds
      // live panes again.
      if (how === 'woken') this.arm();
      this.hint();
      this.followUp();
    };
    if (wait > 0) setTimeout(() => void go(), wait);
    else void go();
    this.startNudging();
    // Waiting again after the server was gone: a pane that died while nobody waited is looked
    // for once the new wait is surely in place.
    if (this.goneAt) this.followUp();
  }

  /**
   * tmux built with libutempter (Debian/Ubuntu) can lose a SIGCHLD (tmux#311): the agent has
   * died but tmux does not know, so no pane-died hook runs until some other child exits. A
   * SIGCHLD sent to the server now and then makes it reap (a syscall, no process spawned). The
   * pid is the server the waiter waits on, which lives while the waiter does; and SIGCHLD's
   * default action is to be ignored, so even a stale pid would come to no harm.
   */
  private startNudging(): void {
    const serverPid = this.deps.tmux.serverPid?.bind(this.deps.tmux);
    if (this.nudgeTimer || !serverPid) return;
    this.nudgeTimer = setInterval(() => {
      if (this.serverPid === undefined) {
        void serverPid().then((pid) => (this.serverPid ??= pid)).catch(() => {});
        return;
      }
      try {
        process.kill(this.serverPid, 'SIGCHLD');
      } catch {
        this.serverPid = undefined;
      }
    }, NUDGE_MS);
    this.nudgeTimer.unref?.();
  }

  /**
   * One more look shortly after a wake-up: under load the hook can run a moment before tmux
   * shows the pane dead, and then the first look finds it alive and no hook comes again.
   */
  private followUp(): void {
    if (this.stopped || this.followTimer) return;
    this.followTimer = setTimeout(() => {
      this.followTimer = undefined;
      this.hint();
    }, FOLLOW_UP_MS + Math.max(0, this.goneAt + REARM_MIN_MS - performance.now()));
  }
}
