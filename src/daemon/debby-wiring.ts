import path from 'node:path';
import type { Route } from './api.js';
import { debbyRoutes } from './debby-api.js';
import { DebbyService } from './debby-service.js';
import { DebbyStore } from './debby-store.js';
import type { OrchestratorParts } from './orchestrator-parts.js';

/** The Debby service (docs/DEBBY.md) on the daemon's parts, and its routes. */
export interface DebbyPart {
  routes: Route[];
  close(): void;
}

export function buildDebby(d: OrchestratorParts): DebbyPart {
  const runs = new DebbyStore(path.join(d.paths.home, 'debby'), d.log);
  runs.load();
  const service = new DebbyService({ runs, sessions: d.sessions, store: d.store, turns: d.turns, harnesses: d.harnesses, log: d.log });
  return { routes: debbyRoutes(service), close: () => service.close() };
}
