import type { StateUpdate, StateView } from './types.js';

export interface PolicyStateData {
  labels: string[];
  counters: Record<string, number>;
  sets: Record<string, string[]>;
  /** "Approve for the rest of the session" grants: `${policy}\u0000${grantKey}`. */
  grants: string[];
}

/** One session's policy state. Serializable, so the daemon persists it with the session. */
export class PolicyState implements StateView {
  private labelSet: Set<string>;
  private counters: Map<string, number>;
  private sets: Map<string, Set<string>>;
  private grantSet: Set<string>;

  constructor(data?: Partial<PolicyStateData>) {
    this.labelSet = new Set(data?.labels ?? []);
    this.counters = new Map(Object.entries(data?.counters ?? {}));
    this.sets = new Map(Object.entries(data?.sets ?? {}).map(([k, v]) => [k, new Set(v)]));
    this.grantSet = new Set(data?.grants ?? []);
  }

  hasLabel(name: string): boolean {
    return this.labelSet.has(name);
  }
  labels(): string[] {
    return [...this.labelSet];
  }
  counter(name: string): number {
    return this.counters.get(name) ?? 0;
  }
  inSet(set: string, value: string): boolean {
    return this.sets.get(set)?.has(value) ?? false;
  }
  set(set: string): ReadonlySet<string> {
    return this.sets.get(set) ?? new Set();
  }

  hasGrant(policy: string, key: string): boolean {
    return this.grantSet.has(`${policy}\u0000${key}`);
  }
  grant(policy: string, key: string): void {
    this.grantSet.add(`${policy}\u0000${key}`);
  }

  apply(updates: readonly StateUpdate[]): void {
    for (const u of updates) {
      switch (u.op) {
        case 'label':
          this.labelSet.add(u.name);
          break;
        case 'unlabel':
          this.labelSet.delete(u.name);
          break;
        case 'incr':
          this.counters.set(u.name, this.counter(u.name) + (u.by ?? 1));
          break;
        case 'reset':
          this.counters.delete(u.name);
          break;
        case 'add': {
          let s = this.sets.get(u.set);
          if (!s) this.sets.set(u.set, (s = new Set()));
          for (const v of u.values) s.add(v);
          break;
        }
        case 'remove':
          for (const v of u.values) this.sets.get(u.set)?.delete(v);
          break;
      }
    }
  }

  toJSON(): PolicyStateData {
    return {
      labels: [...this.labelSet],
      counters: Object.fromEntries(this.counters),
      sets: Object.fromEntries([...this.sets].map(([k, v]) => [k, [...v]])),
      grants: [...this.grantSet],
    };
  }
}
