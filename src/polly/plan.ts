import { overlapChecker } from './files-overlap.js';
import { isObject, jsonCandidates, lastFitting } from './json-text.js';
import { routingErrors } from './routing.js';
import type { PollyTask } from './types.js';

/**
 * The lead's plan (docs/POLLY.md "The plan"): read from its answer, checked, turned into tasks
 * and sequenced. Errors are sentences omni types back to the lead, so each says what to change.
 * Pure.
 */

export interface PlanContext {
  /** The run's worker harnesses, in order (a task without `worker` gets them in turn). */
  workers: readonly string[];
  /** The run's reviewer harnesses. */
  reviewers: readonly string[];
  /** A harness's vendor (adapter data). */
  vendorOf(harness: string): string;
}

export { filesOverlap, pathsOverlap } from './files-overlap.js';

export type PlanCheck = { ok: true; tasks: PollyTask[] } | { ok: false; errors: string[] };

export const MAX_TASKS = 20;
export const TASK_ID = /^[A-Za-z0-9_-]{1,40}$/;

const hasTasks = (v: unknown) => isObject(v) && 'tasks' in v;

/** The plan in the lead's turn (the last ```json block, or the last JSON object with "tasks"), validated. */
export function planFromText(text: string, ctx: PlanContext): PlanCheck {
  const candidates = jsonCandidates(String(text));
  const pick =
    lastFitting(candidates, hasTasks) ??
    // A fenced block without "tasks" (a bare array of tasks, a misspelt key) still gets its errors.
    candidates.fenced.at(-1);
  if (!pick) {
    return {
      ok: false,
      errors: ['I found no plan in your answer: end it with a ```json block holding {"tasks": [{"id", "title", "brief", "files", "depends_on", "worker"}]}'],
    };
  }
  return validatePlan(pick.value, ctx);
}

const list = (xs: readonly string[]) => (xs.length ? xs.join(', ') : 'none');

function stringList(raw: unknown, what: string, where: string, errors: string[]): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.some((x) => typeof x !== 'string' || !x.trim())) {
    errors.push(`${where}: "${what}" must be an array of non-empty strings`);
    return undefined;
  }
  return (raw as string[]).map((x) => x.trim());
}

/** A plan's JSON checked and turned into tasks (status waiting/ready, `after`, `harness`, round 0). */
export function validatePlan(raw: unknown, ctx: PlanContext): PlanCheck {
  const errors: string[] = [];
  const rawTasks = Array.isArray(raw) ? raw : isObject(raw) ? raw.tasks : undefined;
  if (!Array.isArray(rawTasks)) return { ok: false, errors: ['the plan must be a JSON object {"tasks": [...]}, with "tasks" an array of tasks'] };
  if (rawTasks.length === 0) return { ok: false, errors: ['the plan has no tasks: "tasks" must list at least one'] };
  if (rawTasks.length > MAX_TASKS) return { ok: false, errors: [`the plan has ${rawTasks.length} tasks; at most ${MAX_TASKS} are allowed: merge small tasks`] };
  if (ctx.workers.length === 0) return { ok: false, errors: ['the run has no worker harnesses to give tasks to'] };

  // Ids first, so later messages can name them.
  const ids = rawTasks.map((t) => (isObject(t) && typeof t.id === 'string' ? t.id.trim() : undefined));
  const known = ids.filter((x): x is string => !!x && TASK_ID.test(x));
  const idsText = list([...new Set(known)]);
  const seen = new Set<string>();
  const tasks: PollyTask[] = [];
  let turn = 0;
  rawTasks.forEach((t, i) => {
    const id = ids[i];
    const where = id ? `task ${id}` : `task ${i + 1}`;
    if (!isObject(t)) {
      errors.push(`${where} is not an object: write {"id": "t${i + 1}", "title": "...", "brief": "..."}`);
      return;
    }
    let ok = true;
    if (!id) {
      errors.push(`task ${i + 1} has no "id": give it a short id such as "t${i + 1}"`);
      ok = false;
    } else if (!TASK_ID.test(id)) {
      errors.push(`${where}: the id must be 1 to 40 letters, digits, - or _`);
      ok = false;
    } else if (seen.has(id)) {
      errors.push(`${where}: the id is used by an earlier task; ids must be unique`);
      ok = false;
    }
    if (id) seen.add(id);
    for (const key of ['title', 'brief'] as const) {
      if (typeof t[key] !== 'string' || !(t[key] as string).trim()) {
        errors.push(`${where}: "${key}" must be a non-empty string`);
        ok = false;
      }
    }
    const files = stringList(t.files, 'files', where, errors);
    const deps = stringList(t.depends_on, 'depends_on', where, errors);
    if ((t.files != null && !files) || (t.depends_on != null && !deps)) ok = false;
    for (const d of deps ?? []) {
      if (d === id) {
        errors.push(`${where}: depends_on names the task itself`);
        ok = false;
      } else if (!known.includes(d)) {
        errors.push(`${where}: depends_on names ${d}, which is not in the plan (tasks: ${idsText})`);
        ok = false;
      }
    }
    let harness: string;
    if (t.worker !== undefined && t.worker !== null) {
      if (typeof t.worker !== 'string' || !ctx.workers.includes(t.worker.trim())) {
        errors.push(`${where}: worker ${JSON.stringify(t.worker)} is not one of this run's workers (${list([...ctx.workers])})`);
        ok = false;
      }
      harness = String(t.worker).trim();
    } else {
      harness = ctx.workers[turn++ % ctx.workers.length]!;
    }
    if (!ok || !id) return;
    const task: PollyTask = { id, title: (t.title as string).trim(), brief: t.brief as string, status: 'waiting', after: [], harness, round: 0, reviews: [] };
    if (files) task.files = files;
    if (deps) task.depends_on = [...new Set(deps)];
    if (typeof t.worker === 'string') task.worker = harness;
    tasks.push(task);
  });
  if (errors.length) return { ok: false, errors };

  const cycle = findCycle(tasks);
  if (cycle) errors.push(`depends_on has a cycle: ${cycle.join(' → ')}; a task cannot wait for itself`);

  // Every worker harness used must have a reviewer of another vendor.
  const byHarness = new Map<string, string[]>();
  for (const t of tasks) byHarness.set(t.harness, [...(byHarness.get(t.harness) ?? []), t.id]);
  const reviewers = ctx.reviewers.map((h) => ({ harness: h, vendor: ctx.vendorOf(h) }));
  for (const [h, ts] of byHarness) {
    for (const e of routingErrors([{ harness: h, vendor: ctx.vendorOf(h) }], reviewers)) {
      errors.push(`task${ts.length > 1 ? 's' : ''} ${ts.join(', ')}: ${e}; give ${ts.length > 1 ? 'them' : 'it'} another "worker"`);
    }
  }
  if (errors.length) return { ok: false, errors };

  sequence(tasks);
  return { ok: true, tasks };
}

/** A cycle in depends_on as the ids along it (first id repeated at the end), or undefined. */
function findCycle(tasks: readonly PollyTask[]): string[] | undefined {
  const deps = new Map(tasks.map((t) => [t.id, t.depends_on ?? []]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'open') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'open');
    path.push(id);
    for (const d of deps.get(id) ?? []) {
      const c = visit(d);
      if (c) return c;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const t of tasks) {
    const c = visit(t.id);
    if (c) return c;
  }
  return undefined;
}

/** `after` = depends_on ∪ earlier tasks whose files overlap; status ready when empty. Mutates. */
export function sequence(tasks: PollyTask[]): void {
  const overlap = overlapChecker();
  tasks.forEach((t, i) => {
    const after = new Set(t.depends_on ?? []);
    for (const earlier of tasks.slice(0, i)) {
      if ((t.files ?? []).some((a) => (earlier.files ?? []).some((b) => overlap(a, b)))) after.add(earlier.id);
    }
    t.after = tasks.filter((x) => after.has(x.id)).map((x) => x.id);
    t.status = t.after.length ? 'waiting' : 'ready';
  });
}

const DONE = new Set(['approved', 'merged']);

/** Waiting tasks whose `after` are all approved or merged become ready; returns the ids changed. Mutates. */
export function promoteReady(tasks: PollyTask[]): string[] {
  const status = new Map(tasks.map((t) => [t.id, t.status]));
  const changed: string[] = [];
  for (const t of tasks) {
    if (t.status !== 'waiting') continue;
    if (t.after.every((id) => DONE.has(status.get(id) ?? ''))) {
      t.status = 'ready';
      changed.push(t.id);
    }
  }
  return changed;
}

/** Ready tasks to start now, in plan order: as many as `parallel` leaves room for (working + reviewing count). */
export function tasksToStart(tasks: readonly PollyTask[], parallel: number): string[] {
  // A parallel below 1 (or not a number) would start nothing ever: treat it as 1.
  const cap = Number.isFinite(parallel) ? Math.max(1, Math.floor(parallel)) : 1;
  const busy = tasks.filter((t) => t.status === 'working' || t.status === 'reviewing').length;
  const room = Math.max(0, cap - busy);
  return tasks.filter((t) => t.status === 'ready').slice(0, room).map((t) => t.id);
}

/**
 * Where a task's worktree starts: its one prerequisite's branch when it has exactly one, else the
 * run's base. A prerequisite already merged is in the base, so the base it is.
 */
export function baseFor(task: PollyTask, tasks: readonly PollyTask[], runBase: string): string {
  if (task.after.length !== 1) return runBase;
  const pre = tasks.find((t) => t.id === task.after[0]);
  if (!pre || pre.status === 'merged' || !pre.session?.branch) return runBase;
  return pre.session.branch;
}
