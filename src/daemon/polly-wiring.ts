import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentPolicies } from '../agents/grant.js';
import { loadAgentSpec } from '../agents/spec.js';
import { OmniError } from '../core/errors.js';
import { YamlError } from '../core/yaml.js';
import { pollyPolicies } from '../polly/policies.js';
import { createGitRunner, currentBranch, gitOk, resolveRepo, saveUncommitted, worktreeDiff, worktreeState } from '../worktree/index.js';
import type { Route } from './api.js';
import type { OrchestratorParts } from './orchestrator-parts.js';
import { pollyRoutes } from './polly-api.js';
import type { LeadSpec, PollyDeps } from './polly-deps.js';
import { PollyService } from './polly-service.js';
import { PollyStore } from './polly-store.js';

export interface PollyPart {
  routes: Route[];
  /** After the daemon has adopted its sessions: pick up the runs that were under way. */
  resume(): Promise<void>;
  close(): void;
}

/** The package's agents/polly.yaml: the lead's harness, model and policies. */
const LEAD_SPEC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'agents', 'polly.yaml');

/** The Polly service (docs/POLLY.md) on the daemon's parts, and its routes. */
export function buildPolly(d: OrchestratorParts): PollyPart {
  const git = createGitRunner();
  const harnessNames = () => d.harnesses.all().map((h) => h.name);
  const deps: PollyDeps = {
    store: new PollyStore(path.join(d.paths.home, 'polly')),
    sessions: {
      get: (id) => d.store.get(id),
      all: () => d.store.all(),
      send: (rec, text) => d.sessions.send(rec, text),
      stop: (rec) => d.sessions.stop(rec),
    },
    startChild: (req) => d.composer.startChild(req),
    turnEnd: (id, from, signal) => d.turns.waitTurnEnd(id, from, { signal }).done,
    lastSeq: (rec) => d.events.lastSeq(rec),
    emit: (rec, ev) => d.events.emit(rec, ev),
    harnessNames,
    vendorOf: (h, model) => d.harnesses.get(h).vendor(model),
    git: {
      topLevel: async (cwd) => (await resolveRepo(git, cwd)).topLevel,
      base: async (cwd) => (await currentBranch(git, cwd)) ?? (await gitOk(git, ['rev-parse', 'HEAD'], { cwd })).trim(),
      diff: (wt, maxBytes) => worktreeDiff(git, wt, { maxBytes }),
      stat: async (wt) => {
        const s = await worktreeState(git, wt);
        return { files: s.files, insertions: s.insertions, deletions: s.deletions };
      },
      commitPending: (wt, message) => saveUncommitted(git, wt, message),
    },
    leadSpec: () => leadSpec(LEAD_SPEC, harnessNames()),
    policies: { worker: pollyPolicies('worker'), reviewer: pollyPolicies('reviewer') },
    log: (msg) => d.log(msg),
  };
  const polly = new PollyService(deps);
  return {
    routes: pollyRoutes(polly, (req, what) => d.gate.checkOutsideSessions(req, what)),
    resume: () => polly.resume(),
    close: () => polly.close(),
  };
}

function leadSpec(file: string, harnesses: string[]): LeadSpec {
  if (!fs.existsSync(file)) throw new OmniError(`the Polly lead's spec ${file} is missing (omni's install is incomplete)`, 'internal');
  try {
    const spec = loadAgentSpec(file, harnesses);
    return {
      harness: spec.executor.harness,
      ...(spec.executor.model ? { model: spec.executor.model } : {}),
      policies: agentPolicies(spec),
      ...(spec.sandbox ? { sandbox: spec.sandbox } : {}),
      file: spec.file,
    };
  } catch (err) {
    if (err instanceof YamlError) throw new OmniError(err.message, 'internal');
    throw err;
  }
}
