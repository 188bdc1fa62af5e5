import os from 'node:os';
import { isLive, type SessionRecord } from '../core/session.js';
import type { HarnessRegistry } from '../harnesses/registry.js';
import type { HarnessSessions } from './harness-sessions.js';
import type { Launcher } from './launcher.js';
import { paneTarget } from './pane-io.js';
import type { AgentSocketPort, SandboxPort, TmuxPort } from './ports.js';
import type { SessionLog } from './session-log.js';
import type { SessionStore } from './store.js';

const SCREEN_MIN_MS = 500;
const SCREEN_MAX_MS = 4000;
const PENDING_RECHECK_MS = 100;
const PENDING_CHECKS = 10;

interface ScreenState {
  text: string | undefined;
  delayMs: number;
  dueAt: number;
}

/** Only while no structured signal has spoken (or the last word came from the pane itself). */
const needsScreen = (rec: SessionRecord) => rec.status === 'starting' || rec.statusSource === 'pane';

export interface SupervisorDeps {
  store: SessionStore;
  tmux: TmuxPort;
  harnesses: HarnessRegistry;
  events: SessionLog;
  hooks: HarnessSessions;
  launcher: Pick<Launcher, 'settling' | 'forget'>;
  sandbox: SandboxPort;
  agentSocket: AgentSocketPort;
  now: () => Date;
  /** The session ended: its held asks are withdrawn (with why) before its socket closes. */
  withdrawAsks?: (rec: SessionRecord, why: string) => void;
}

/**
 * Watching sessions from tmux: re-adoption after a daemon start, exits, first-run screens,
 * and closing out a session that ended (its log, adapter instance, socket and sandbox).
 */
export class Supervisor {
  /** Set at shutdown: an in-flight poll must not read a torn-down tmux as sessions exiting. */
  private closed = false;
  /** Checks so far that found a session's pane dead with its exit status not yet recorded. */
  private readonly pending = new Map<string, number>();
  /** Sessions being closed out (markExited). */
  private readonly exiting = new Map<string, Promise<void>>();
  /** Screen reading per session that needs it (see `screens`). */
  private readonly screenState = new Map<string, ScreenState>();
  /** Adopted while still starting: its pane's input box counts as "ready" until a hook speaks. */
  private readonly adoptedStarting = new Set<string>();

  constructor(private readonly deps: SupervisorDeps) {}

  /** Rebuild state after a (re)start: load summaries, re-adopt live panes, close out dead ones. */
  async adoptAll(): Promise<{ adopted: string[]; exited: string[] }> {
    const { store, events } = this.deps;
    const panes = await this.deps.tmux.listPanes();
    const bySession = new Map(panes.map((p) => [p.sessionName, p]));
    const adopted: string[] = [];
    const exited: string[] = [];
    for (const rec of store.all()) {
      // Totals and lastSeq from the session's summary (checked against its log): an ended
      // session's log is not opened at all; a live one's is opened by its first event.
      events.load(rec);
      if (!isLive(rec.status)) continue;
      const pane = bySession.get(rec.tmuxSession);
      if (pane && !pane.dead) {
        await this.deps.agentSocket.open(rec.id);
        if (rec.sandbox) await this.deps.sandbox.adopt(rec);
        rec.paneId = pane.paneId;
        rec.panePid = pane.panePid;
        events.emit(rec, { type: 'session.adopted', data: { pane: pane.paneId } });
        // Still starting: the harness may have sent its "ready" signal to the daemon that died.
        if (rec.status === 'starting') this.adoptedStarting.add(rec.id);
        this.deps.hooks.startIngest(rec);
        adopted.push(rec.id);
      } else {
        await this.markExited(rec, pane ? pane.deadStatus : null, pane ? `the harness exited while the daemon was down${pane.deadSignal != null ? ` (${signalled(pane)})` : ''}` : 'the tmux session is gone');
        exited.push(rec.id);
      }
    }
    return { adopted, exited };
  }

  /**
   * One look at tmux (after a hint from its hooks, or the slow safety poll): exits, and a
   * fallback read of each live session's harness log (file watches do it as it is written).
   * `live` says whether omni's server still has live sessions to wait on; `recheckMs` asks
   * for another look soon (a pane dead whose exit status tmux has not recorded yet).
   */
  async check(): Promise<{ live: boolean; recheckMs?: number }> {
    if (this.closed) return { live: false };
    const { store } = this.deps;
    const liveRecs = store.all().filter((s) => isLive(s.status));
    if (liveRecs.length === 0) return { live: false };
    const listedAt = performance.now(); // monotonic, like the launcher's launchedAt: a clock step must not read as "still settling"
    const panes = new Map((await this.deps.tmux.listPanes()).map((p) => [p.sessionName, p]));
    // Every session gone at once with the server: it was killed (or crashed). One session gone
    // with the server is ambiguous (tmux exits after its last session), so it says less.
    const gone = panes.size === 0 && liveRecs.length >= 2 && (await this.serverGone()) ? "omni's tmux server was killed (or crashed), and the session with it" : 'the tmux session is gone';
    let live = false;
    let recheckMs: number | undefined;
    for (const rec of liveRecs) {
      if (this.closed) return { live: false };
      if (this.deps.launcher.settling(rec.id, listedAt)) {
        live = true;
        continue;
      }
      const pane = panes.get(rec.tmuxSession);
      if (pane?.dead && pane.deadStatus === null && !pane.deadSignal && (this.pending.get(rec.id) ?? 0) < PENDING_CHECKS) {
        // The pty closed but tmux has not reaped the process: its status comes in a moment.
        this.pending.set(rec.id, (this.pending.get(rec.id) ?? 0) + 1);
        recheckMs = PENDING_RECHECK_MS;
        live = true;
        continue;
      }
      if (!pane || pane.dead) {
        this.pending.delete(rec.id);
        await this.markExited(rec, pane?.deadStatus ?? null, pane ? (pane.deadSignal != null ? `the harness was ${signalled(pane)}` : undefined) : gone);
        continue;
      }
      live = true;
      this.deps.hooks.pollIngest(rec.id);
    }
    return { live, ...(recheckMs !== undefined ? { recheckMs } : {}) };
  }

  /**
   * First-run and blocking screens, read from the panes of sessions no structured signal has
   * spoken for yet (or whose last word came from the pane): hooks win over screen scraping.
   * Each such pane is read every SCREEN_MIN_MS while it changes, backing off to SCREEN_MAX_MS
   * while it does not. Returns when the next read is due (ms), or undefined when no session
   * needs its screen read (then nothing runs until `wakeScreens`).
   */
  async screens(): Promise<number | undefined> {
    if (this.closed) return undefined;
    const now = performance.now();
    let next: number | undefined;
    const wanted = new Set<string>();
    for (const rec of this.deps.store.all()) {
      if (!isLive(rec.status) || !needsScreen(rec)) continue;
      wanted.add(rec.id);
      if (this.deps.launcher.settling(rec.id, now)) {
        next = Math.min(next ?? SCREEN_MIN_MS, SCREEN_MIN_MS);
        continue;
      }
      let st = this.screenState.get(rec.id);
      if (!st) this.screenState.set(rec.id, (st = { text: undefined, delayMs: SCREEN_MIN_MS, dueAt: 0 }));
      if (st.dueAt <= now) {
        await this.readScreen(rec, st);
        st.dueAt = performance.now() + st.delayMs;
      }
      next = Math.min(next ?? Infinity, Math.max(0, st.dueAt - performance.now()));
    }
    for (const id of this.screenState.keys()) if (!wanted.has(id)) this.screenState.delete(id);
    for (const id of this.adoptedStarting) if (!wanted.has(id)) this.adoptedStarting.delete(id); // a hook has spoken since
    return next;
  }

  /** Read screens again soon (a session just started or was resumed). */
  wakeScreens(id: string): void {
    this.screenState.delete(id);
  }

  private async readScreen(rec: SessionRecord, st: ScreenState): Promise<void> {
    let text: string;
    try {
      text = await this.deps.tmux.capturePane(paneTarget(rec));
    } catch {
      return;
    }
    st.delayMs = text === st.text ? Math.min(SCREEN_MAX_MS, st.delayMs * 2) : SCREEN_MIN_MS;
    st.text = text;
    // A hook may have spoken while the pane was read: structured signals win.
    if (!isLive(rec.status) || !needsScreen(rec)) return;
    const adapter = this.deps.harnesses.get(rec.harness);
    const screen = adapter.detectScreen(text);
    if (screen) this.deps.events.setStatus(rec, screen.status, screen.reason, 'pane');
    else if (this.adoptedStarting.has(rec.id) && adapter.inputReady(text)) {
      if (rec.status !== 'idle') this.deps.events.setStatus(rec, 'idle', 'ready for input (its start was signalled while the daemon was down)', 'pane');
    }
    else if (rec.statusSource === 'pane') this.deps.events.setStatus(rec, 'starting', 'first-run screen passed', 'pane');
  }

  /** The session ended: read its harness log to the end, log the exit, and let go of it. */
  async markExited(rec: SessionRecord, code: number | null, reason?: string): Promise<void> {
    // Once: `omni stop` and the check its session-closed hook wakes can both get here; the
    // second waits for the first to finish.
    const running = this.exiting.get(rec.id);
    if (running) return running;
    if (!isLive(rec.status)) return;
    const p = this.closeOut(rec, code, reason).finally(() => this.exiting.delete(rec.id));
    this.exiting.set(rec.id, p);
    return p;
  }

  private async closeOut(rec: SessionRecord, code: number | null, reason?: string): Promise<void> {
    reason ??= this.deps.sandbox.whyExited?.(rec, code);
    const { store, events, hooks } = this.deps;
    await hooks.runIngest(rec.id, true).catch(() => {});
    rec.exitCode = code;
    rec.exitedAt = this.deps.now().toISOString();
    events.setStatus(rec, 'exited', reason, 'tmux');
    events.emit(rec, { type: 'session.exited', data: { code, ...(reason ? { reason } : {}) } });
    store.put(rec);
    try {
      this.deps.withdrawAsks?.(rec, `the session exited${reason ? `: ${reason}` : code != null ? ` with code ${code}` : ''}`);
    } catch {
      /* closing the socket below ends its held hooks, which withdraws them too */
    }
    await this.deps.sandbox.close(rec.id, { forget: true });
    await this.deps.agentSocket.close(rec.id);
    await hooks.close(rec.id);
    events.close(rec.id);
    this.deps.launcher.forget(rec.id);
    this.pending.delete(rec.id);
    this.screenState.delete(rec.id);
  }

  private async serverGone(): Promise<boolean> {
    if (!this.deps.tmux.serverPid) return false;
    return (await this.deps.tmux.serverPid().catch(() => 0)) === undefined;
  }

  /** Shutdown: polls in flight stop reading tmux. */
  stop(): void {
    this.closed = true;
  }
}

/** `killed by SIGKILL (signal 9)`: how a signal ended the pane's process. */
function signalled(pane: { deadSignal?: number | null }): string {
  const n = pane.deadSignal;
  const name = Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0];
  return `killed by ${name ?? 'a signal'} (signal ${n})`;
}
