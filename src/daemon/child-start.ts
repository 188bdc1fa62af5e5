import { OmniError } from '../core/errors.js';
import { isLive, newSessionId, validateSessionName, type SessionRecord, type SessionWorktree } from '../core/session.js';
import type { CreateSessionRequest } from './sessions.js';

/** What starting a child needs from the daemon (the composer's and Polly's deps both have it). */
export interface ChildStartDeps {
  store: { get(id: string): SessionRecord | undefined; all(): SessionRecord[] };
  sessions: { create(req: CreateSessionRequest): Promise<SessionRecord> };
  watch: { expectTurn(id: string): void; forget(id: string): void };
  worktrees: { create(opts: { repoDir: string; root: string; id: string; name: string; base?: string }): Promise<SessionWorktree> };
  /** $OMNI_HOME/worktrees */
  worktreeRoot: string;
}

/** A session request as `SessionManager.create` takes it, with a name, and the worktree still to make. */
export type ChildStartRequest = Omit<CreateSessionRequest, 'name' | 'worktree' | 'id' | 'args' | 'binary'> & {
  name: string;
  /** Its own git worktree (branch `omni/<name>`), from `base` (default: HEAD of `cwd`). */
  worktree?: { base?: string };
};

/**
 * A new session, and its worktree first when it gets one: omni_spawn (composer.ts) and Polly's
 * workers, reviewers and lead (polly-service.ts) start sessions this one way. The name is
 * checked (valid, no live session holds it); the id is picked before the worktree, which is
 * named after it. A worktree made for a session that then fails to start is kept (the error says so).
 */
export async function startChild(deps: ChildStartDeps, req: ChildStartRequest): Promise<{ rec: SessionRecord; worktree?: SessionWorktree }> {
  const bad = validateSessionName(req.name);
  if (bad) throw new OmniError(`invalid session name "${req.name}": ${bad}`, 'bad_request');
  const clash = deps.store.all().find((s) => s.name === req.name && isLive(s.status));
  if (clash) throw new OmniError(`a live session is already named "${req.name}" (${clash.id}); pick another name`, 'conflict');
  let id = newSessionId();
  while (deps.store.get(id)) id = newSessionId();
  let worktree: SessionWorktree | undefined;
  if (req.worktree) {
    try {
      worktree = await deps.worktrees.create({ repoDir: req.cwd, root: deps.worktreeRoot, id, name: req.name, ...(req.worktree.base !== undefined ? { base: req.worktree.base } : {}) });
    } catch (err) {
      throw new OmniError(`cannot make a worktree for ${req.name}: ${(err as Error).message}`, 'worktree_failed');
    }
  }
  if (req.prompt) deps.watch.expectTurn(id);
  try {
    const rec = await deps.sessions.create({
      id,
      harness: req.harness,
      name: req.name,
      cwd: worktree?.path ?? req.cwd,
      env: req.env,
      ...(req.model ? { model: req.model } : {}),
      policies: req.policies ?? [],
      ...(req.prompt ? { prompt: req.prompt } : {}),
      ...(req.agent ? { agent: req.agent } : {}),
      sandbox: req.sandbox ?? [],
      ...(req.tags?.length ? { tags: req.tags } : {}),
      ...(req.parent ? { parent: req.parent } : {}),
      ...(req.spawn ? { spawn: req.spawn } : {}),
      ...(worktree ? { worktree } : {}),
    });
    return { rec, ...(worktree ? { worktree } : {}) };
  } catch (err) {
    deps.watch.forget(id);
    const e = err instanceof OmniError ? err : new OmniError((err as Error).message, 'internal');
    const kept = worktree ? `; its worktree ${worktree.path} (branch ${worktree.branch}) was made and is kept (omni worktree rm to remove it)` : '';
    throw new OmniError(`could not start ${req.name}: ${e.message}${kept}`, e.code);
  }
}
