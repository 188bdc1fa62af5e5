import type { StateUpdate, StateView } from './types.js';

/**
 * A StateView with pending updates layered on top, never written back: lets a rule see what
 * earlier rules of the same policy set during one evaluation (docs/POLICIES.md).
 */
export class OverlayState implements StateView {
  private addedLabels = new Set<string>();
  private removedLabels = new Set<string>();
  private counters = new Map<string, number>();
  private added = new Map<string, Set<string>>();
  private removed = new Map<string, Set<string>>();

  constructor(private readonly base: StateView) {}

  hasLabel(name: string): boolean {
    if (this.addedLabels.has(name)) return true;
    if (this.removedLabels.has(name)) return false;
    return this.base.hasLabel(name);
  }
  labels(): string[] {
    const out = new Set(this.base.labels().filter((l) => !this.removedLabels.has(l)));
    for (const l of this.addedLabels) out.add(l);
    return [...out];
  }
  counter(name: string): number {
    return this.counters.get(name) ?? this.base.counter(name);
  }
  inSet(set: string, value: string): boolean {
    if (this.added.get(set)?.has(value)) return true;
    if (this.removed.get(set)?.has(value)) return false;
    return this.base.inSet(set, value);
  }
  set(set: string): ReadonlySet<string> {
    const out = new Set([...this.base.set(set)].filter((v) => !this.removed.get(set)?.has(v)));
    for (const v of this.added.get(set) ?? []) out.add(v);
    return out;
  }

  apply(updates: readonly StateUpdate[]): void {
    const bucket = (m: Map<string, Set<string>>, k: string): Set<string> => {
      let s = m.get(k);
      if (!s) m.set(k, (s = new Set()));
      return s;
    };
    for (const u of updates) {
      switch (u.op) {
        case 'label':
          this.addedLabels.add(u.name);
          this.removedLabels.delete(u.name);
          break;
        case 'unlabel':
          this.addedLabels.delete(u.name);
          this.removedLabels.add(u.name);
          break;
        case 'incr':
          this.counters.set(u.name, this.counter(u.name) + (u.by ?? 1));
          break;
        case 'reset':
          this.counters.set(u.name, 0);
          break;
        case 'add':
          for (const v of u.values) {
            bucket(this.added, u.set).add(v);
            this.removed.get(u.set)?.delete(v);
          }
          break;
        case 'remove':
          for (const v of u.values) {
            bucket(this.removed, u.set).add(v);
            this.added.get(u.set)?.delete(v);
          }
          break;
      }
    }
  }
}
