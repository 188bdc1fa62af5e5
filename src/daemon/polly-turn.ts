import type { OmniEvent, SessionStatus } from '../core/events.js';
import { OmniError } from '../core/errors.js';
import { isLive, type SessionRecord } from '../core/session.js';
import type { EventBus } from './bus.js';
import { readEventLines } from './event-reader.js';

export interface TurnEnd {
  /** What the assistant said in the turn (Turns.textBetween). */
  text: string;
  /** idle, or the status the session ended with. */
  status: SessionStatus;
  /** The turn's message.user seq (0: none came), and the seq that ended it. */
  from: number;
  to: number;
}

export interface TurnEndDeps {
  bus: EventBus;
  store: { get(id: string): SessionRecord | undefined; eventsFile(id: string): string };
  textBetween(id: string, from: number, to: number): Promise<string>;
}

/**
 * The end of the first turn that starts after seq `from` (a message.user, then idle), or of the
 * session. Unlike Turns.waitTurnEnd it reads the log first, so a turn that started or ended
 * while the daemon was down (a restart: the wait resumes from run.json's seq) is seen too; the
 * bus is subscribed before the read, and events are taken once each, in seq order.
 */
export function turnEnd(d: TurnEndDeps, id: string, from: number, signal: AbortSignal): Promise<TurnEnd> {
  return new Promise<TurnEnd>((resolve, reject) => {
    let userSeq = 0;
    let seen = from;
    let done = false;
    let scanning = true;
    const held: OmniEvent[] = [];
    const finish = (status: SessionStatus, to: number) => {
      if (done) return;
      done = true;
      cleanup();
      d.textBetween(id, userSeq || from, to).then((text) => resolve({ text, status, from: userSeq, to }), reject);
    };
    const take = (ev: Pick<OmniEvent, 'seq' | 'type' | 'data'>) => {
      if (done || ev.seq <= seen) return;
      seen = ev.seq;
      if (ev.type === 'message.user' && !userSeq) userSeq = ev.seq;
      else if (ev.type === 'session.exited') finish(d.store.get(id)?.status ?? 'exited', ev.seq);
      else if (ev.type === 'session.status' && userSeq && (ev.data as { status: SessionStatus }).status === 'idle') finish('idle', ev.seq);
    };
    const unsub = d.bus.subscribe(id, (ev) => (scanning ? held.push(ev) : take(ev)));
    const onAbort = () => {
      if (done) return;
      done = true;
      cleanup();
      reject(new OmniError('the wait was cancelled', 'cancelled'));
    };
    const cleanup = () => {
      unsub();
      signal.removeEventListener('abort', onAbort);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    void (async () => {
      try {
        for await (const batch of readEventLines(d.store.eventsFile(id), { since: from })) {
          for (const line of batch) {
            if (line.type === 'message.user' || line.type === 'session.exited' || line.type === 'session.status') take(JSON.parse(line.text) as OmniEvent);
          }
        }
      } catch (err) {
        if (!done) (done = true), cleanup(), reject(err);
        return;
      }
      scanning = false;
      for (const ev of held.splice(0)) take(ev);
      const rec = d.store.get(id);
      if (!rec) finish('exited', Number.MAX_SAFE_INTEGER);
      else if (!isLive(rec.status)) finish(rec.status, Number.MAX_SAFE_INTEGER);
    })();
  });
}
