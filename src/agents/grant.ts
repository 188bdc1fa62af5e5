import { policyRefInput } from '../policy/ref-input.js';
import type { SandboxLayer } from '../sandbox/settings.js';
import type { AgentSpec } from './spec.js';

/**
 * What a session with `spawn: true` may start (docs/AGENTS.md): the spec's `agents:` and
 * `limits`, resolved on the caller's side into plain JSON (policy files read, paths absolute)
 * so the daemon can start any of them later, after a restart too, without the spec files.
 * Stored in the session's directory as spawn.json.
 */
export interface SpawnGrant {
  /** The agents it may start, by name. Empty with `anyHarness`: it may start any harness ad hoc. */
  agents: SubAgent[];
  /** `spawn: true` and no `agents:` list: `omni_spawn {harness, prompt}` may start any harness. */
  anyHarness?: boolean;
  limits: SpawnLimits;
}

export interface SpawnLimits {
  /** Children it may start in all (counting ended ones). */
  maxChildren?: number;
  /** How deep the tree under the root lead may go (the root is depth 0, its children 1). */
  maxDepth?: number;
  /** Children of it alive at once. */
  maxConcurrent?: number;
}

/** One entry of `agents:` (inline, or a file), resolved. */
export interface SubAgent {
  name: string;
  description?: string;
  /** The spec file it came from (the parent's file for an inline entry). */
  file: string;
  executor: { harness: string; model?: string };
  prompt?: string;
  /** Agent-level policies, as POST /v1/sessions takes them (files already read). */
  policies: Array<{ ref: string; source?: string; text?: string; level: 'agent' }>;
  /** Its `sandbox:`/`secrets:` layer, if any. */
  sandbox?: SandboxLayer;
  /** Start it in its own git worktree (branch omni/<name>). Default false. */
  worktree: boolean;
  /** Its own sub-agents, when its spec says `spawn: true`. */
  spawn?: SpawnGrant;
}

/** A spec's policies as POST /v1/sessions takes them: files read here, on the caller's side; names sent as names. */
export function agentPolicies(spec: Pick<AgentSpec, 'policies'>): SubAgent['policies'] {
  return spec.policies.map((p) => ({ ...(p.file ? policyRefInput(p.file) : { ref: p.ref }), level: 'agent' as const }));
}

/**
 * The grant of a spec with `spawn: true`: its `agents:` (nested grants for those that may spawn
 * too) and `limits`, as plain JSON with every policy file read. No `agents:` = any harness ad hoc.
 */
export function grantFromSpec(spec: AgentSpec): SpawnGrant {
  return {
    agents: spec.agents.map(subAgent),
    ...(spec.agents.length ? {} : { anyHarness: true }),
    limits: { ...spec.limits },
  };
}

function subAgent(a: AgentSpec): SubAgent {
  return {
    name: a.name,
    ...(a.description !== undefined ? { description: a.description } : {}),
    file: a.file,
    executor: { ...a.executor },
    ...(a.prompt !== undefined ? { prompt: a.prompt } : {}),
    policies: agentPolicies(a),
    ...(a.sandbox ? { sandbox: a.sandbox } : {}),
    worktree: a.worktree,
    ...(a.spawn ? { spawn: grantFromSpec(a) } : {}),
  };
}
