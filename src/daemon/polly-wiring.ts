import type { Route } from './api.js';
import type { OrchestratorParts } from './orchestrator-parts.js';

// CONTRACT STUB (helper polly-daemon fills it): the Polly service (docs/POLLY.md) and its routes.

export interface PollyPart {
  routes: Route[];
  /** After the daemon has adopted its sessions: pick up the runs that were under way. */
  resume(): Promise<void>;
  close(): void;
}

export function buildPolly(d: OrchestratorParts): PollyPart {
  void d;
  return { routes: [], resume: async () => {}, close: () => {} };
}
