import type { PollyTask } from './types.js';

// CONTRACT STUB (helper polly-core implements; signatures fixed, see /work/briefs15/design.md).

export interface PlanContext {
  /** The run's worker harnesses, in order (a task without `worker` gets them in turn). */
  workers: readonly string[];
  /** The run's reviewer harnesses. */
  reviewers: readonly string[];
  /** A harness's vendor (adapter data). */
  vendorOf(harness: string): string;
}

export type PlanCheck = { ok: true; tasks: PollyTask[] } | { ok: false; errors: string[] };

/** The plan in the lead's turn (the last ```json block, or the last JSON object with "tasks"), validated. */
export function planFromText(text: string, ctx: PlanContext): PlanCheck {
  void text;
  void ctx;
  throw new Error('not implemented');
}

/** A plan's JSON checked and turned into tasks (status waiting/ready, `after`, `harness`, round 0). */
export function validatePlan(raw: unknown, ctx: PlanContext): PlanCheck {
  void raw;
  void ctx;
  throw new Error('not implemented');
}

/** Waiting tasks whose `after` are all approved or merged become ready; returns the ids changed. Mutates. */
export function promoteReady(tasks: PollyTask[]): string[] {
  void tasks;
  throw new Error('not implemented');
}

/** Ready tasks to start now, in plan order: as many as `parallel` leaves room for (working + reviewing count). */
export function tasksToStart(tasks: readonly PollyTask[], parallel: number): string[] {
  void tasks;
  void parallel;
  throw new Error('not implemented');
}

/** Where a task's worktree starts: its one prerequisite's branch when it has exactly one, else the run's base. */
export function baseFor(task: PollyTask, tasks: readonly PollyTask[], runBase: string): string {
  void task;
  void tasks;
  void runBase;
  throw new Error('not implemented');
}
