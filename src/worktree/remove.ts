import type { SessionWorktree } from '../core/session.js';
import { GitError, gitOk, gitTest, identityArgs, type GitRunner } from './git.js';
import { worktreeState, type WorktreeState } from './inspect.js';
import { worktreeTree } from './snapshot.js';

/** Where `removeWorktree --force` keeps what would otherwise be lost: `refs/omni/saved/<branch>`. */
export const savedRefOf = (branch: string) => `refs/omni/saved/${branch}`;

/**
 * Commit everything uncommitted in the worktree (`add -A`) on its branch, hooks skipped (a save
 * must not run a user's pre-commit checks); the new sha, or undefined when there was nothing.
 */
export async function saveUncommitted(git: GitRunner, wt: SessionWorktree, message: string): Promise<string | undefined> {
  const cwd = wt.path;
  if ((await gitOk(git, ['status', '--porcelain', '--untracked-files=all'], { cwd })) === '') return undefined;
  await gitOk(git, ['add', '-A'], { cwd });
  if (await gitTest(git, ['diff', '--cached', '--quiet'], { cwd })) return undefined;
  await gitOk(git, [...(await identityArgs(git, cwd)), 'commit', '--no-verify', '-q', '-m', message], { cwd });
  return gitOk(git, ['rev-parse', 'HEAD'], { cwd });
}

/**
 * Keep the worktree's uncommitted work (or, when it has none, its branch tip) under
 * `refs/omni/saved/<branch>` without moving the branch or touching the worktree's index: a commit
 * of the whole worktree whose parent is HEAD (and the ref's previous value, so an earlier save
 * stays reachable). Returns the ref and the commit, or undefined when there is nothing to keep.
 */
export async function saveToRef(git: GitRunner, wt: SessionWorktree, opts: { exists: boolean; dirty: boolean }): Promise<{ ref: string; sha: string } | undefined> {
  const ref = savedRefOf(wt.branch);
  const prev = await git(['rev-parse', '--verify', '-q', ref], { cwd: wt.repo });
  const parents = prev.exitCode === 0 ? ['-p', prev.stdout.trim()] : [];
  let sha: string;
  if (opts.exists && opts.dirty) {
    const cwd = wt.path;
    const tree = await worktreeTree(git, cwd);
    const head = await gitOk(git, ['rev-parse', 'HEAD'], { cwd });
    const message = `omni: uncommitted work in ${wt.path} (branch ${wt.branch}), saved before the worktree was removed`;
    sha = await gitOk(git, [...(await identityArgs(git, cwd)), 'commit-tree', tree, '-p', head, ...parents, '-m', message], { cwd });
  } else {
    const tip = await git(['rev-parse', '--verify', '-q', `refs/heads/${wt.branch}`], { cwd: wt.repo });
    if (tip.exitCode !== 0) return undefined;
    sha = tip.stdout.trim();
  }
  await gitOk(git, ['update-ref', '-m', 'omni worktree rm --force', ref, sha], { cwd: wt.repo });
  return { ref, sha };
}

export interface RemoveResult {
  /** The worktree's folder was removed (false: it was already gone). */
  removed: boolean;
  /** The branch was deleted (it was merged, or --force). */
  branchDeleted: boolean;
  /** Where work that would have been lost was kept (--force on a dirty or unmerged worktree). */
  saved?: { ref: string; sha: string };
  /** The state it was found in. */
  state: WorktreeState;
}

/** Why `rm` refuses without --force: undefined when it may go. */
export function refusalOf(wt: SessionWorktree, s: WorktreeState): string | undefined {
  if (s.dirty) return `${wt.path} has uncommitted changes (commit them, or --force saves them under ${savedRefOf(wt.branch)})`;
  if (s.branchExists && !s.merged) {
    return `branch ${wt.branch} has ${s.ahead} commit${s.ahead === 1 ? '' : 's'} not in ${s.against} (merge it, or --force keeps it under ${savedRefOf(wt.branch)})`;
  }
  return undefined;
}

/**
 * Remove the worktree and its branch. Without `force` it refuses (a GitError naming why) when the
 * worktree is dirty or its branch unmerged. With `force`, what would be lost (uncommitted work, or
 * unmerged commits) is first kept under `refs/omni/saved/<branch>`; then the folder goes and the branch is deleted.
 */
export async function removeWorktree(git: GitRunner, wt: SessionWorktree, opts: { force?: boolean; target?: string } = {}): Promise<RemoveResult> {
  const state = await worktreeState(git, wt, opts.target);
  const refusal = refusalOf(wt, state);
  if (refusal && !opts.force) throw new GitError(`refusing to remove: ${refusal}`, [], '', -1);
  const saved = refusal ? await saveToRef(git, wt, state) : undefined;
  if (state.exists) await gitOk(git, ['worktree', 'remove', '--force', wt.path], { cwd: wt.repo });
  else await git(['worktree', 'prune'], { cwd: wt.repo });
  const branchDeleted = state.branchExists && (state.merged || !!opts.force);
  if (branchDeleted) await gitOk(git, ['branch', '-D', wt.branch], { cwd: wt.repo });
  return { removed: state.exists, branchDeleted, ...(saved ? { saved } : {}), state };
}
