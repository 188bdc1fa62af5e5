import type { PollyRun, PollyTask, Review } from './types.js';

// CONTRACT STUB (helper polly-core implements; signatures fixed, see /work/briefs15/design.md).
// Every text omni types into a Polly session. Plain text, no ANSI; each names what omni expects back.

/** The lead's first prompt: the goal, the workers it may plan for, and the plan's JSON shape. */
export function leadPrompt(run: Pick<PollyRun, 'goal' | 'workers' | 'reviewers' | 'parallel'>): string {
  void run;
  throw new Error('not implemented');
}

/** The plan was refused: why, and the JSON shape again. */
export function planRefused(errors: readonly string[]): string {
  void errors;
  throw new Error('not implemented');
}

/** The plan was accepted: what omni runs, in which order (the lead writes no code and merges nothing). */
export function planAccepted(tasks: readonly PollyTask[]): string {
  void tasks;
  throw new Error('not implemented');
}

/** A worker's first prompt: the goal, its task's brief and files; commit, do not merge or push. */
export function workerPrompt(task: PollyTask, goal: string): string {
  void task;
  void goal;
  throw new Error('not implemented');
}

/** A reviewer's prompt: the task's brief and the diff (not the worktree); the verdict's JSON shape. */
export function reviewerPrompt(task: PollyTask, diff: string, opts: { round: number; truncated?: boolean }): string {
  void task;
  void diff;
  void opts;
  throw new Error('not implemented');
}

/** The reviewer's answer had no verdict omni could read: why, and the shape again. */
export function verdictUnreadable(error: string): string {
  void error;
  throw new Error('not implemented');
}

/** To the worker: the reviewer asked for changes (its findings); fix them and commit. */
export function changesRequested(review: Review, maxRounds: number): string {
  void review;
  void maxRounds;
  throw new Error('not implemented');
}

/** To the worker: a person sent the task back with a note. */
export function sentBack(note: string): string {
  void note;
  throw new Error('not implemented');
}
