import os from 'node:os';
import { isLive, type SessionRecord } from '../core/session.js';
import type { HarnessRegistry } from '../harnesses/registry.js';
import type { HarnessSessions } from './harness-sessions.js';
import type { Launcher } from './launcher.js';
import { paneTarget } from './pane-io.js';
import type { AgentSocketPort, SandboxPort, TmuxPort } from './ports.js';
import type { SessionLog } from './session-log.js';
import type { SessionStore } from './store.js';

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
        this.deps.hooks.startIngest(rec);
        adopted.push(rec.id);
      } else {
        await this.markExited(rec, pane ? pane.deadStatus : null, pane ? `the harness exited while the daemon was down${pane.deadSignal != null ? ` (${signalled(pane)})` : ''}` : 'the tmux session is gone');
        exited.push(rec.id);
      }
    }
    return { adopted, exited };
  }

  /** One supervision tick: exits from tmux, first-run screens from the pane. */
  async poll(): Promise<void> {
    if (this.closed) return;
    const { store, events } = this.deps;
    const liveRecs = store.all().filter((s) => isLive(s.status));
    if (liveRecs.length === 0) return;
    const listedAt = performance.now(); // monotonic, like the launcher's launchedAt: a clock step must not read as "still settling"
    const panes = new Map((await this.deps.tmux.listPanes()).map((p) => [p.sessionName, p]));
    // Every session gone at once with the server: it was killed (or crashed). One session gone
    // with the server is ambiguous (tmux exits after its last session), so it says less.
    const gone = panes.size === 0 && liveRecs.length >= 2 && (await this.serverGone()) ? "omni's tmux server was killed (or crashed), and the session with it" : 'the tmux session is gone';
    for (const rec of liveRecs) {
      if (this.closed) return;
      if (this.deps.launcher.settling(rec.id, listedAt)) continue;
      const pane = panes.get(rec.tmuxSession);
      if (!pane || pane.dead) {
        await this.markExited(rec, pane?.deadStatus ?? null, pane ? (pane.deadSignal != null ? `the harness was ${signalled(pane)}` : undefined) : gone);
        continue;
      }
      this.deps.hooks.pollIngest(rec.id);
      // Screens are looked for only while no structured signal has spoken (or the last
      // word came from the pane itself): hooks win over screen scraping.
      if (rec.status === 'starting' || rec.statusSource === 'pane') {
        const adapter = this.deps.harnesses.get(rec.harness);
        let text = '';
        try {
          text = await this.deps.tmux.capturePane(paneTarget(rec));
        } catch {
          continue;
        }
        // A hook may have spoken while the pane was read: structured signals win.
        if (rec.status !== 'starting' && rec.statusSource !== 'pane') continue;
        const screen = adapter.detectScreen(text);
        if (screen) events.setStatus(rec, screen.status, screen.reason, 'pane');
        else if (rec.statusSource === 'pane') events.setStatus(rec, 'starting', 'first-run screen passed', 'pane');
      }
    }
  }

  /** The session ended: read its harness log to the end, log the exit, and let go of it. */
  async markExited(rec: SessionRecord, code: number | null, reason?: string): Promise<void> {
    if (!isLive(rec.status)) return;
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
