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
 * Keep what removing the worktree would lose under `refs/omni/saved/<branch>`, without moving the
 * branch or touching the worktree's index. A clean worktree whose HEAD is the branch tip: the tip
 * itself. Otherwise a commit of the whole worktree (uncommitted and untracked files included)
 * whose parents are its HEAD and the branch tip, so commits made on a detached HEAD stay
 * reachable too. The ref's previous value is kept as a parent, so an earlier save is not lost.
 */
export async function saveToRef(git: GitRunner, wt: SessionWorktree, opts: { exists: boolean; dirty: boolean }): Promise<{ ref: string; sha: string } | undefined> {
  const ref = savedRefOf(wt.branch);
  const revOf = async (rev: string, cwd: string) => {
    const r = await git(['rev-parse', '--verify', '-q', rev], { cwd });
    return r.exitCode === 0 ? r.stdout.trim() : undefined;
  };
  const prev = await revOf(ref, wt.repo);
  const tip = await revOf(`refs/heads/${wt.branch}`, wt.repo);
  const head = opts.exists ? await revOf('HEAD', wt.path) : undefined;
  const start = head ?? tip;
  if (!start) return undefined;
  const others = [...new Set([tip, prev])].filter((p): p is string => p !== undefined && p !== start);
  let sha = start;
  if (opts.dirty || others.length) {
    const cwd = head ? wt.path : wt.repo;
    const tree = opts.dirty && head ? await worktreeTree(git, cwd) : await gitOk(git, ['rev-parse', `${start}^{tree}`], { cwd });
    const parents = [start, ...others].flatMap((p) => ['-p', p]);
    const message = `omni: work in ${wt.path} (branch ${wt.branch}) saved before the worktree was removed`;
    sha = await gitOk(git, [...(await identityArgs(git, cwd)), 'commit-tree', tree, ...parents, '-m', message], { cwd });
  }
  await gitOk(git, ['update-ref', '-m', 'omni worktree rm --force', ref, sha], { cwd: wt.repo });
  return { ref, sha };
}

/** `removeWorktree` would lose work (dirty, unmerged, a stray HEAD) and was not forced. */
export class WorktreeRefusal extends GitError {
  constructor(message: string) {
    super(message, [], '', -1);
    this.name = 'WorktreeRefusal';
  }
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
  if (s.strayHead) return `${wt.path} has commits on a detached HEAD that no branch holds (put them on a branch, or --force keeps them under ${savedRefOf(wt.branch)})`;
  if (s.dirty) return `${wt.path} has uncommitted changes (commit them, or --force saves them under ${savedRefOf(wt.branch)})`;
  if (s.branchExists && !s.merged) {
    return `branch ${wt.branch} has ${s.ahead} commit${s.ahead === 1 ? '' : 's'} not in ${s.against} (merge it, or --force keeps it under ${savedRefOf(wt.branch)})`;
  }
  return undefined;
}

/**
 * Remove the worktree and its branch. Without `force` it refuses (a WorktreeRefusal naming why) when the
 * worktree is dirty or its branch unmerged. With `force`, what would be lost (uncommitted work, or
 * unmerged commits) is first kept under `refs/omni/saved/<branch>`; then the folder goes and the branch is deleted.
 */
export async function removeWorktree(git: GitRunner, wt: SessionWorktree, opts: { force?: boolean; target?: string } = {}): Promise<RemoveResult> {
  const state = await worktreeState(git, wt, opts.target);
  const refusal = refusalOf(wt, state);
  if (refusal && !opts.force) throw new WorktreeRefusal(`refusing to remove: ${refusal}`);
  const saved = refusal ? await saveToRef(git, wt, state) : undefined;
  if (state.exists) await gitOk(git, ['worktree', 'remove', '--force', wt.path], { cwd: wt.repo });
  else await git(['worktree', 'prune'], { cwd: wt.repo });
  const branchDeleted = state.branchExists && (state.merged || !!opts.force);
  if (branchDeleted) await gitOk(git, ['branch', '-D', wt.branch], { cwd: wt.repo });
  return { removed: state.exists, branchDeleted, ...(saved ? { saved } : {}), state };
}
