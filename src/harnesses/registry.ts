import { OmniError } from '../core/errors.js';
import type { HarnessAdapter } from './types.js';

/** The adapters the daemon knows, by name. Adding a harness = adding one module here. */
export class HarnessRegistry {
  private adapters = new Map<string, HarnessAdapter>();

  constructor(adapters: HarnessAdapter[]) {
    for (const a of adapters) this.adapters.set(a.name, a);
  }

  names(): string[] {
    return [...this.adapters.keys()];
  }

  all(): HarnessAdapter[] {
    return [...this.adapters.values()];
  }

  get(name: string): HarnessAdapter {
    const a = this.adapters.get(name);
    if (!a) {
      throw new OmniError(`unknown harness "${name}"; known harnesses: ${this.names().join(', ')}`, 'unknown_harness', undefined, {
        known: this.names(),
      });
    }
    return a;
  }
}
