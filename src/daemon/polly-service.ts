import path from 'node:path';
import { OmniError } from '../core/errors.js';
import { isLive } from '../core/session.js';
import { planFromText, type PlanContext } from '../polly/plan.js';
import { leadPrompt, planAccepted, planRefused, sentBack } from '../polly/prompts.js';
import { routingErrors } from '../polly/routing.js';
import type { PollyRun, PollyStartRequest } from '../polly/types.js';
import type { PollyDeps } from './polly-deps.js';
import { publicRun, type StoredRun, type StoredTask } from './polly-store.js';
import { runTag, TaskFlow } from './polly-task-flow.js';

export const POLLY_DEFAULTS = { workers: ['claude', 'codex'], reviewers: ['claude', 'codex'], parallel: 2, rounds: 2 } as const;
/** Plans refused with a word to the lead; after that a person talks to it (a later plan still lands). */
const MAX_TOLD_REFUSALS = 3;

/**
 * Polly in the daemon (docs/POLLY.md): checks and starts a run, its lead's planning, the run's
 * stop, a person's actions on tasks, and the reads. Each task's loop is TaskFlow's. Every step
 * is in run.json before its wait, so `resume()` after a restart carries on where it was.
 */
export class PollyService {
  private readonly runs = new Map<string, StoredRun>();
  private readonly flow: TaskFlow;
  private readonly planning = new Map<string, AbortController>();

  constructor(private readonly d: PollyDeps) {
    this.flow = new TaskFlow(d);
    for (const run of d.store.all()) this.runs.set(run.id, run);
  }

  async start(req: PollyStartRequest): Promise<PollyRun> {
    if (typeof req.goal !== 'string' || !req.goal.trim()) throw new OmniError('"goal" is required: what the run should achieve', 'bad_request');
    if (typeof req.cwd !== 'string' || !path.isAbsolute(req.cwd)) throw new OmniError('"cwd" must be an absolute path', 'bad_request');
    const env = req.env && typeof req.env === 'object' ? req.env : {};
    const names = this.d.harnessNames();
    const list = (v: unknown, def: readonly string[], what: string): string[] => {
      if (v === undefined) return [...def];
      if (!Array.isArray(v) || !v.length || v.some((x) => typeof x !== 'string')) throw new OmniError(`"${what}" is a non-empty list of harness names`, 'bad_request');
      const unknown = v.filter((h) => !names.includes(h));
      if (unknown.length) throw new OmniError(`unknown ${what === 'workers' ? 'worker' : 'reviewer'} harness${unknown.length > 1 ? 'es' : ''} ${unknown.join(', ')}; harnesses: ${names.join(', ')}`, 'bad_request');
      return [...new Set(v as string[])];
    };
    const workers = list(req.workers, POLLY_DEFAULTS.workers, 'workers');
    const reviewers = list(req.reviewers, POLLY_DEFAULTS.reviewers, 'reviewers');
    const count = (v: unknown, def: number, what: string): number => {
      if (v === undefined) return def;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 100) throw new OmniError(`"${what}" is a whole number from 1 to 100`, 'bad_request');
      return v;
    };
    const parallel = count(req.parallel, POLLY_DEFAULTS.parallel, 'parallel');
    const maxRounds = count(req.rounds, POLLY_DEFAULTS.rounds, 'rounds');
    const party = (h: string) => ({ harness: h, vendor: this.d.vendorOf(h) });
    const refused = routingErrors(workers.map(party), reviewers.map(party));
    if (refused.length) throw new OmniError(refused.join('; '), 'bad_request');
    const spec = this.d.leadSpec();
    const leadHarness = req.lead ?? spec.harness;
    if (!names.includes(leadHarness)) throw new OmniError(`unknown lead harness ${leadHarness}; harnesses: ${names.join(', ')}`, 'bad_request');
    if (req.check !== undefined && typeof req.check !== 'string') throw new OmniError('"check" is a shell command', 'bad_request');
    let repo: string;
    let base: string;
    try {
      repo = await this.d.git.topLevel(req.cwd);
      base = await this.d.git.base(req.cwd);
    } catch (err) {
      throw new OmniError(`omni polly runs in a git repository: ${(err as Error).message}`, 'bad_request');
    }

    const id = this.d.store.newId();
    const run: StoredRun = {
      id,
      goal: req.goal,
      createdAt: (this.d.now?.() ?? new Date()).toISOString(),
      cwd: req.cwd,
      repo,
      base,
      lead: { session: '', name: '', harness: leadHarness },
      workers,
      reviewers,
      ...(req.check ? { check: req.check } : {}),
      parallel,
      maxRounds,
      status: 'planning',
      refusals: 0,
      routed: 0,
    };
    this.d.store.saveEnv(id, env);
    const { rec } = await this.d
      .startChild({
        harness: leadHarness,
        name: this.freeLeadName(),
        cwd: req.cwd,
        env,
        ...(spec.model && leadHarness === spec.harness ? { model: spec.model } : {}),
        policies: spec.policies,
        prompt: leadPrompt(run),
        ...(spec.file ? { agent: { name: 'polly', file: spec.file } } : {}),
        sandbox: spec.sandbox ? [spec.sandbox] : [],
        tags: ['polly', runTag(id)],
      })
      .catch((err: unknown) => {
        this.d.store.remove(id); // nothing started: no run, and its env.json goes with it
        throw err;
      });
    run.lead = { session: rec.id, name: rec.name, harness: rec.harness };
    run.leadWait = { session: rec.id, from: 0 };
    this.d.store.save(run);
    this.runs.set(id, run);
    this.plan(run);
    return publicRun(run);
  }

  /** After the daemon adopted its sessions: carry on with every run that was under way. */
  async resume(): Promise<void> {
    for (const run of this.runs.values()) {
      if (run.status === 'planning') this.plan(run);
      else if (run.status === 'running') {
        for (const task of run.tasks ?? []) this.flow.resume(run, task);
        this.flow.drive(run);
      }
    }
  }

  close(): void {
    for (const c of this.planning.values()) c.abort();
    this.planning.clear();
    this.flow.close();
  }

  /** The lead's turns until one holds a plan that passes (step 3). */
  private plan(run: StoredRun): void {
    this.planning.get(run.id)?.abort();
    const ctl = new AbortController();
    this.planning.set(run.id, ctl);
    const ctx: PlanContext = { workers: run.workers, reviewers: run.reviewers, vendorOf: (h) => this.d.vendorOf(h) };
    void (async () => {
      while (run.status === 'planning' && run.leadWait) {
        const end = await this.flow.await(run, run.leadWait, ctl.signal);
        if (end.status !== 'idle') {
          run.planErrors = [`the lead session ${run.lead.name} ended (${end.status}) before a plan was accepted`];
          this.d.store.save(run);
          return;
        }
        const check = planFromText(end.text, ctx);
        if (check.ok) return this.accept(run, check.tasks as StoredTask[]);
        run.refusals = (run.refusals ?? 0) + 1;
        run.planErrors = check.errors;
        this.flow.emit(run, { type: 'polly.plan', data: { run: run.id, accepted: false, errors: check.errors } });
        const lead = this.d.sessions.get(run.lead.session);
        run.leadWait =
          run.refusals <= MAX_TOLD_REFUSALS && lead && isLive(lead.status)
            ? { session: run.lead.session, from: this.d.lastSeq(lead), prompt: planRefused(check.errors) }
            : { session: run.lead.session, from: end.to };
        this.d.store.save(run);
      }
    })()
      .catch((err: unknown) => {
        if (ctl.signal.aborted) return;
        this.d.log(`polly ${run.id}: planning: ${(err as Error)?.stack ?? err}`);
        run.planErrors = [`planning stopped: ${(err as Error)?.message ?? err}`];
        this.d.store.save(run);
      })
      .finally(() => {
        if (this.planning.get(run.id) === ctl) this.planning.delete(run.id);
      });
  }

  private accept(run: StoredRun, tasks: StoredTask[]): void {
    run.tasks = tasks;
    run.status = 'running';
    delete run.planErrors;
    delete run.leadWait;
    this.d.store.save(run);
    this.flow.emit(run, { type: 'polly.plan', data: { run: run.id, accepted: true, tasks: tasks.length } });
    const lead = this.d.sessions.get(run.lead.session);
    // Told, not waited on: omni starts the workers; the lead writes no code.
    if (lead && isLive(lead.status)) void this.d.sessions.send(lead, planAccepted(tasks)).catch((err: Error) => this.d.log(`polly ${run.id}: telling the lead: ${err.message}`));
    this.flow.drive(run);
  }

  /** Stop every live session of the run, deepest first (workers and reviewers, then the lead). */
  async stop(ref: string): Promise<PollyRun> {
    const run = this.find(ref);
    this.planning.get(run.id)?.abort();
    this.flow.abort(run);
    // Statuses first: their events land in the lead's log before its end.
    if (run.status === 'planning' || run.status === 'running') {
      for (const t of run.tasks ?? []) if (!['approved', 'merged', 'stopped'].includes(t.status)) this.flow.setStatus(run, t, 'stopped', 'the run was stopped');
      run.status = 'stopped';
      delete run.leadWait;
      this.d.store.save(run);
    }
    const mine = this.d.sessions.all().filter((s) => isLive(s.status) && s.tags?.includes(runTag(run.id)));
    for (const s of [...mine.filter((s) => s.id !== run.lead.session), ...mine.filter((s) => s.id === run.lead.session)]) await this.flow.stopSession(s.id);
    return this.read(run);
  }

  /** A person approves the task for merge (any state but merged or stopped). */
  approve(ref: string, taskId: string, note?: string): PollyRun {
    const { run, task } = this.task(ref, taskId);
    if (task.status === 'merged' || task.status === 'stopped') throw new OmniError(`task ${task.id} is ${task.status}; nothing to approve`, 'conflict');
    this.flow.abort(run, task);
    void this.flow.stopSession(task.reviewer?.session);
    delete task.reviewer;
    task.approvedBy = 'person';
    this.flow.setStatus(run, task, 'approved', note);
    this.flow.drive(run);
    return this.read(run);
  }

  /** A person sends the task back to its worker with a note: the loop goes on (one more review). */
  sendBack(ref: string, taskId: string, note: string): PollyRun {
    const { run, task } = this.task(ref, taskId);
    if (typeof note !== 'string' || !note.trim()) throw new OmniError('"note" is required: what the worker should change', 'bad_request');
    if (run.status !== 'running') throw new OmniError(`run ${run.id} is ${run.status}`, 'conflict');
    if (task.status === 'merged' || task.status === 'stopped' || !task.session) throw new OmniError(`task ${task.id} is ${task.status}${task.session ? '' : ' and has no worker yet'}; nothing to send back`, 'conflict');
    const worker = this.flow.live(task.session.session);
    this.flow.abort(run, task);
    void this.flow.stopSession(task.reviewer?.session);
    delete task.reviewer;
    delete task.approvedBy;
    task.wait = { session: worker.id, from: this.d.lastSeq(worker), prompt: sentBack(note) };
    this.flow.setStatus(run, task, 'working');
    const wait = task.wait;
    this.flow.start(run, task, async (signal) => this.flow.onWorkerTurn(run, task, await this.flow.await(run, wait, signal), signal));
    return this.read(run);
  }

  /** `omni polly merge` merged the task into the run's base. */
  merged(ref: string, taskId: string, commit: string): PollyRun {
    const { run, task } = this.task(ref, taskId);
    if (typeof commit !== 'string' || !/^[0-9a-f]{7,64}$/i.test(commit)) throw new OmniError('"commit" is the target\'s commit after the merge (hex)', 'bad_request');
    this.flow.abort(run, task);
    task.merged = { commit, at: (this.d.now?.() ?? new Date()).toISOString() };
    this.flow.setStatus(run, task, 'merged');
    this.flow.drive(run);
    return this.read(run);
  }

  /** Every run, newest first, with costs. */
  list(): PollyRun[] {
    return [...this.runs.values()].reverse().map((r) => this.read(r));
  }

  get(ref: string, cwd?: string): PollyRun {
    return this.read(this.find(ref, cwd));
  }

  /** The run as the API shows it: no bookkeeping; each task's own cost (worker and reviewers), the run's (lead and tasks). */
  private read(run: StoredRun): PollyRun {
    const cost = (id: string | undefined) => (id ? (this.d.sessions.get(id)?.cost?.computedUsd ?? 0) : 0);
    const out = publicRun(run);
    let total = cost(run.lead.session);
    for (const [i, t] of (out.tasks ?? []).entries()) {
      const ids = new Set([t.session?.session, ...t.reviews.map((r) => r.reviewer.session), run.tasks![i]!.reviewer?.session]);
      t.costUsd = [...ids].reduce((a, id) => a + cost(id), 0);
      total += t.costUsd;
    }
    out.costUsd = total;
    return out;
  }

  /** A run by id, or `latest`: the newest whose cwd or repository holds `cwd`, else the newest. */
  private find(ref: string, cwd?: string): StoredRun {
    const all = [...this.runs.values()];
    if (ref === 'latest') {
      const inside = (dir: string) => !!cwd && (cwd === dir || cwd.startsWith(dir.endsWith('/') ? dir : `${dir}/`));
      const pick = [...all].reverse().find((r) => inside(r.cwd) || inside(r.repo)) ?? all[all.length - 1];
      if (pick) return pick;
    }
    const run = this.runs.get(ref);
    if (!run) throw new OmniError(`no Polly run "${ref}"; ${all.length ? `runs: ${all.map((r) => r.id).join(', ')}` : 'there are no runs yet (omni polly "goal" starts one)'}`, 'not_found');
    return run;
  }

  private task(ref: string, taskId: string): { run: StoredRun; task: StoredTask } {
    const run = this.find(ref);
    const task = run.tasks?.find((t) => t.id === taskId);
    if (!task) throw new OmniError(`run ${run.id} has no task "${taskId}"; ${run.tasks?.length ? `tasks: ${run.tasks.map((t) => t.id).join(', ')}` : 'its plan is not accepted yet'}`, 'not_found');
    return { run, task };
  }

  private freeLeadName(): string {
    const taken = new Set(this.d.sessions.all().map((s) => s.name));
    for (let n = 1; ; n++) if (!taken.has(`polly-${n}`)) return `polly-${n}`;
  }
}
