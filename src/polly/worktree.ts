import type { SessionWorktree } from '../core/session.js';
import type { PollyRun, PollyTask } from './types.js';

/**
 * A task's worker worktree as the run recorded it: the session record's own `worktree` is the
 * better source while it exists, this one serves when that record is gone (`omni rm`).
 */
export function recordedWorktree(run: Pick<PollyRun, 'repo'>, s: NonNullable<PollyTask['session']>): SessionWorktree {
  return { repo: run.repo, path: s.worktree, branch: s.branch, base: s.base };
}
