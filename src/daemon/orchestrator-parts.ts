import type { OmniPaths } from '../core/paths.js';
import type { HarnessRegistry } from '../harnesses/registry.js';
import type { ApprovalGate } from './approval-gate.js';
import type { EventBus } from './bus.js';
import type { Composer } from './composer.js';
import type { PolicyService } from './policy-service.js';
import type { SessionLog } from './session-log.js';
import type { SessionManager } from './sessions.js';
import type { SessionStore } from './store.js';
import type { Turns } from './turns.js';

/** The daemon's parts an orchestrator (Polly, Debby) is built on; main.ts passes them. */
export interface OrchestratorParts {
  store: SessionStore;
  sessions: SessionManager;
  bus: EventBus;
  events: SessionLog;
  policies: PolicyService;
  harnesses: HarnessRegistry;
  composer: Composer;
  turns: Turns;
  /** Who may act as the person (`checkOutsideSessions`: never a process of an omni session). */
  gate: ApprovalGate;
  paths: OmniPaths;
  log: (msg: string) => void;
}
