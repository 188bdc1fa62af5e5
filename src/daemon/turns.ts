import type { OmniEvent, SessionStatus } from '../core/events.js';
import { OmniError } from '../core/errors.js';
import { isLive, type SessionRecord } from '../core/session.js';
import type { EventBus } from './bus.js';
import { readEventLines } from './event-reader.js';
import type { SendResult } from './pane-io.js';

export interface TurnsDeps {
  bus: EventBus;
  store: { get(id: string): SessionRecord | undefined; eventsFile(id: string): string };
  sessions: { send(rec: SessionRecord, text: string): Promise<SendResult> };
  /** The session log's last seq (SessionLog.lastSeq). */
  lastSeq(rec: SessionRecord): number;
}

/** One turn of a session: from its prompt (`message.user`) to the next idle, or its end. */
export interface TurnAnswer {
  session: string;
  /** The assistant's messages of the turn, joined by a blank line ('' when it said nothing). */
  text: string;
  /** The session's status when the turn ended (idle, or exited/failed when it ended instead). */
  status: SessionStatus;
  /** seq of the turn's `message.user` (0 when it never came), and of the event that ended it. */
  from: number;
  to: number;
  timedOut?: true;
}

export interface TurnWaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Turns as an orchestrator sees them (Polly's workers and reviewers, Debby's heads): type a
 * prompt and wait for the turn it starts to end, then read what the assistant said in it. A
 * turn starts at a `message.user` after the point we looked from and ends at the next idle
 * status (or the session's end); waiting is a bus subscription made before the prompt is typed,
 * so neither event can slip past.
 */
export class Turns {
  constructor(private readonly deps: TurnsDeps) {}

  /** Type `text` into the session as a person would, and wait for that turn to end. */
  async ask(rec: SessionRecord, text: string, opts: TurnWaitOptions): Promise<TurnAnswer> {
    const from = this.deps.lastSeq(rec);
    const waiting = this.waitTurnEnd(rec.id, from, opts);
    let sent: SendResult;
    try {
      sent = await this.deps.sessions.send(rec, text);
    } catch (err) {
      waiting.cancel();
      throw err;
    }
    if (sent.blocked) {
      waiting.cancel();
      throw new OmniError(`${rec.name} did not take the prompt: blocked by policy${sent.blocked.policy ? ` ${sent.blocked.policy}` : ''}${sent.blocked.reason ? ` (${sent.blocked.reason})` : ''}`, 'prompt_blocked');
    }
    if (!sent.accepted) {
      waiting.cancel();
      throw new OmniError(`${rec.name} did not take the prompt`, 'not_accepted');
    }
    return waiting.done;
  }

  /**
   * Wait for a turn that starts after seq `from` (a `message.user` later than it) to end. For
   * turns started another way (a spawn prompt typed when the harness is ready). A session that
   * has already ended answers at once with what it said after `from`.
   */
  waitTurnEnd(id: string, from: number, opts: TurnWaitOptions): { done: Promise<TurnAnswer>; cancel(): void } {
    let cancel = () => {};
    const done = new Promise<TurnAnswer>((resolve, reject) => {
      let userSeq = 0;
      const finish = (status: SessionStatus, to: number, timedOut: boolean) => {
        cleanup();
        this.textBetween(id, userSeq || from, to).then(
          (text) => resolve({ session: id, text, status, from: userSeq, to, ...(timedOut ? { timedOut: true as const } : {}) }),
          reject,
        );
      };
      const onEvent = (ev: OmniEvent) => {
        if (ev.seq <= from) return;
        if (ev.type === 'message.user' && !userSeq) userSeq = ev.seq;
        else if (ev.type === 'session.exited') finish(this.deps.store.get(id)?.status ?? 'exited', ev.seq, false);
        else if (ev.type === 'session.status' && userSeq && (ev.data as { status: SessionStatus }).status === 'idle') finish('idle', ev.seq, false);
      };
      const unsub = this.deps.bus.subscribe(id, onEvent);
      const timer = setTimeout(() => finish(this.deps.store.get(id)?.status ?? 'exited', Number.MAX_SAFE_INTEGER, true), opts.timeoutMs);
      const onAbort = () => {
        cleanup();
        reject(new OmniError('the wait was cancelled', 'cancelled'));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        unsub();
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      cancel = () => {
        cleanup();
        reject(new OmniError('the wait was cancelled', 'cancelled'));
      };
      const rec = this.deps.store.get(id);
      if (!rec) return onAbort();
      if (!isLive(rec.status)) finish(rec.status, Number.MAX_SAFE_INTEGER, false);
    });
    // A cancelled wait nobody awaits any more must not be an unhandled rejection.
    done.catch(() => {});
    return { done, cancel: () => cancel() };
  }

  /** What the assistant said after seq `from` up to seq `to` (inclusive): its messages joined by a blank line. */
  async textBetween(id: string, from: number, to = Number.MAX_SAFE_INTEGER): Promise<string> {
    const texts: string[] = [];
    for await (const batch of readEventLines(this.deps.store.eventsFile(id), { since: from })) {
      for (const line of batch) {
        const ev = JSON.parse(line.text) as OmniEvent;
        if (ev.seq > to) return texts.join('\n\n');
        if (ev.type === 'message.assistant') {
          const t = ((ev.data as { text?: string }).text ?? '').trim();
          if (t) texts.push(t);
        }
      }
    }
    return texts.join('\n\n');
  }
}
