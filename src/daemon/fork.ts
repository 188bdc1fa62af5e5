import fs from 'node:fs';
import path from 'node:path';
import { OmniError } from '../core/errors.js';
import { ensurePrivateDir, readJsonFile } from '../core/fsutil.js';
import { isLive, newSessionId, validateSessionName, type SessionRecord, type SessionWorktree } from '../core/session.js';
import type { HarnessAdapter } from '../harnesses/types.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import type { SandboxSettings } from '../sandbox/types.js';
import { JOURNAL_FILE, SNAPSHOT_FILE } from './policy-state-store.js';
import type { Route } from './api.js';
import { readJson, sendJson } from './http.js';
import type { CreateSessionRequest } from './sessions.js';

export interface ForkDeps {
  store: { get(id: string): SessionRecord | undefined; all(): SessionRecord[]; sessionDir(id: string): string };
  harnesses: { get(name: string): HarnessAdapter };
  sessions: { create(req: CreateSessionRequest): Promise<SessionRecord> };
  sandbox: { savedSettings(id: string): SandboxSettings | undefined };
  worktrees: { create(opts: { repoDir: string; root: string; id: string; name: string; base?: string }): Promise<SessionWorktree> };
  /** $OMNI_HOME/worktrees */
  worktreeRoot: string;
  /** Read the source's harness log to the end, held-back records too (HarnessSessions.runIngest). */
  flushIngest?(id: string): Promise<void>;
}

export interface ForkRequest {
  /** Default `<source>-fork` (`-fork-2`, … when taken). */
  name?: string;
  /** Its own git worktree (branch `omni/<name>`) from HEAD of the source's cwd. */
  worktree?: boolean;
  /** The caller's environment, as for a new session. */
  env: Record<string, string>;
  args?: string[];
}

/**
 * `omni fork`: a new session on the harness's own fork of the source's conversation (same
 * history, a new harness session), in the source's cwd or a new worktree from its HEAD. It keeps
 * the source's model, session and agent policies with their state (a taint holds in the fork),
 * and its sandbox; config.yaml's policies and sandbox defaults are read afresh as for any start.
 */
export async function forkSession(deps: ForkDeps, src: SessionRecord, req: ForkRequest): Promise<SessionRecord> {
  const adapter = deps.harnesses.get(src.harness);
  if (!adapter.capabilities.fork) {
    throw new OmniError(`${adapter.displayName} has no fork of its own, so session ${src.name} cannot be forked (docs/harnesses/README.md lists which harnesses can)`, 'conflict', undefined, { harness: adapter.name });
  }
  if (!src.harnessSessionId) {
    throw new OmniError(`session ${src.name} has not reported its ${adapter.displayName} session id yet (it does after its first turn), so there is nothing to fork`, 'conflict');
  }
  const name = req.name ?? forkName(deps.store.all(), src.name);
  const bad = validateSessionName(name);
  if (bad) throw new OmniError(`invalid session name "${name}": ${bad}`, 'invalid_name');
  const clash = deps.store.all().find((s) => s.name === name && isLive(s.status));
  if (clash) throw new OmniError(`a live session is already named "${name}" (${clash.id}); pick another --name`, 'name_taken');
  let sandbox: SandboxSettings | undefined;
  if (src.sandbox) {
    // A sandboxed session's fork runs in the same sandbox, never outside it.
    sandbox = deps.sandbox.savedSettings(src.id);
    if (!sandbox) throw new OmniError(`session ${src.name} ran sandboxed but its sandbox settings are gone; it cannot be forked`, 'conflict');
  }
  // An idle source's last turn may still hold records back (Claude's last usage): logged now, so
  // the cursor the fork copies has them and the fork does not log them again. Not mid-turn: a
  // flush then would log a message's usage before it is final.
  if (src.status === 'idle') await deps.flushIngest?.(src.id);
  let id = newSessionId();
  while (deps.store.get(id)) id = newSessionId();
  const sourceDir = deps.store.sessionDir(src.id);
  const policies = inheritPolicies(sourceDir, deps.store.sessionDir(id));
  let worktree: SessionWorktree | undefined;
  if (req.worktree) {
    try {
      worktree = await deps.worktrees.create({ repoDir: src.cwd, root: deps.worktreeRoot, id, name });
    } catch (err) {
      throw new OmniError(`cannot make a worktree for ${name}: ${(err as Error).message}`, 'worktree_failed');
    }
  }
  try {
    return await deps.sessions.create({
      id,
      harness: src.harness,
      name,
      cwd: worktree?.path ?? src.cwd,
      env: req.env,
      ...(src.model ? { model: src.model } : {}),
      ...(req.args?.length ? { args: req.args } : {}),
      ...(worktree ? { worktree } : {}),
      fork: { from: src, harnessSessionId: src.harnessSessionId, sourceSessionDir: sourceDir, policies, ...(sandbox ? { sandbox } : {}) },
    });
  } catch (err) {
    if (!worktree) throw err;
    const e = err instanceof OmniError ? err : new OmniError((err as Error).message, 'internal');
    throw new OmniError(`${e.message}; its worktree ${worktree.path} (branch ${worktree.branch}) was made and is kept (omni worktree rm to remove it)`, e.code);
  }
}

/** `<name>-fork`, or `-fork-2`, `-fork-3`… past names any session (live or ended) has. */
export function forkName(sessions: readonly SessionRecord[], source: string): string {
  const taken = new Set(sessions.map((s) => s.name));
  const base = `${source.slice(0, 59)}-fork`;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/**
 * The source's session and agent policies (config.yaml's global one is read afresh by create),
 * with its policy state copied into the fork's directory before anything loads it.
 */
function inheritPolicies(sourceDir: string, forkDir: string): PolicySnapshot[] {
  let snaps: PolicySnapshot[] = [];
  try {
    snaps = readJsonFile<PolicySnapshot[]>(path.join(sourceDir, 'policies.json')) ?? [];
  } catch (err) {
    throw new OmniError(`cannot read the source session's policies: ${(err as Error).message}`, 'conflict');
  }
  ensurePrivateDir(forkDir);
  for (const f of [SNAPSHOT_FILE, JOURNAL_FILE]) {
    try {
      fs.copyFileSync(path.join(sourceDir, f), path.join(forkDir, f));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return snaps.filter((s) => s.level !== 'global');
}

/** `POST /v1/sessions/:ref/fork {name?, worktree?, env?, args?}` → 201 `{session}` (docs/API.md). */
export function forkRoute(deps: ForkDeps & { resolve(ref: string): SessionRecord }): Route {
  return [
    'POST',
    /^\/v1\/sessions\/([^/]+)\/fork$/,
    async (req, res, [ref]) => {
      const src = deps.resolve(ref!);
      const body = await readJson<{ name?: unknown; worktree?: unknown; env?: unknown; args?: unknown }>(req);
      if (body.name !== undefined && typeof body.name !== 'string') throw new OmniError('"name" must be a string', 'bad_request');
      const env = body.env && typeof body.env === 'object' ? (body.env as Record<string, string>) : {};
      const rec = await forkSession(deps, src, {
        env,
        ...(typeof body.name === 'string' ? { name: body.name } : {}),
        worktree: body.worktree === true,
        args: Array.isArray(body.args) ? body.args.map(String) : [],
      });
      sendJson(res, 201, { session: rec });
    },
  ];
}
