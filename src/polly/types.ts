/**
 * Polly's data (docs/POLLY.md): a run, its plan, its tasks, reviews. The daemon keeps a run in
 * `$OMNI_HOME/polly/<run id>/run.json`; `GET /v1/polly/:run` answers it (with costs filled in),
 * `omni polly board --json` prints it. Field names are a contract: add fields, never rename.
 */

/** One task as the lead plans it (the plan's JSON, checked by `validatePlan` in plan.ts). */
export interface PlanTask {
  /** Short id, unique in the plan: letters, digits, - and _ (e.g. "t1", "rate-limit-mw"). */
  id: string;
  title: string;
  /** What the worker is told to do: the task's brief. */
  brief: string;
  /** Files (paths relative to the repo root, or globs) the task expects to touch. */
  files?: string[];
  /** Ids of tasks that must be approved before this one starts. */
  depends_on?: string[];
  /** The harness that should do it (one of the run's workers); default: the run's workers in turn. */
  worker?: string;
}

export interface Plan {
  tasks: PlanTask[];
}

/**
 * waiting: waits for the tasks in `after`; ready: may start, waits for a free slot (parallel);
 * working: its worker has the turn; reviewing: a reviewer has the diff; approved: review (or a
 * person) approved, waits for `omni polly merge`; needs_person: stopped for a person (`reason`:
 * rounds used up, a verdict that would not parse, a worker that ended, a merge that failed);
 * merged: in the target branch; stopped: the run was stopped before it finished.
 */
export type TaskStatus = 'waiting' | 'ready' | 'working' | 'reviewing' | 'approved' | 'needs_person' | 'merged' | 'stopped';

export type Severity = 'blocker' | 'major' | 'minor' | 'nit';

export interface Finding {
  file?: string;
  line?: number;
  severity: Severity;
  text: string;
}

/** What a reviewer answers (parsed by `parseVerdict` in verdict.ts). */
export interface Verdict {
  verdict: 'approve' | 'changes';
  findings: Finding[];
  summary?: string;
}

export interface SessionRef {
  /** s_… */
  session: string;
  name: string;
  harness: string;
}

export interface Review extends Verdict {
  round: number;
  reviewer: SessionRef & { vendor: string };
  at: string;
}

export interface DiffStat {
  files: number;
  insertions: number;
  deletions: number;
}

export interface PollyTask extends PlanTask {
  status: TaskStatus;
  /** Tasks it waits for: depends_on, plus earlier tasks that touch the same files (sequenced). */
  after: string[];
  /** The harness chosen for its worker (the plan's `worker`, else the run's workers in turn). */
  harness: string;
  /** Its worker session, once started (the same session for every round). */
  session?: SessionRef & { vendor: string; branch: string; worktree: string; base: string };
  /** Reviews done so far: round 1, 2, … */
  round: number;
  reviews: Review[];
  diffstat?: DiffStat;
  /** Why it waits for a person (needs_person), or was stopped. */
  reason?: string;
  /** Who approved it: the last review, or a person (board key / API). */
  approvedBy?: 'review' | 'person';
  /** Once merged: the commit of the target after it. */
  merged?: { commit: string; at: string };
  /** Filled on read: own cost of its worker and reviewers, USD. */
  costUsd?: number;
}

export type RunStatus = 'planning' | 'running' | 'done' | 'stopped';

export interface PollyRun {
  /** p_… */
  id: string;
  goal: string;
  createdAt: string;
  /** The directory `omni polly` ran in, and its repository's top level. */
  cwd: string;
  repo: string;
  /** The branch workers' worktrees start from and `omni polly merge` merges into. */
  base: string;
  lead: SessionRef;
  /** Harnesses for workers and reviewers, in order of preference. */
  workers: string[];
  reviewers: string[];
  check?: string;
  /** At most this many workers at a time. */
  parallel: number;
  /** Review rounds before a task waits for a person. */
  maxRounds: number;
  status: RunStatus;
  /** The accepted plan's tasks, in plan order; absent while planning. */
  tasks?: PollyTask[];
  /** Why the lead's last plan was refused (told to the lead too), while planning. */
  planErrors?: string[];
  /** Filled on read: the lead's cost plus every task's, USD. */
  costUsd?: number;
}

/** `POST /v1/polly` */
export interface PollyStartRequest {
  goal: string;
  cwd: string;
  env: Record<string, string>;
  workers?: string[];
  reviewers?: string[];
  check?: string;
  parallel?: number;
  rounds?: number;
  /** The lead's harness (default: agents/polly.yaml's, Claude). */
  lead?: string;
}
