import path from 'node:path';
import { stringify } from 'yaml';
import type { SpawnGrant } from '../agents/grant.js';
import { readJsonFile, writeFileAtomic } from '../core/fsutil.js';
import type { PolicyRefInput } from './policy-service.js';

/**
 * What a session with `spawn: true` keeps in its directory so it can start sub-agents after a
 * daemon restart too: its grant (`spawn.json`) and the environment it was launched with
 * (`spawn-env.json`, which its children launch with). Both 0600: the environment may hold keys.
 */
export const GRANT_FILE = 'spawn.json';
export const SPAWN_ENV_FILE = 'spawn-env.json';

export function saveGrant(sessionDir: string, grant: SpawnGrant, env: Record<string, string>): void {
  writeFileAtomic(path.join(sessionDir, GRANT_FILE), JSON.stringify(grant, null, 2) + '\n', 0o600);
  writeFileAtomic(path.join(sessionDir, SPAWN_ENV_FILE), JSON.stringify(env) + '\n', 0o600);
}

export function loadGrant(sessionDir: string): SpawnGrant | undefined {
  return readJsonFile<SpawnGrant>(path.join(sessionDir, GRANT_FILE));
}

export function loadSpawnEnv(sessionDir: string): Record<string, string> | undefined {
  return readJsonFile<Record<string, string>>(path.join(sessionDir, SPAWN_ENV_FILE));
}

/**
 * A spec's `limits:` as the agent-level `spawn_bounds` policy the session starts with (so
 * `omni policy ls` shows it and a deny names it); undefined when it sets none.
 */
export function limitsPolicy(grant: SpawnGrant, source: string): PolicyRefInput | undefined {
  const l = grant.limits ?? {};
  const params = {
    ...(l.maxChildren !== undefined ? { max_children: l.maxChildren } : {}),
    ...(l.maxDepth !== undefined ? { max_depth: l.maxDepth } : {}),
    ...(l.maxConcurrent !== undefined ? { max_concurrent: l.maxConcurrent } : {}),
  };
  if (!Object.keys(params).length) return undefined;
  return { ref: 'spawn_bounds', source, text: stringify({ policies: [{ use: 'spawn_bounds', with: params }] }), level: 'agent' };
}

/** A light shape check of a grant from a request body (the caller built it from a spec). */
export function grantError(v: unknown): string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return '"spawn" must be an object {agents, anyHarness?, limits}';
  const g = v as Partial<SpawnGrant>;
  if (!Array.isArray(g.agents)) return '"spawn.agents" must be a list';
  for (const a of g.agents) {
    if (!a || typeof a !== 'object' || typeof a.name !== 'string' || !a.executor || typeof a.executor.harness !== 'string') return '"spawn.agents" entries need a name and executor.harness';
    if (!Array.isArray(a.policies)) return `"spawn.agents" entry ${a.name} needs policies (a list)`;
    if (a.spawn !== undefined && grantError(a.spawn)) return `agent ${a.name}: ${grantError(a.spawn)}`;
  }
  if (g.limits !== undefined && (typeof g.limits !== 'object' || g.limits === null)) return '"spawn.limits" must be an object';
  return undefined;
}
