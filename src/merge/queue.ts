import fs from 'node:fs';
import path from 'node:path';
import { GitError, gitOk, gitTest, identityArgs, type GitRunner } from '../worktree/git.js';
import { worktreeExists } from '../worktree/inspect.js';
import { saveUncommitted } from '../worktree/remove.js';
import { outcomeLine, stoppedMessage, tail } from './messages.js';
import type { MergeDeps, MergeItem, MergeOptions, MergeOutcome, MergeResult } from './types.js';

/**
 * The merge queue (docs/WORKTREES.md): in a scratch worktree detached at the target's tip, each
 * branch in turn is rebased onto the result so far and checked; a conflict or a failing check
 * drops that branch (its session is told why) and the queue goes on. The target moves only at the
 * end, only after a person (or --yes) agrees, only fast-forward. Nothing is pushed, nothing forced.
 */
export async function runMergeQueue(deps: MergeDeps, opts: MergeOptions): Promise<MergeResult> {
  const { git } = deps;
  const targetRef = `refs/heads/${opts.into}`;
  if (!(await gitTest(git, ['show-ref', '--verify', '-q', targetRef], { cwd: opts.repo }))) {
    throw new GitError(`no branch ${opts.into} in ${opts.repo} to merge into`, [], '', -1);
  }
  const from = await gitOk(git, ['rev-parse', targetRef], { cwd: opts.repo });
  const dir = path.join(opts.workRoot, stamp(deps.now()));
  fs.mkdirSync(opts.workRoot, { recursive: true });
  deps.progress(`merging ${opts.items.length} branch${opts.items.length === 1 ? '' : 'es'} into ${opts.into} (${from.slice(0, 10)}) in ${dir}`);
  await gitOk(git, [...NO_HOOKS, 'worktree', 'add', '--detach', dir, from], { cwd: opts.repo });
  try {
    const outcomes: MergeOutcome[] = [];
    for (const item of opts.items) {
      interrupted(opts);
      const o = await mergeOne(deps, opts, dir, item);
      outcomes.push(o);
      deps.progress(outcomeLine(o));
    }
    const to = await gitOk(git, ['rev-parse', 'HEAD'], { cwd: dir });
    const merged = outcomes.filter((o) => o.outcome === 'merged').map((o) => o.ref);
    const result: MergeResult = { into: opts.into, merged, outcomes, updated: false, from, to };
    if (to === from) {
      deps.progress(`nothing new to put on ${opts.into}; it stays at ${from.slice(0, 10)}`);
      return result;
    }
    const question = `Update ${opts.into} from ${from.slice(0, 10)} to ${to.slice(0, 10)} (${merged.join(', ')})? [y/N] `;
    if (!opts.yes) {
      if (!opts.interactive) {
        return { ...result, notUpdated: { reason: 'no_terminal', message: `no terminal to confirm on: ${opts.into} was not updated (pass --yes to update it from a script)` } };
      }
      if (!(await deps.confirm(question))) return { ...result, notUpdated: { reason: 'declined', message: `not confirmed: ${opts.into} stays at ${from.slice(0, 10)}` } };
    }
    interrupted(opts);
    const refused = await updateTarget(git, opts.repo, opts.into, from, to);
    if (refused) return { ...result, notUpdated: { reason: 'git_refused', message: refused } };
    deps.progress(`updated ${opts.into}: ${from.slice(0, 10)} → ${to.slice(0, 10)}`);
    return { ...result, updated: true };
  } finally {
    await git(['worktree', 'remove', '--force', dir], { cwd: opts.repo });
    fs.rmSync(dir, { recursive: true, force: true });
    await git(['worktree', 'prune'], { cwd: opts.repo });
  }
}

function interrupted(opts: MergeOptions): void {
  if (opts.signal?.aborted) throw new GitError(`interrupted: ${opts.into} was not updated`, [], '', -1);
}

/**
 * The repository's hooks stay out of the integration worktree (a post-checkout that installs, a
 * post-rewrite that pushes): the `--check` is the gate there. Your own checkout's hooks still run.
 */
const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null'];

/** `20261205T181530123Z`: sortable, one folder per run. */
const stamp = (d: Date) => d.toISOString().replace(/[-:.]/g, '');

async function mergeOne(deps: MergeDeps, opts: MergeOptions, dir: string, item: MergeItem): Promise<MergeOutcome> {
  const { git } = deps;
  const base: MergeOutcome = { ref: item.ref, branch: item.branch, outcome: 'skipped', ...(item.session ? { session: item.session.id } : {}) };
  const ref = `refs/heads/${item.branch}`;
  if (!(await gitTest(git, ['show-ref', '--verify', '-q', ref], { cwd: opts.repo }))) return { ...base, reason: `no branch ${item.branch}` };

  let savedCommit: string | undefined;
  if (item.worktree && (await worktreeExists(git, item.worktree))) {
    const dirty = (await gitOk(git, ['status', '--porcelain', '--untracked-files=all'], { cwd: item.worktree.path })) !== '';
    if (dirty && item.session?.live) {
      return { ...base, reason: `session ${item.session.name} is live with uncommitted changes in ${item.worktree.path} (let it commit, or stop it first)` };
    }
    if (dirty) {
      const who = item.session ? `session ${item.session.name} (${item.session.id}), which has ended` : item.worktree.path;
      savedCommit = await saveUncommitted(git, item.worktree, `omni merge: uncommitted work left by ${who}, committed before merging`);
      if (savedCommit) deps.progress(`committed the uncommitted work of ${item.ref} on ${item.branch} first (${savedCommit.slice(0, 10)})`);
    }
  }
  const withSave = savedCommit ? { ...base, savedCommit } : base;

  const before = await gitOk(git, ['rev-parse', 'HEAD'], { cwd: dir });
  deps.progress(`rebasing ${item.branch} onto ${before.slice(0, 10)}…`);
  await gitOk(git, [...NO_HOOKS, 'checkout', '-q', '--detach', ref], { cwd: dir });
  const id = await identityArgs(git, dir);
  const rebase = await git([...NO_HOOKS, ...id, 'rebase', '--no-verify', '--no-autostash', before], { cwd: dir });
  if (rebase.exitCode !== 0) {
    interrupted(opts); // a Ctrl-C that killed the rebase is no conflict to tell anyone about
    const files = (await git(['diff', '--name-only', '--diff-filter=U'], { cwd: dir })).stdout.split('\n').filter(Boolean);
    await git([...NO_HOOKS, 'rebase', '--abort'], { cwd: dir });
    await gitOk(git, [...NO_HOOKS, 'checkout', '-q', '--force', '--detach', before], { cwd: dir });
    const o: MergeOutcome = { ...withSave, outcome: 'conflict', files, output: tail(`${rebase.stdout}\n${rebase.stderr}`.trim()) };
    return tell(deps, opts, item, o);
  }
  const after = await gitOk(git, ['rev-parse', 'HEAD'], { cwd: dir });
  if (after === before) return { ...withSave, outcome: 'merged', commit: after, reason: `nothing new: already in ${opts.into}` };
  if (opts.check) {
    deps.progress(`checking ${item.branch}: ${opts.check}`);
    const r = await deps.check(opts.check, dir);
    if (r.exitCode !== 0) {
      interrupted(opts);
      await gitOk(git, [...NO_HOOKS, 'reset', '-q', '--hard', before], { cwd: dir });
      await git(['clean', '-fdq'], { cwd: dir });
      const o: MergeOutcome = { ...withSave, outcome: 'check_failed', output: tail(r.output), reason: `exit ${r.exitCode}` };
      return tell(deps, opts, item, o);
    }
  }
  return { ...withSave, outcome: 'merged', commit: after };
}

/** Message the branch's session, if it has one that is still live; `told` says which happened. */
async function tell(deps: MergeDeps, opts: MergeOptions, item: MergeItem, o: MergeOutcome): Promise<MergeOutcome> {
  if (!item.session) return o;
  if (!item.session.live) return { ...o, told: false };
  try {
    await deps.notify(item.session.id, stoppedMessage(item, o, opts.into, opts.check));
    return { ...o, told: true };
  } catch (err) {
    deps.progress(`could not tell ${item.session.name}: ${(err as Error).message}`);
    return { ...o, told: false };
  }
}

/**
 * Fast-forward the target to `to`: with `git merge --ff-only` in the checkout that has it checked
 * out (so that checkout's files follow), else `git update-ref` guarded by its old value. A string
 * says why it was refused (the target moved, the checkout's changes are in the way).
 */
async function updateTarget(git: GitRunner, repo: string, into: string, from: string, to: string): Promise<string | undefined> {
  const checkout = await checkoutOf(git, repo, into);
  if (checkout) {
    const r = await git(['merge', '--ff-only', '-q', to], { cwd: checkout });
    if (r.exitCode === 0) return undefined;
    return `git merge --ff-only in ${checkout} refused (${oneLine(r.stderr || r.stdout)}); ${into} was not updated — the result is ${to}`;
  }
  const r = await git(['update-ref', '-m', 'omni merge', `refs/heads/${into}`, to, from], { cwd: repo });
  if (r.exitCode === 0) return undefined;
  return `${into} moved while the queue ran (${oneLine(r.stderr)}); it was not updated — the result is ${to}`;
}

const oneLine = (s: string) => s.trim().split('\n').slice(-4).join(' ');

/** The worktree (main checkout or linked) that has `branch` checked out, if any. */
export async function checkoutOf(git: GitRunner, repo: string, branch: string): Promise<string | undefined> {
  const list = await gitOk(git, ['worktree', 'list', '--porcelain'], { cwd: repo });
  let current: string | undefined;
  for (const line of list.split('\n')) {
    if (line.startsWith('worktree ')) current = line.slice('worktree '.length);
    else if (line === `branch refs/heads/${branch}` && current) return current;
  }
  return undefined;
}
