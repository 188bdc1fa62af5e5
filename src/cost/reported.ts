import type { EventDataMap } from '../core/events.js';

type Reported = EventDataMap['cost.reported'];

/** The fold's state, to persist (a session's summary) and to resume from. */
export interface ReportedState {
  last: Array<[string, number]>;
  settled: number;
}

/**
 * Folds a session's `cost.reported` totals (cumulative per harness session) into one running
 * figure. Each harness session counts with its last total; a new harness session id (Claude
 * after /clear) adds its own. A total that falls within one harness session (a restart that
 * did not restore it) starts a new stretch on top of what was already counted.
 */
export class ReportedCost {
  private last = new Map<string, number>();
  private settled = 0;

  static from(state: ReportedState): ReportedCost {
    const r = new ReportedCost();
    for (const [k, v] of state.last) if (typeof k === 'string' && Number.isFinite(v)) r.last.set(k, v);
    r.settled = Number.isFinite(state.settled) ? state.settled : 0;
    return r;
  }

  state(): ReportedState {
    return { last: [...this.last], settled: this.settled };
  }

  private static key(d: Reported): string {
    return `${d.source}\0${d.harnessSessionId ?? ''}`;
  }

  /** Whether this report would change the figure (the same total again does not). */
  changes(d: Reported): boolean {
    return Number.isFinite(d.totalUsd) && d.totalUsd !== (this.last.get(ReportedCost.key(d)) ?? 0);
  }

  /** Count a report; returns how much the running figure grew (0 when it did not change). */
  add(d: Reported): number {
    if (!this.changes(d)) return 0;
    const key = ReportedCost.key(d);
    const prev = this.last.get(key) ?? 0;
    this.last.set(key, d.totalUsd);
    if (d.totalUsd >= prev) return d.totalUsd - prev;
    this.settled += prev;
    return d.totalUsd;
  }

  get totalUsd(): number {
    let t = this.settled;
    for (const v of this.last.values()) t += v;
    return t;
  }
}
