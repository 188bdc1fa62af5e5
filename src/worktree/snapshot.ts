import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gitOk, type GitRunner } from './git.js';

/**
 * Run `fn` with a temporary index holding everything in the worktree at `cwd` (HEAD, plus
 * uncommitted and untracked files, minus ignored ones), so a diff or a save sees the whole
 * worktree without touching its own index (what the agent has staged stays staged).
 */
export async function withWorktreeIndex<T>(git: GitRunner, cwd: string, fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-index-'));
  const env = { GIT_INDEX_FILE: path.join(dir, 'index') };
  try {
    await gitOk(git, ['read-tree', 'HEAD'], { cwd, env });
    await gitOk(git, ['add', '-A'], { cwd, env });
    return await fn(env);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The tree of the whole worktree at `cwd` (see withWorktreeIndex), written to the object store. */
export async function worktreeTree(git: GitRunner, cwd: string): Promise<string> {
  return withWorktreeIndex(git, cwd, (env) => gitOk(git, ['write-tree'], { cwd, env }));
}
