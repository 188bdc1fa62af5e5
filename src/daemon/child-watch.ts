import type { NewEvent, OmniEvent } from '../core/events.js';
import { isLive, type SessionRecord } from '../core/session.js';
import type { EventBus } from './bus.js';

export type WaitFor = 'idle' | 'exited' | 'any';

export interface ChildWatchDeps {
  bus: EventBus;
  session(id: string): SessionRecord | undefined;
  emit(rec: SessionRecord, ev: NewEvent): void;
}

/**
 * Sub-agents as their parents see them. Tells the parent (an event in its log) when a child
 * that has run goes idle (`child.idle`) or exits (`child.exited`); remembers which children
 * have a spawn prompt whose turn has not started yet (such a child is not "idle" to omni_wait:
 * its first idle is the harness's start-up, not the end of its task); and waits on statuses
 * through the bus, without polling. The pending-turn set is in memory; after a daemon restart a
 * child whose first prompt was never typed still has it in its record (`pendingPrompt`, typed by
 * the new daemon), and is not idle either.
 */
export class ChildWatch {
  private readonly awaitingTurn = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: ChildWatchDeps) {
    this.unsubscribe = deps.bus.subscribe(null, (ev) => this.onEvent(ev));
  }

  /** `id` was spawned with a prompt: not idle for omni_wait until that turn has started. */
  expectTurn(id: string): void {
    this.awaitingTurn.add(id);
  }

  forget(id: string): void {
    this.awaitingTurn.delete(id);
  }

  /** Done for `mode`: ended, or (idle/any) idle with its spawn prompt's turn started. */
  settled(rec: SessionRecord, mode: WaitFor): boolean {
    if (!isLive(rec.status)) return true;
    return mode !== 'exited' && rec.status === 'idle' && !this.awaitingTurn.has(rec.id) && !rec.pendingPrompt;
  }

  /**
   * Resolve when the sessions are settled for `mode` (every one; one of them for `any`), or
   * with `timedOut` after `timeoutMs` or when `signal` aborts (the caller hung up).
   */
  wait(ids: readonly string[], mode: WaitFor, timeoutMs: number, signal?: AbortSignal): Promise<{ timedOut: boolean }> {
    const done = () => {
      const states = ids.map((id) => {
        const r = this.deps.session(id);
        return !r || this.settled(r, mode);
      });
      return mode === 'any' ? states.some(Boolean) : states.every(Boolean);
    };
    if (done()) return Promise.resolve({ timedOut: false });
    return new Promise((resolve) => {
      const unsubs: Array<() => void> = [];
      const finish = (timedOut: boolean) => {
        clearTimeout(timer);
        for (const u of unsubs) u();
        signal?.removeEventListener('abort', onAbort);
        resolve({ timedOut });
      };
      const onAbort = () => finish(true);
      const timer = setTimeout(() => finish(true), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      for (const id of ids) {
        unsubs.push(
          this.deps.bus.subscribe(id, (ev) => {
            if (ev.type !== 'session.status' && ev.type !== 'session.exited' && ev.type !== 'message.user') return;
            // The bus calls a session's listeners before the global one that keeps the pending turns.
            this.noteTurn(ev);
            if (done()) finish(false);
          }),
        );
      }
    });
  }

  close(): void {
    this.unsubscribe();
  }

  private noteTurn(ev: OmniEvent): void {
    if (ev.type === 'message.user' || (ev.type === 'session.status' && (ev.data as { status: string }).status === 'running')) this.awaitingTurn.delete(ev.session);
  }

  private onEvent(ev: OmniEvent): void {
    if (ev.type === 'message.user') return this.noteTurn(ev);
    if (ev.type !== 'session.status' && ev.type !== 'session.exited') return;
    const rec = this.deps.session(ev.session);
    if (!rec) return;
    if (ev.type === 'session.status') {
      const d = ev.data as { status: string; previous?: string };
      this.noteTurn(ev);
      // A child that has run (from running or waiting) and is now idle: its turn is over.
      if (d.status !== 'idle' || (d.previous !== 'running' && d.previous !== 'waiting') || this.awaitingTurn.has(rec.id)) return;
    }
    if (!rec.parent) return;
    const parent = this.deps.session(rec.parent);
    if (!parent) return;
    const base = { child: rec.id, name: rec.name, harness: rec.harness, status: rec.status };
    if (ev.type === 'session.exited') {
      this.awaitingTurn.delete(rec.id);
      this.deps.emit(parent, { type: 'child.exited', data: { ...base, ...(rec.exitCode != null ? { exitCode: rec.exitCode } : {}) } });
    } else {
      this.deps.emit(parent, { type: 'child.idle', data: base });
    }
  }
}
