import { OmniError } from '../../core/errors.js';
import { findSession, type SessionRecord, type SessionWorktree } from '../../core/session.js';
import { GitError } from '../../worktree/git.js';
import { WorktreeRefusal } from '../../worktree/remove.js';
import { client } from '../context.js';

/** A session omni made a worktree for. */
export type WorktreeSession = SessionRecord & { worktree: SessionWorktree };

/** Every session (ended ones too) that has a worktree, oldest first, from the daemon's list. */
export async function worktreeSessions(): Promise<WorktreeSession[]> {
  const { sessions } = await (await client()).sessions(true);
  return sessions.filter((s): s is WorktreeSession => Boolean(s.worktree));
}

/** An id, or a name (a live session first, then the newest), as the daemon resolves them; else what exists. */
export function resolveWorktreeSession(list: readonly WorktreeSession[], ref: string): WorktreeSession {
  const pick = findSession(list, ref);
  if (pick) return pick;
  const known = list.map((s) => `${s.name} (${s.id})`);
  throw new OmniError(
    `no session "${ref}" with a worktree; ${known.length ? `sessions with one: ${known.join(', ')}` : 'no session has a worktree (sub-agents with worktree: true get one)'}`,
    'unknown_session',
    undefined,
    { known },
  );
}

/** git's failures as omni errors (one line on stderr, exit 1; a refusal exits 8) instead of a stack. */
export async function gitErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorktreeRefusal) throw new OmniError(err.message, 'forbidden');
    if (err instanceof GitError) throw new OmniError(err.message, 'git_failed');
    throw err;
  }
}
