import { ExitCode, OmniError } from '../../core/errors.js';
import type { PollyRun, PollyStartRequest } from '../../polly/types.js';
import { boardHeader } from '../../polly/board-rows.js';
import { clientPolly } from '../../tui/polly/source.js';
import { client } from '../context.js';
import { age, makeChalk, printJson, table } from '../output.js';

export interface PollyStartOptions {
  workers?: string;
  reviewers?: string;
  check?: string;
  parallel?: string;
  rounds?: string;
  lead?: string;
  detach?: boolean;
  json?: boolean;
}

/** `a,b, c` → [a, b, c]; undefined stays undefined (the daemon's default). */
export function nameList(v: string | undefined, flag: string): string[] | undefined {
  if (v === undefined) return undefined;
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!names.length) throw new OmniError(`${flag} needs at least one harness name (e.g. ${flag} claude,codex)`, 'bad_request');
  return names;
}

export function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new OmniError(`${flag} takes a whole number of at least 1, not "${v}"`, 'bad_request');
  return n;
}

/** The request `omni polly "goal"` sends: the caller's directory and environment, the flags. */
export function startRequest(goal: string, opts: PollyStartOptions, cwd: string, env: NodeJS.ProcessEnv): PollyStartRequest {
  if (!goal.trim()) throw new OmniError('omni polly needs a goal: omni polly "add rate limiting to the API"', 'bad_request');
  const req: PollyStartRequest = { goal, cwd, env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)) };
  const workers = nameList(opts.workers, '--workers');
  const reviewers = nameList(opts.reviewers, '--reviewers');
  const parallel = positiveInt(opts.parallel, '--parallel');
  const rounds = positiveInt(opts.rounds, '--rounds');
  if (workers) req.workers = workers;
  if (reviewers) req.reviewers = reviewers;
  if (opts.check) req.check = opts.check;
  if (parallel) req.parallel = parallel;
  if (rounds) req.rounds = rounds;
  if (opts.lead) req.lead = opts.lead;
  return req;
}

/**
 * `omni polly "goal"`: start a run (POST /v1/polly); on a terminal, open its board; with
 * --detach, --json or no terminal, print the run id (`--json`: {run}) and return.
 */
export async function pollyStartCommand(goal: string, opts: PollyStartOptions): Promise<number> {
  const req = startRequest(goal, opts, process.cwd(), process.env);
  const api = clientPolly(await client());
  const run = await api.start(req);
  if (opts.json) {
    printJson({ run });
    return ExitCode.ok;
  }
  if (opts.detach || !process.stdout.isTTY || !process.stdin.isTTY) {
    process.stdout.write(`${run.id}\n`);
    if (process.stderr.isTTY) process.stderr.write(`omni polly: started ${run.id} (lead ${run.lead.name}, ${run.lead.harness}); omni polly board ${run.id} follows it\n`);
    return ExitCode.ok;
  }
  return (await import('./polly-board.js')).pollyBoardCommand(run.id, {});
}

/** `omni polly ls`: every run, newest first. */
export async function pollyLsCommand(opts: { json?: boolean }): Promise<number> {
  const runs = await clientPolly(await client()).runs();
  if (opts.json) {
    printJson(runs);
    return ExitCode.ok;
  }
  if (!runs.length) {
    process.stdout.write('No Polly runs (start one: omni polly "goal")\n');
    return ExitCode.ok;
  }
  const c = makeChalk();
  process.stdout.write(table([['RUN', 'STATUS', 'TASKS', 'COST', 'AGE', 'GOAL'], ...runs.map((r) => runLine(r))], c) + '\n');
  return ExitCode.ok;
}

function runLine(r: PollyRun): string[] {
  const h = boardHeader(r);
  const goal = r.goal.replace(/\s+/g, ' ');
  return [r.id, r.status, h.counts || '-', r.costUsd ? `$${r.costUsd.toFixed(2)}` : '-', age(r.createdAt), goal.length > 60 ? goal.slice(0, 59) + '…' : goal];
}

/** `omni polly stop [RUN]`: stop every live session of the run; unfinished tasks are stopped. */
export async function pollyStopCommand(ref: string | undefined, opts: { json?: boolean }): Promise<number> {
  const api = clientPolly(await client());
  const id = (await api.run(ref ?? 'latest', process.cwd())).id;
  const run = await api.stop(id);
  if (opts.json) printJson({ run });
  else process.stdout.write(`stopped ${id}${run ? ` (${boardHeader(run).counts || 'no tasks'})` : ''}\n`);
  return ExitCode.ok;
}
