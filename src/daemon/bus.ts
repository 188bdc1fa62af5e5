import type { OmniEvent } from '../core/events.js';

type Listener = (ev: OmniEvent) => void;

/** In-memory fan-out of appended events to live subscribers (followers, waiters, the TUI). */
export class EventBus {
  private bySession = new Map<string, Set<Listener>>();
  private global = new Set<Listener>();

  publish(ev: OmniEvent): void {
    for (const l of this.bySession.get(ev.session) ?? []) safe(l, ev);
    for (const l of this.global) safe(l, ev);
  }

  subscribe(session: string | null, listener: Listener): () => void {
    if (session === null) {
      this.global.add(listener);
      return () => this.global.delete(listener);
    }
    let set = this.bySession.get(session);
    if (!set) this.bySession.set(session, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.bySession.delete(session);
    };
  }
}

function safe(l: Listener, ev: OmniEvent): void {
  try {
    l(ev);
  } catch {
    /* a broken subscriber must not break the others */
  }
}
