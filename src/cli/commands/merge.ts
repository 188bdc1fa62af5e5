import path from 'node:path';
import readline from 'node:readline/promises';
import type { OmniClient } from '../../client/api.js';
import { ExitCode, OmniError } from '../../core/errors.js';
import { findSession, isLive, preferLive } from '../../core/session.js';
import { runMergeQueue } from '../../merge/queue.js';
import { shellCheck } from '../../merge/check.js';
import type { MergeDeps, MergeItem, MergeOptions, MergeResult } from '../../merge/types.js';
import { currentBranch, resolveRepo } from '../../worktree/create.js';
import { createGitRunner, gitTest, type GitRunner } from '../../worktree/git.js';
import { client, paths } from '../context.js';
import { printJson } from '../output.js';
import { gitErrors, worktreeSessions, type WorktreeSession } from './worktree-sessions.js';

export interface MergeCommandOptions {
  into?: string;
  check?: string;
  yes?: boolean;
  json?: boolean;
}

/**
 * `omni merge <session|branch>… [--into BRANCH] [--check CMD] [--yes] [--json]` (docs/WORKTREES.md).
 * Exit 0: every branch merged and the target was updated (or had nothing new); 1: some branch did
 * not merge, or git refused to move the target; 8: the target was not updated for want of a yes.
 */
export async function mergeCommand(refs: string[], opts: MergeCommandOptions): Promise<number> {
  const git = createGitRunner();
  const sessions = await worktreeSessions();
  const { repo, items } = await gitErrors(() => resolveItems(git, sessions, refs, process.cwd()));
  const into = opts.into ?? (await currentBranch(git, repo));
  if (!into) throw new OmniError(`${repo} has no branch checked out (a detached HEAD): name the target with --into BRANCH`, 'bad_request');
  const deps = cliMergeDeps(await client(), git, 'omni merge');
  const result = await runQueueInterruptibly(deps, { repo, into, items, check: opts.check, yes: opts.yes, json: opts.json });
  return reportMerge(result, { json: opts.json, label: 'omni merge' });
}

/**
 * The merge queue's dependencies as the CLI has them (`omni merge`, `omni polly merge`): real
 * git and checks, a live session told through the daemon's input route, progress on stderr,
 * the confirmation asked on the terminal.
 */
export function cliMergeDeps(c: OmniClient, git: GitRunner, label: string): MergeDeps {
  return {
    git,
    now: () => new Date(),
    check: (cmd, cwd) => shellCheck(cmd, cwd),
    notify: async (id, text) => {
      await c.request(`/v1/sessions/${encodeURIComponent(id)}/input`, { body: { text, submit: true } });
    },
    progress: (line) => process.stderr.write(`${label}: ${line}\n`),
    confirm: ask,
  };
}

/** Run the queue from a command: interactive on a terminal without --json, stopped cleanly by Ctrl-C, git's failures as omni errors. */
export async function runQueueInterruptibly(
  deps: MergeDeps,
  o: Omit<MergeOptions, 'workRoot' | 'interactive' | 'signal'> & { json?: boolean },
  queue: typeof runMergeQueue = runMergeQueue,
): Promise<MergeResult> {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !o.json;
  // Ctrl-C: the git or check running now gets it too and fails; the queue stops before the next
  // branch, removes its integration worktree, and leaves the target where it was.
  const abort = new AbortController();
  const onInt = () => abort.abort();
  process.on('SIGINT', onInt);
  try {
    return await gitErrors(() =>
      queue(deps, { repo: o.repo, into: o.into, items: o.items, check: o.check, workRoot: path.join(paths().home, 'merge'), yes: o.yes, interactive, signal: abort.signal }),
    );
  } finally {
    process.off('SIGINT', onInt);
  }
}

/** The result on stdout (JSON or the summary line), why the target stayed on stderr; the exit code. */
export function reportMerge(result: MergeResult, o: { json?: boolean; label: string }): number {
  if (o.json) printJson(result);
  else process.stdout.write(mergeSummary(result) + '\n');
  if (result.notUpdated) process.stderr.write(`${o.label}: ${result.notUpdated.message}\n`);
  return exitCodeOf(result);
}

export function exitCodeOf(r: MergeResult): number {
  if (r.notUpdated && r.notUpdated.reason !== 'git_refused') return ExitCode.forbidden;
  if (r.notUpdated || r.outcomes.some((o) => o.outcome !== 'merged')) return ExitCode.error;
  return ExitCode.ok;
}

export function mergeSummary(r: MergeResult): string {
  const failed = r.outcomes.filter((o) => o.outcome !== 'merged');
  const head = r.updated
    ? `${r.into} is now ${r.to.slice(0, 10)} (was ${r.from.slice(0, 10)})`
    : `${r.into} stays at ${r.from.slice(0, 10)}`;
  return `${head}: ${r.merged.length} merged${failed.length ? `, ${failed.length} not (${failed.map((o) => `${o.ref}: ${o.outcome}`).join(', ')})` : ''}`;
}

/**
 * Each ref: a session with a worktree (id or name), else a local branch of the repository (the
 * sessions' one, or the cwd's); a branch that is a session's gets that session (so it is told).
 */
export async function resolveItems(git: GitRunner, sessions: readonly WorktreeSession[], refs: readonly string[], cwd: string): Promise<{ repo: string; items: MergeItem[] }> {
  const bySession = refs.map((ref) => findSession(sessions, ref));
  const repos = new Set(bySession.flatMap((s) => (s ? [s.worktree.repo] : [])));
  if (repos.size > 1) throw new OmniError(`these sessions' worktrees belong to different repositories (${[...repos].join(', ')}): merge them one repository at a time`, 'bad_request');
  const repo = [...repos][0] ?? (await resolveRepo(git, cwd)).repo;
  const items: MergeItem[] = [];
  for (const [i, ref] of refs.entries()) {
    let s = bySession[i];
    if (!s) {
      if (!(await gitTest(git, ['show-ref', '--verify', '-q', `refs/heads/${ref}`], { cwd: repo }))) {
        const known = [...new Set(sessions.map((x) => x.name))];
        throw new OmniError(`no session with a worktree and no branch named "${ref}" in ${repo}${known.length ? ` (sessions with a worktree: ${known.join(', ')})` : ''}`, 'unknown_session');
      }
      s = preferLive(sessions.filter((x) => x.worktree.repo === repo && x.worktree.branch === ref));
    }
    items.push({
      ref,
      branch: s ? s.worktree.branch : ref,
      ...(s ? { session: { id: s.id, name: s.name, live: isLive(s.status) }, worktree: s.worktree } : {}),
    });
  }
  return { repo, items };
}

/** y/yes is yes; anything else, end of input or Ctrl-C is no. */
async function ask(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const ac = new AbortController();
  rl.on('SIGINT', () => ac.abort());
  rl.on('close', () => ac.abort());
  try {
    return /^y(es)?$/i.test((await rl.question(question, { signal: ac.signal })).trim());
  } catch {
    process.stdout.write('\n');
    return false;
  } finally {
    rl.close();
  }
}
