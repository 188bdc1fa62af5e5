import fs from 'node:fs';
import type { SessionWorktree } from '../core/session.js';
import { gitOk, gitTest, type GitRunner } from './git.js';
import { withWorktreeIndex } from './snapshot.js';

/** What `worktreeDiff` returns at most by default: enough for a model to read, small enough to pass around. */
export const DIFF_CAP_BYTES = 256 * 1024;

export interface WorktreeDiff {
  /** Unified diff against the base (cut at a line boundary when over the cap). */
  diff: string;
  truncated: boolean;
  /** The whole diff's size in bytes, before any cut. */
  bytes: number;
}

/** Does the worktree's folder still exist as a checkout? */
export async function worktreeExists(git: GitRunner, wt: SessionWorktree): Promise<boolean> {
  return fs.existsSync(wt.path) && (await gitTest(git, ['rev-parse', '--git-dir'], { cwd: wt.path }));
}

/**
 * The unified diff of everything in the worktree (commits on its branch, uncommitted changes,
 * untracked files) against `wt.base`; `stat` gives `git diff --stat` instead. A worktree whose
 * folder is gone diffs its branch. The worktree's own index is never touched.
 */
export async function worktreeDiff(git: GitRunner, wt: SessionWorktree, opts: { stat?: boolean; maxBytes?: number } = {}): Promise<WorktreeDiff> {
  const mode = opts.stat ? ['--stat'] : ['--no-color', '--no-ext-diff'];
  let text: string;
  if (await worktreeExists(git, wt)) {
    text = await withWorktreeIndex(git, wt.path, async (env) => (await git(['diff', '--cached', ...mode, wt.base], { cwd: wt.path, env })).stdout);
  } else {
    text = (await git(['diff', ...mode, wt.base, `refs/heads/${wt.branch}`, '--'], { cwd: wt.repo })).stdout;
  }
  return capDiff(text, opts.maxBytes ?? DIFF_CAP_BYTES);
}

export function capDiff(text: string, maxBytes: number): WorktreeDiff {
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return { diff: text, truncated: false, bytes };
  const cut = Buffer.from(text).subarray(0, maxBytes).toString('utf8');
  const lastNewline = cut.lastIndexOf('\n');
  return { diff: lastNewline > 0 ? cut.slice(0, lastNewline + 1) : cut, truncated: true, bytes };
}

export interface WorktreeState {
  /** The folder is there and is a checkout. */
  exists: boolean;
  /** The branch `omni/<name>` still exists. */
  branchExists: boolean;
  /** Uncommitted changes or untracked files in the worktree. */
  dirty: boolean;
  /** Commits on the branch since base. */
  ahead: number;
  /** Diffstat of the whole worktree (or the branch, when the folder is gone) against base. */
  files: number;
  insertions: number;
  deletions: number;
  /** `git cherry <target> <branch>` has no `+` line: every commit's change is in the target. */
  merged: boolean;
  /** What `merged` was judged against: the target asked for, else baseRef, else the base commit. */
  against: string;
}

/** Sum a `git diff --numstat`: binary files count as a file with no lines. */
export function parseNumstat(text: string): { files: number; insertions: number; deletions: number } {
  let files = 0, insertions = 0, deletions = 0;
  for (const line of text.split('\n')) {
    const m = /^(\d+|-)\t(\d+|-)\t/.exec(line);
    if (!m) continue;
    files++;
    if (m[1] !== '-') insertions += Number(m[1]);
    if (m[2] !== '-') deletions += Number(m[2]);
  }
  return { files, insertions, deletions };
}

/** Is every commit on `branch` (since its fork from `target`) already in `target`, by patch? */
export async function isMerged(git: GitRunner, cwd: string, target: string, branch: string): Promise<boolean> {
  const r = await gitOk(git, ['cherry', target, branch], { cwd });
  return !r.split('\n').some((l) => l.startsWith('+'));
}

export async function worktreeState(git: GitRunner, wt: SessionWorktree, target?: string): Promise<WorktreeState> {
  const exists = await worktreeExists(git, wt);
  const ref = `refs/heads/${wt.branch}`;
  const branchExists = await gitTest(git, ['show-ref', '--verify', '-q', ref], { cwd: wt.repo });
  const dirty = exists && (await gitOk(git, ['status', '--porcelain', '--untracked-files=all'], { cwd: wt.path })) !== '';
  const ahead = branchExists ? Number(await gitOk(git, ['rev-list', '--count', `${wt.base}..${ref}`], { cwd: wt.repo })) : 0;
  let stat = { files: 0, insertions: 0, deletions: 0 };
  if (exists) {
    stat = parseNumstat(await withWorktreeIndex(git, wt.path, (env) => gitOk(git, ['diff', '--cached', '--numstat', wt.base], { cwd: wt.path, env })));
  } else if (branchExists) {
    stat = parseNumstat(await gitOk(git, ['diff', '--numstat', wt.base, ref, '--'], { cwd: wt.repo }));
  }
  // A baseRef deleted since (or a target that does not resolve) falls back to the base commit.
  const wanted = target ?? wt.baseRef;
  const against = wanted && (await gitTest(git, ['rev-parse', '--verify', '-q', `${wanted}^{commit}`], { cwd: wt.repo })) ? wanted : wt.base;
  const merged = branchExists ? await isMerged(git, wt.repo, against, ref) : true;
  return { exists, branchExists, dirty, ahead, ...stat, merged, against };
}
