import type { Route } from './api.js';
import type { OrchestratorParts } from './orchestrator-parts.js';

// CONTRACT STUB (helper debby fills it): the Debby service (docs/DEBBY.md) and its routes.

export interface DebbyPart {
  routes: Route[];
  close(): void;
}

export function buildDebby(d: OrchestratorParts): DebbyPart {
  void d;
  return { routes: [], close: () => {} };
}
