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
  /** Absent: no limit (the wait ends with the turn, the session, or the signal). */
  timeoutMs?: number;
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
   * turns started another way (a spawn prompt typed when the harness is ready), and for a wait
   * resumed after a daemon restart: the log after `from` is read first, so a turn that started or
   * ended while nobody listened is seen too. The bus is subscribed before that read and its events
   * held until it is done, so each event is taken once, in seq order. A session that has ended
   * answers with what it said after `from`. Without `timeoutMs` it waits as long as the turn takes.
   */
  waitTurnEnd(id: string, from: number, opts: TurnWaitOptions): { done: Promise<TurnAnswer>; cancel(): void } {
    let cancel = () => {};
    const done = new Promise<TurnAnswer>((resolve, reject) => {
      let userSeq = 0;
      let seen = from;
      let settled = false;
      let scanning = true;
      const held: OmniEvent[] = [];
      const finish = (status: SessionStatus, to: number, timedOut: boolean) => {
        if (settled) return;
        settled = true;
        cleanup();
        this.textBetween(id, userSeq || from, to).then(
          (text) => resolve({ session: id, text, status, from: userSeq, to, ...(timedOut ? { timedOut: true as const } : {}) }),
          reject,
        );
      };
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        cleanup();
        reject(err);
      };
      const take = (ev: Pick<OmniEvent, 'seq' | 'type' | 'data'>) => {
        if (settled || ev.seq <= seen) return;
        seen = ev.seq;
        if (ev.type === 'message.user' && !userSeq) userSeq = ev.seq;
        else if (ev.type === 'session.exited') finish(this.deps.store.get(id)?.status ?? 'exited', ev.seq, false);
        else if (ev.type === 'session.status' && userSeq && (ev.data as { status: SessionStatus }).status === 'idle') finish('idle', ev.seq, false);
      };
      const unsub = this.deps.bus.subscribe(id, (ev) => (scanning ? held.push(ev) : take(ev)));
      const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => finish(this.deps.store.get(id)?.status ?? 'exited', Number.MAX_SAFE_INTEGER, true), opts.timeoutMs);
      const onAbort = () => fail(new OmniError('the wait was cancelled', 'cancelled'));
      const cleanup = () => {
        unsub();
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      cancel = onAbort;
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      void (async () => {
        try {
          for await (const batch of readEventLines(this.deps.store.eventsFile(id), { since: from })) {
            for (const line of batch) if (line.type === 'message.user' || line.type === 'session.exited' || line.type === 'session.status') take(JSON.parse(line.text) as OmniEvent);
          }
        } catch (err) {
          return fail(err);
        }
        scanning = false;
        for (const ev of held.splice(0)) take(ev);
        const rec = this.deps.store.get(id);
        if (!rec) finish('exited', Number.MAX_SAFE_INTEGER, false);
        else if (!isLive(rec.status)) finish(rec.status, Number.MAX_SAFE_INTEGER, false);
      })();
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
