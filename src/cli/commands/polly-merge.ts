import type { OmniClient } from '../../client/api.js';
import { OmniError } from '../../core/errors.js';
import { isLive, type SessionRecord, type SessionWorktree } from '../../core/session.js';
import type { MergeItem, MergeResult } from '../../merge/types.js';
import { approvedTasks } from '../../polly/board-rows.js';
import type { PollyRun, PollyTask } from '../../polly/types.js';
import { recordedWorktree } from '../../polly/worktree.js';
import { clientPolly, type PollyApi } from '../../tui/polly/source.js';
import { createGitRunner } from '../../worktree/git.js';
import { client } from '../context.js';
import { printJson } from '../json-output.js';
import { cliMergeDeps, exitCodeOf, mergeSummary, runQueueInterruptibly } from './merge.js';

export interface PollyMergeOptions {
  /** Only these tasks (each must be approved); default: every approved task. */
  task?: string[];
  check?: string;
  yes?: boolean;
  json?: boolean;
}

/** What `omni polly merge` needs from the world; the command and the board's `m` pass the real ones, tests fakes. */
export interface PollyMergeDeps {
  api: Pick<PollyApi, 'run' | 'merged'>;
  /** Every session (ended ones too), for the workers' worktrees and whether they are live. */
  sessions(): Promise<SessionRecord[]>;
  stopSession(id: string): Promise<unknown>;
  /** The merge queue (src/merge) over these items into `into`, as `omni merge` runs it. */
  queue(o: { repo: string; into: string; items: MergeItem[]; check?: string; yes?: boolean }): Promise<MergeResult>;
  /** One line of progress (stderr from the command, the status line on the board). */
  progress(line: string): void;
  /** The caller's directory: `latest` is the newest run of its repository. */
  cwd: string;
}

export interface PollyMergeResult {
  run: string;
  /** The tasks handed to the queue, in plan order. */
  tasks: string[];
  /** The tasks recorded as merged in the run. */
  marked: string[];
  result: MergeResult;
}

/**
 * `omni polly merge`: the run's approved tasks (or the named ones, which must be approved), in
 * plan order, through the merge queue into the run's base; their workers are stopped first, so
 * the queue commits an ended worker's uncommitted work (Codex cannot commit inside its own
 * sandbox). A task whose branch reached the target is then recorded as merged. Polly never gets
 * here by itself: only a person's command or the board's `m` does.
 */
export async function pollyMerge(deps: PollyMergeDeps, ref: string, opts: PollyMergeOptions): Promise<PollyMergeResult> {
  const run = await deps.api.run(ref, deps.cwd);
  const tasks = pickTasks(run, opts.task);
  if (/^[0-9a-f]{40}$/.test(run.base)) {
    throw new OmniError(`run ${run.id} started on a detached HEAD (${run.base.slice(0, 10)}): there is no branch to merge into; merge its branches with omni merge --into BRANCH`, 'bad_request');
  }
  let sessions = await deps.sessions();
  const byId = (id: string) => sessions.find((s) => s.id === id);
  const live = tasks.flatMap((t) => {
    const rec = t.session && byId(t.session.session);
    return rec && isLive(rec.status) ? [rec] : [];
  });
  for (const rec of live) {
    deps.progress(`stopping ${rec.name}, the worker of ${taskOf(tasks, rec.id)}, so that its uncommitted work can be committed`);
    await deps.stopSession(rec.id);
  }
  if (live.length) sessions = await deps.sessions();
  const items = tasks.map((t) => itemOf(run, t, t.session && byId(t.session.session)));
  const result = await deps.queue({ repo: run.repo, into: run.base, items, check: opts.check ?? run.check, yes: opts.yes });
  // In the target only if it moved to the result, or had it all already (nothing new).
  const landed = result.updated || result.from === result.to;
  const marked: string[] = [];
  for (const o of result.outcomes) {
    if (o.outcome !== 'merged' || !landed) continue;
    await deps.api.merged(run.id, o.ref, o.commit ?? result.to);
    marked.push(o.ref);
  }
  return { run: run.id, tasks: tasks.map((t) => t.id), marked, result };
}

function pickTasks(run: PollyRun, named: readonly string[] | undefined): PollyTask[] {
  const all = run.tasks ?? [];
  if (!named?.length) {
    const ok = approvedTasks(run);
    if (!ok.length) {
      const states = all.map((t) => `${t.id} ${t.status}`).join(', ');
      throw new OmniError(`run ${run.id} has no approved task to merge${states ? ` (${states})` : ' (it is still planning)'}`, 'nothing_to_merge');
    }
    return ok;
  }
  for (const id of named) {
    const t = all.find((x) => x.id === id);
    if (!t) throw new OmniError(`run ${run.id} has no task "${id}" (tasks: ${all.map((x) => x.id).join(', ') || 'none yet'})`, 'not_found');
    if (t.status !== 'approved') throw new OmniError(`task ${id} is ${t.status.replace('_', ' ')}, not approved: approve it first (y on omni polly board, or its review)`, 'bad_request');
  }
  return all.filter((t) => named.includes(t.id)); // plan order, whatever order they were named in
}

function taskOf(tasks: readonly PollyTask[], session: string): string {
  return tasks.find((t) => t.session?.session === session)?.id ?? '?';
}

/** A task as a merge item: `ref` is the task id (the outcome names it); its worker, stopped, owns the branch. */
function itemOf(run: PollyRun, t: PollyTask, rec: SessionRecord | undefined): MergeItem {
  if (!t.session) throw new OmniError(`task ${t.id} has no worker branch to merge`, 'bad_request');
  const wt: SessionWorktree = rec?.worktree ?? recordedWorktree(run, t.session);
  return {
    ref: t.id,
    branch: wt.branch,
    session: { id: t.session.session, name: t.session.name, live: rec ? isLive(rec.status) : false },
    worktree: wt,
  };
}

/**
 * `omni polly merge [RUN] [--task T…] [--check CMD] [--yes] [--json]`: exit codes as `omni merge`
 * (0 all merged and the target updated; 1 some did not merge; 8 the target not updated for want
 * of a yes); 2 a named task that is not approved; 3 an unknown run or task.
 */
export async function pollyMergeCommand(ref: string | undefined, opts: PollyMergeOptions): Promise<number> {
  const c = await client();
  const label = 'omni polly merge';
  const r = await pollyMerge(cliPollyMergeDeps(c, clientPolly(c), { progress: (line) => process.stderr.write(`${label}: ${line}\n`), json: opts.json }), ref ?? 'latest', opts);
  if (opts.json) printJson(r);
  else process.stdout.write(`${mergeSummary(r.result)}${r.marked.length ? `; recorded as merged in ${r.run}: ${r.marked.join(', ')}` : ''}\n`);
  if (r.result.notUpdated) process.stderr.write(`${label}: ${r.result.notUpdated.message}\n`);
  return exitCodeOf(r.result);
}

/** The real world for pollyMerge: the daemon's sessions and stop route, and the queue `omni merge` runs. */
export function cliPollyMergeDeps(c: OmniClient, api: PollyApi, o: { progress: (line: string) => void; json?: boolean; interactive?: boolean }): PollyMergeDeps {
  const merge = { ...cliMergeDeps(c, createGitRunner(), 'omni polly merge'), progress: o.progress };
  return {
    api,
    sessions: async () => (await c.sessions(true)).sessions,
    stopSession: (id) => c.request(`/v1/sessions/${encodeURIComponent(id)}/stop`, { method: 'POST' }),
    queue: (q) => runQueueInterruptibly(merge, { ...q, json: o.json || o.interactive === false }),
    progress: o.progress,
    cwd: process.cwd(),
  };
}
