import path from 'node:path';
import type { OmniPaths } from '../core/paths.js';
import type { CostLedger } from '../cost/ledger.js';
import type { HarnessRegistry } from '../harnesses/registry.js';
import { createGitRunner, createWorktree, worktreeDiff } from '../worktree/index.js';
import type { EventBus } from './bus.js';
import { ChildWatch } from './child-watch.js';
import { Composer } from './composer.js';
import type { PolicyService } from './policy-service.js';
import type { SessionLog } from './session-log.js';
import type { SessionManager } from './sessions.js';
import type { SessionStore } from './store.js';
import { UserPolicies } from './user-policies.js';

/** What omni_diff returns at most: a model reads it. */
const DIFF_MAX_BYTES = 64 * 1024;

/**
 * omni's MCP tools, built from the daemon's parts (main.ts calls this last): the composer, the
 * child watch that tells parents about their children, the person's policy check, real git.
 */
export function buildComposer(d: {
  store: SessionStore;
  sessions: SessionManager;
  bus: EventBus;
  events: SessionLog;
  policies: PolicyService;
  ledger: CostLedger;
  harnesses: HarnessRegistry;
  paths: OmniPaths;
  log: (msg: string) => void;
}): Composer {
  const watch = new ChildWatch({ bus: d.bus, session: (id) => d.store.get(id), emit: (rec, ev) => d.events.emit(rec, ev) });
  const git = createGitRunner();
  const user = new UserPolicies({ configDir: d.paths.configDir, listSessions: () => d.store.all(), day: () => d.ledger.day(new Date()), log: d.log });
  return new Composer({
    store: d.store,
    sessions: d.sessions,
    decide: (rec, req, signal) => d.policies.decide(rec, req, signal),
    decideUser: (req, cwd) => user.decide(req, cwd),
    harnessNames: () => d.harnesses.all().map((h) => h.name),
    watch,
    worktrees: { create: (o) => createWorktree(git, o), diff: (wt) => worktreeDiff(git, wt, { maxBytes: DIFF_MAX_BYTES }) },
    worktreeRoot: path.join(d.paths.home, 'worktrees'),
    log: d.log,
  });
}
