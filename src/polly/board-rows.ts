import type { DiffStat, PollyRun, PollyTask, Review, TaskStatus } from './types.js';

/**
 * What the Polly board shows (docs/POLLY.md "The board and the CLI"): one row per task, in plan
 * order, and a header for the run. Pure: the Ink board, the plain table and `omni polly board
 * --json` all print these, so the three never disagree.
 */
export interface BoardRow {
  id: string;
  title: string;
  /** The worker's harness (chosen even before the worker starts). */
  harness: string;
  status: TaskStatus;
  /** The worker's session name, once started. */
  worker?: string;
  branch?: string;
  /** `+12 −3, 2 files`; absent until the worker's diff is known. */
  diffstat?: string;
  /** The last review: `changes r1`, `approve r2`; a person's approval is `approve (person)`. */
  review?: string;
  /** Reviews done so far. */
  round: number;
  /** The tasks it waits for (depends_on and earlier tasks on the same files). */
  after: string[];
  /** Why it waits for a person, or was stopped. */
  reason?: string;
  costUsd?: number;
  /** What `y`, `s`, `m` can do with it now. */
  canApprove: boolean;
  canSendBack: boolean;
  canMerge: boolean;
}

export interface BoardHeader {
  id: string;
  goal: string;
  status: PollyRun['status'];
  /** `polly-1 (claude)` */
  lead: string;
  base: string;
  costUsd?: number;
  /** Count per status, in the order tasks move: `2 working, 1 approved`. */
  counts: string;
  /** While planning: why the lead's last plan was refused. */
  planErrors?: string[];
}

const ORDER: readonly TaskStatus[] = ['waiting', 'ready', 'working', 'reviewing', 'approved', 'needs_person', 'merged', 'stopped'];

/** A person may approve a task in any state but merged and stopped (design.md, person actions). */
export const canApprove = (s: TaskStatus): boolean => s !== 'merged' && s !== 'stopped' && s !== 'approved';
/** Send back needs a worker to send to. */
export const canSendBack = (t: Pick<PollyTask, 'status' | 'session'>): boolean => Boolean(t.session) && t.status !== 'merged' && t.status !== 'stopped';

export function diffstatText(d: DiffStat | undefined): string | undefined {
  if (!d) return undefined;
  return `+${d.insertions} −${d.deletions}, ${d.files} file${d.files === 1 ? '' : 's'}`;
}

export function reviewText(t: Pick<PollyTask, 'reviews' | 'approvedBy' | 'status'>): string | undefined {
  const last: Review | undefined = t.reviews[t.reviews.length - 1];
  if (t.approvedBy === 'person' && (t.status === 'approved' || t.status === 'merged')) return last ? `approve (person) r${last.round}` : 'approve (person)';
  return last ? `${last.verdict} r${last.round}` : undefined;
}

export function boardRows(run: PollyRun): BoardRow[] {
  return (run.tasks ?? []).map((t) => {
    const row: BoardRow = {
      id: t.id,
      title: t.title,
      harness: t.harness,
      status: t.status,
      round: t.round,
      after: [...t.after],
      canApprove: canApprove(t.status),
      canSendBack: canSendBack(t),
      canMerge: t.status === 'approved',
    };
    if (t.session) {
      row.worker = t.session.name;
      row.branch = t.session.branch;
    }
    const ds = diffstatText(t.diffstat);
    if (ds) row.diffstat = ds;
    const rv = reviewText(t);
    if (rv) row.review = rv;
    if (t.reason) row.reason = t.reason;
    if (typeof t.costUsd === 'number') row.costUsd = t.costUsd;
    return row;
  });
}

export function boardHeader(run: PollyRun): BoardHeader {
  const n = new Map<TaskStatus, number>();
  for (const t of run.tasks ?? []) n.set(t.status, (n.get(t.status) ?? 0) + 1);
  const h: BoardHeader = {
    id: run.id,
    goal: run.goal,
    status: run.status,
    lead: `${run.lead.name} (${run.lead.harness})`,
    base: run.base,
    counts: ORDER.filter((s) => n.has(s))
      .map((s) => `${n.get(s)} ${s.replace('_', ' ')}`)
      .join(', '),
  };
  if (typeof run.costUsd === 'number') h.costUsd = run.costUsd;
  if (run.planErrors?.length) h.planErrors = [...run.planErrors];
  return h;
}

/** The tasks `omni polly merge` takes without --task: the approved ones, in plan order. */
export function approvedTasks(run: PollyRun): PollyTask[] {
  return (run.tasks ?? []).filter((t) => t.status === 'approved');
}

/** `$0.42`, `$0.0031`, `-` for nothing spent yet. */
export function usdText(usd: number | undefined): string {
  if (usd === undefined || usd === 0) return '-';
  return `$${usd < 0.01 ? usd.toFixed(4) : usd.toFixed(2)}`;
}

/** A review as lines for the board's `r` view: verdict, summary, findings with where. */
export function reviewLines(r: Review): string[] {
  const out = [`${r.verdict} (round ${r.round}) by ${r.reviewer.name} (${r.reviewer.harness}, ${r.reviewer.vendor}) at ${r.at}`];
  if (r.summary) out.push('', r.summary);
  if (r.findings.length) out.push('', `${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}:`);
  for (const f of r.findings) {
    const where = f.file ? `${f.file}${f.line !== undefined ? `:${f.line}` : ''} ` : '';
    out.push(`- [${f.severity}] ${where}${f.text}`);
  }
  return out;
}
