import { OmniError } from '../core/errors.js';
import { isLive, type SessionRecord } from '../core/session.js';
import { baseFor, promoteReady, tasksToStart } from '../polly/plan.js';
import { changesRequested, reviewerPrompt, verdictUnreadable, workerPrompt } from '../polly/prompts.js';
import { pickReviewer } from '../polly/routing.js';
import type { TaskStatus } from '../polly/types.js';
import { parseVerdict } from '../polly/verdict.js';
import { recordedWorktree } from '../polly/worktree.js';
import { REVIEW_DIFF_MAX_BYTES, type PollyDeps } from './polly-deps.js';
import type { StoredRun, StoredTask, TurnWait } from './polly-store.js';
import type { TurnAnswer } from './turns.js';

/** Tags every session of a run carries (a tag has no ':', so `polly.<run id>`). */
export const runTag = (id: string) => `polly.${id}`;

/** `polly-3` → `polly3`: the stem of the run's workers' and reviewers' names. */
const shortName = (run: StoredRun) => run.lead.name.replace(/[^A-Za-z0-9]/g, '');

/**
 * A task's loop (docs/POLLY.md "A run", steps 5–8): its worker's turn, the diff to a reviewer of
 * another vendor, the verdict, back to the worker or on to approved / needs_person. Every step
 * is written to run.json before the wait it starts (`task.wait`: session, seq, prompt), so a
 * restarted daemon re-enters the step (`resume`). One flow per task at a time: a person's
 * action aborts the running one (its waits end as `cancelled`) and starts its own.
 */
export class TaskFlow {
  private readonly flows = new Map<string, AbortController>();

  constructor(private readonly d: PollyDeps) {}

  save(run: StoredRun): void {
    this.d.store.save(run);
  }

  /** An event in the lead's log (where `omni polly board` and `omni events` read them). */
  emit(run: StoredRun, ev: Parameters<PollyDeps['emit']>[1]): void {
    const lead = this.d.sessions.get(run.lead.session);
    if (!lead) return;
    try {
      this.d.emit(lead, ev);
    } catch (err) {
      this.d.log(`polly ${run.id}: cannot log ${ev.type}: ${(err as Error).message}`);
    }
  }

  setStatus(run: StoredRun, task: StoredTask, status: TaskStatus, reason?: string, previous: TaskStatus = task.status): void {
    task.status = status;
    if (reason) task.reason = reason;
    else delete task.reason;
    if (status !== 'working' && status !== 'reviewing') delete task.wait;
    if (status !== 'reviewing') delete task.reviewer;
    this.save(run);
    this.emit(run, { type: 'polly.task', data: { run: run.id, task: task.id, status, previous, round: task.round, ...(reason ? { reason } : {}), ...(task.session ? { session: task.session.session } : {}) } });
  }

  /** Abort the task's running flow (if any); `fn` becomes its flow. Errors put the task before a person. */
  start(run: StoredRun, task: StoredTask, fn: (signal: AbortSignal) => Promise<void>): void {
    const key = `${run.id}/${task.id}`;
    this.flows.get(key)?.abort();
    const ctl = new AbortController();
    this.flows.set(key, ctl);
    void fn(ctl.signal)
      .catch((err: unknown) => {
        if (ctl.signal.aborted || (err instanceof OmniError && err.code === 'cancelled')) return;
        this.d.log(`polly ${run.id} ${task.id}: ${(err as Error)?.stack ?? err}`);
        this.setStatus(run, task, 'needs_person', (err as Error)?.message ?? String(err));
        this.drive(run);
      })
      .finally(() => {
        if (this.flows.get(key) === ctl) this.flows.delete(key);
      });
  }

  abort(run: StoredRun, task?: StoredTask): void {
    for (const [key, ctl] of this.flows) if (task ? key === `${run.id}/${task.id}` : key.startsWith(`${run.id}/`)) ctl.abort();
  }

  close(): void {
    for (const ctl of this.flows.values()) ctl.abort();
    this.flows.clear();
  }

  /** Start what may start: waiting → ready, then ready tasks into free slots; done once all are merged. */
  drive(run: StoredRun): void {
    if (run.status !== 'running' || !run.tasks) return;
    const tasks = run.tasks;
    if (promoteReady(tasks).length) this.save(run);
    for (const id of tasksToStart(tasks, run.parallel)) {
      const task = tasks.find((t) => t.id === id)!;
      task.status = 'working'; // holds the slot until startWorker records the session
      this.start(run, task, (signal) => this.startWorker(run, task, signal));
    }
    if (tasks.length && tasks.every((t) => t.status === 'merged')) {
      run.status = 'done';
      this.save(run);
    }
  }

  /** After a restart: re-enter the task's step from what run.json says. */
  resume(run: StoredRun, task: StoredTask): void {
    if ((task.status === 'working' || task.status === 'reviewing') && task.wait) {
      const role = task.status === 'working' ? 'worker' : 'reviewer';
      this.start(run, task, async (signal) => {
        const end = await this.await(run, task.wait!, signal);
        return role === 'worker' ? this.onWorkerTurn(run, task, end, signal) : this.onReviewerTurn(run, task, end, signal);
      });
    } else if (task.status === 'working' && !task.session) {
      task.status = 'ready'; // the daemon died before the worker started
      this.save(run);
    }
  }

  private async startWorker(run: StoredRun, task: StoredTask, signal: AbortSignal): Promise<void> {
    const base = baseFor(task, run.tasks!, run.base);
    await this.commitPrerequisite(run, task, base);
    const { rec, worktree } = await this.d.startChild({
      harness: task.harness,
      name: this.freeName(`${shortName(run)}-${task.id}`),
      cwd: run.cwd,
      env: this.d.store.env(run.id),
      policies: this.d.policies.worker,
      prompt: workerPrompt(task, run.goal),
      tags: ['polly-worker', runTag(run.id)],
      parent: run.lead.session,
      worktree: { base },
    });
    if (signal.aborted) return this.stopSession(rec.id); // stopped or taken over by a person meanwhile
    // base: the commit the worktree started from (the run's base moves as tasks are merged into it).
    task.session = { session: rec.id, name: rec.name, harness: rec.harness, vendor: this.d.vendorOf(rec.harness, rec.model), branch: worktree!.branch, worktree: worktree!.path, base: worktree!.base };
    task.wait = { session: rec.id, from: 0 };
    this.setStatus(run, task, 'working', undefined, 'ready');
    if (signal.aborted) return;
    const end = await this.await(run, task.wait, signal);
    await this.onWorkerTurn(run, task, end, signal);
  }

  /**
   * A task that starts from its prerequisite's branch must find that task's work on it: a Codex
   * worker cannot commit inside its own sandbox and leaves it uncommitted in its worktree, so omni
   * commits it there first (as the merge queue does for an ended session).
   */
  private async commitPrerequisite(run: StoredRun, task: StoredTask, base: string): Promise<void> {
    const pre = run.tasks!.find((t) => task.after.includes(t.id) && t.session?.branch === base);
    if (!pre?.session) return;
    const s = pre.session;
    const wt = this.d.sessions.get(s.session)?.worktree ?? recordedWorktree(run, s);
    const sha = await this.d.git.commitPending(wt, `omni polly: uncommitted work of ${s.name} (task ${pre.id}), committed before task ${task.id} starts from this branch`);
    if (sha) this.d.log(`polly ${run.id}: committed ${s.name}'s uncommitted work on ${s.branch} (${sha.slice(0, 10)}) for ${task.id}`);
  }

  /** Type the wait's prompt if it has one not yet typed, then wait for the turn it starts. */
  async await(run: StoredRun, wait: TurnWait, signal: AbortSignal): Promise<TurnAnswer> {
    if (wait.prompt !== undefined && !wait.sent) {
      const rec = this.live(wait.session);
      const sent = await this.d.sessions.send(rec, wait.prompt);
      if (sent.blocked) throw new OmniError(`${rec.name} did not take omni's prompt: blocked by policy${sent.blocked.policy ? ` ${sent.blocked.policy}` : ''}`, 'prompt_blocked');
      wait.sent = true;
      this.save(run);
    }
    return this.d.turnEnd(wait.session, wait.from, signal);
  }

  /** Record a prompt for a session (and the seq its turn comes after), then type it and wait. */
  prompt(run: StoredRun, task: StoredTask, session: string, text: string, status: 'working' | 'reviewing', signal: AbortSignal): Promise<TurnAnswer> {
    const rec = this.live(session);
    task.wait = { session, from: this.d.lastSeq(rec), prompt: text };
    this.setStatus(run, task, status);
    return this.await(run, task.wait, signal);
  }

  async onWorkerTurn(run: StoredRun, task: StoredTask, end: TurnAnswer, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const s = task.session!;
    if (end.status !== 'idle') return this.toPerson(run, task, `the worker session ${s.name} ended (${end.status}) before its turn did`);
    const wt = this.d.sessions.get(s.session)?.worktree ?? recordedWorktree(run, s);
    const [diff, stat] = await Promise.all([this.d.git.diff(wt, REVIEW_DIFF_MAX_BYTES), this.d.git.stat(wt)]);
    if (signal.aborted) return;
    task.diffstat = stat;
    if (!diff.diff.trim()) return this.toPerson(run, task, 'the worker changed nothing');
    const reviewers = run.reviewers.map((h) => ({ harness: h, vendor: this.d.vendorOf(h) }));
    const pick = pickReviewer({ harness: s.harness, vendor: s.vendor }, reviewers, run.routed ?? 0);
    if (!pick.ok) return this.toPerson(run, task, pick.error);
    run.routed = (run.routed ?? 0) + 1;
    task.round += 1;
    const { rec } = await this.d.startChild({
      harness: pick.harness,
      name: this.freeName(`${shortName(run)}-${task.id}-r${task.round}`),
      cwd: run.cwd,
      env: this.d.store.env(run.id),
      policies: this.d.policies.reviewer,
      prompt: reviewerPrompt(task, diff.diff, { round: task.round, ...(diff.truncated ? { truncated: true } : {}) }),
      tags: ['polly-reviewer', runTag(run.id)],
      parent: run.lead.session,
    });
    if (signal.aborted) return this.stopSession(rec.id);
    task.reviewer = { session: rec.id, name: rec.name, harness: rec.harness, vendor: pick.vendor };
    task.retried = false;
    task.wait = { session: rec.id, from: 0 };
    this.setStatus(run, task, 'reviewing');
    if (signal.aborted) return;
    await this.onReviewerTurn(run, task, await this.await(run, task.wait, signal), signal);
  }

  async onReviewerTurn(run: StoredRun, task: StoredTask, end: TurnAnswer, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const reviewer = task.reviewer!;
    if (end.status !== 'idle') return this.toPerson(run, task, `the reviewer session ${reviewer.name} ended (${end.status}) before its verdict`);
    const parsed = parseVerdict(end.text);
    if (!parsed.ok) {
      if (!task.retried) {
        task.retried = true;
        const again = await this.prompt(run, task, reviewer.session, verdictUnreadable(parsed.error), 'reviewing', signal);
        return this.onReviewerTurn(run, task, again, signal);
      }
      await this.stopSession(reviewer.session);
      if (signal.aborted) return;
      return this.toPerson(run, task, `the reviewer's verdict could not be read: ${parsed.error}`);
    }
    // Stored once: a daemon that died after storing it reads the same turn again on resume.
    let review = task.reviews.find((r) => r.round === task.round && r.reviewer.session === reviewer.session);
    if (!review) {
      review = { ...parsed.verdict, round: task.round, reviewer, at: (this.d.now?.() ?? new Date()).toISOString() };
      task.reviews.push(review);
      this.emit(run, { type: 'polly.review', data: { run: run.id, task: task.id, round: review.round, verdict: review.verdict, reviewer: reviewer.session, vendor: reviewer.vendor, findings: review.findings.length } });
    }
    task.retried = false;
    this.save(run);
    // Its work is done: each round gets a fresh reviewer.
    await this.stopSession(reviewer.session);
    if (signal.aborted) return;
    if (review.verdict === 'approve') {
      task.approvedBy = 'review';
      this.setStatus(run, task, 'approved');
      return this.drive(run);
    }
    if (task.round >= run.maxRounds) return this.toPerson(run, task, `${run.maxRounds} review round${run.maxRounds === 1 ? '' : 's'} and still changes requested`);
    const worker = task.session!;
    if (!isLive(this.d.sessions.get(worker.session)?.status ?? 'exited')) return this.toPerson(run, task, `the worker session ${worker.name} has ended; the review's changes cannot go back to it`);
    const end2 = await this.prompt(run, task, worker.session, changesRequested(review, run.maxRounds), 'working', signal);
    await this.onWorkerTurn(run, task, end2, signal);
  }

  toPerson(run: StoredRun, task: StoredTask, reason: string): void {
    this.setStatus(run, task, 'needs_person', reason);
    this.drive(run);
  }

  async stopSession(id: string | undefined): Promise<void> {
    const rec = id ? this.d.sessions.get(id) : undefined;
    if (rec && isLive(rec.status)) await this.d.sessions.stop(rec).catch((err: Error) => this.d.log(`polly: stopping ${rec.name}: ${err.message}`));
  }

  live(id: string): SessionRecord {
    const rec = this.d.sessions.get(id);
    if (!rec || !isLive(rec.status)) throw new OmniError(`session ${rec?.name ?? id} has ended`, 'conflict');
    return rec;
  }

  private freeName(stem: string): string {
    const clean = stem.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60);
    const live = new Set(this.d.sessions.all().filter((s) => isLive(s.status)).map((s) => s.name));
    if (!live.has(clean)) return clean;
    for (let n = 2; ; n++) if (!live.has(`${clean}-${n}`)) return `${clean}-${n}`;
  }
}
