import fs from 'node:fs';
import path from 'node:path';
import type { SessionWorktree } from '../core/session.js';
import { GitError, gitOk, gitTest, type GitRunner } from './git.js';

export interface CreateWorktreeOptions {
  /** The lead's cwd: any directory inside a checkout (the main one or a linked worktree). */
  repoDir: string;
  /** Where worktrees live: $OMNI_HOME/worktrees (outside the checkout). */
  root: string;
  /** The folder name under `root`: the child session's id. */
  id: string;
  /** The branch is `omni/<name>` (or `omni/<name>-2`, … when that one exists already). */
  name: string;
  /** A commit-ish; default: HEAD of `repoDir`. */
  base?: string;
}

export interface RepoInfo {
  /** The top level of the checkout `dir` is in (a linked worktree's own top level when it is one). */
  topLevel: string;
  /** The main repository's top level (for a bare repository, its git directory). */
  repo: string;
}

/** The checkout `dir` is in, and the main repository it belongs to; a clear error when it is none. */
export async function resolveRepo(git: GitRunner, dir: string): Promise<RepoInfo> {
  if (!fs.existsSync(dir)) throw new GitError(`${dir} does not exist`, [], '', -1);
  const top = await git(['rev-parse', '--show-toplevel'], { cwd: dir });
  if (top.exitCode !== 0) throw new GitError(`${dir} is not in a git repository (worktrees need one)`, ['rev-parse'], top.stderr, top.exitCode);
  const topLevel = top.stdout.trim();
  // --git-common-dir: the main repository's .git even from a linked worktree, so a worktree made
  // from a worktree still belongs to (and is listed by) the one repository.
  const common = await gitOk(git, ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: dir });
  const repo = path.basename(common) === '.git' ? path.dirname(common) : common;
  return { topLevel, repo };
}

/** The branch `ref` names, short (`main`, `origin/main`), or undefined when it is a sha, a tag, an expression. */
export async function branchNamed(git: GitRunner, cwd: string, ref: string): Promise<string | undefined> {
  const full = await git(['rev-parse', '--verify', '-q', '--symbolic-full-name', ref], { cwd });
  const name = full.stdout.trim();
  if (full.exitCode !== 0 || !/^refs\/(heads|remotes)\//.test(name)) return undefined;
  return name.replace(/^refs\/heads\//, '').replace(/^refs\/remotes\//, '');
}

/** The branch HEAD is on in `cwd`, or undefined when detached. */
export async function currentBranch(git: GitRunner, cwd: string): Promise<string | undefined> {
  const r = await git(['symbolic-ref', '--short', '-q', 'HEAD'], { cwd });
  return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** `omni/<name>`, or the first free `omni/<name>-N`: a stale branch of an earlier run is never reused or moved. */
async function freeBranch(git: GitRunner, repo: string, name: string): Promise<string> {
  const stem = `omni/${name}`;
  if (!(await gitTest(git, ['check-ref-format', '--branch', stem], { cwd: repo }))) {
    throw new GitError(`cannot make a branch from the name ${JSON.stringify(name)} (${stem} is not a valid branch name)`, [], '', -1);
  }
  for (let n = 1; n < 1000; n++) {
    const branch = n === 1 ? stem : `${stem}-${n}`;
    if (!(await gitTest(git, ['show-ref', '--verify', '-q', `refs/heads/${branch}`], { cwd: repo }))) return branch;
  }
  throw new GitError(`no free branch name for ${stem}`, [], '', -1);
}

/**
 * A new worktree at `<root>/<id>` on a new branch `omni/<name>` from `base` (default HEAD of
 * `repoDir`), in the main repository `repoDir` belongs to. Nothing in `repoDir` changes.
 */
export async function createWorktree(git: GitRunner, opts: CreateWorktreeOptions): Promise<SessionWorktree> {
  const { repo } = await resolveRepo(git, opts.repoDir);
  const baseSpec = opts.base ?? 'HEAD';
  const resolved = await git(['rev-parse', '--verify', '-q', `${baseSpec}^{commit}`], { cwd: opts.repoDir });
  if (resolved.exitCode !== 0) {
    throw new GitError(
      opts.base === undefined ? `${opts.repoDir}: HEAD has no commit yet (a worktree needs a base commit)` : `base ${JSON.stringify(opts.base)} is not a commit in ${repo}`,
      ['rev-parse', baseSpec],
      resolved.stderr,
      resolved.exitCode,
    );
  }
  const base = resolved.stdout.trim();
  const baseRef = opts.base === undefined ? await currentBranch(git, opts.repoDir) : await branchNamed(git, opts.repoDir, opts.base);
  const wtPath = path.join(opts.root, opts.id);
  if (fs.existsSync(wtPath)) throw new GitError(`${wtPath} exists already (a worktree is never made over a folder)`, [], '', -1);
  fs.mkdirSync(opts.root, { recursive: true });
  const branch = await freeBranch(git, repo, opts.name);
  await gitOk(git, ['worktree', 'add', '-b', branch, wtPath, base], { cwd: repo });
  return { repo, path: wtPath, branch, base, ...(baseRef ? { baseRef } : {}) };
}
