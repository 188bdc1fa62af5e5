import { OmniError } from '../core/errors.js';
import { isLive, newId, type SessionRecord } from '../core/session.js';
import { critiquePrompt, synthesisPrompt, type HeadAnswer } from '../debby/prompts.js';
import { headLabels, headSessionName, latestAnswers, latestQuestion, runNumber } from '../debby/heads.js';
import type { DebbyAnswer, DebbyExchange, DebbyHead, DebbyRun, DebbyStartRequest } from '../debby/types.js';
import type { HarnessRegistry } from '../harnesses/registry.js';
import type { DebbyStore } from './debby-store.js';
import type { CreateSessionRequest } from './sessions.js';
import type { Turns } from './turns.js';

export interface DebbyServiceDeps {
  runs: DebbyStore;
  sessions: {
    create(req: CreateSessionRequest): Promise<SessionRecord>;
    stop(rec: SessionRecord): Promise<SessionRecord>;
    emit(rec: SessionRecord, ev: { type: 'debby.exchange'; data: { run: string; n: number; kind: DebbyExchange['kind']; round?: number; state: 'started' | 'done' } }): void;
    waitForStatus(rec: SessionRecord, status: 'idle', timeoutMs: number): Promise<SessionRecord>;
  };
  store: { get(id: string): SessionRecord | undefined; all(): SessionRecord[] };
  turns: Pick<Turns, 'ask'>;
  harnesses: Pick<HarnessRegistry, 'get'>;
  log: (msg: string) => void;
  now?: () => Date;
}

export const DEFAULT_HEADS = ['claude', 'codex'];
/** How long an exchange waits for the heads by default (each debate round and the synthesis get this much). */
export const DEFAULT_TIMEOUT_MS = 600_000;
export const MAX_ROUNDS = 10;

/**
 * Debby (docs/DEBBY.md): two or more heads, each a root session of its own harness, that get the
 * person's questions at once and debate their answers. Every step is code: a question is typed
 * into every head in parallel (Turns.ask) and the turns' texts are stored as one exchange; a
 * debate gives each head the others' latest answers, then one head writes the synthesis. One
 * exchange at a time per run.
 */
export class DebbyService {
  private readonly now: () => Date;
  /** Aborts every wait under way when the daemon shuts down. */
  private readonly closing = new AbortController();

  constructor(private readonly deps: DebbyServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async start(req: DebbyStartRequest): Promise<DebbyRun> {
    const harnesses = req.heads?.length ? req.heads : DEFAULT_HEADS;
    if (harnesses.length < 2) throw new OmniError(`debby needs at least two heads (got ${harnesses.join(', ') || 'none'})`, 'bad_request');
    for (const h of harnesses) this.deps.harnesses.get(h); // unknown_harness (404) lists the known ones
    const labels = headLabels(harnesses);
    const synth = req.synth ?? labels[0]!;
    if (!labels.includes(synth)) throw new OmniError(`no head "${synth}" to write the synthesis; heads: ${labels.join(', ')}`, 'bad_request');
    const id = this.newId();
    const n = this.nextNumber();
    const heads: DebbyHead[] = [];
    try {
      for (const [i, harness] of harnesses.entries()) {
        const label = labels[i]!;
        const rec = await this.deps.sessions.create({
          harness,
          cwd: req.cwd,
          env: req.env,
          name: headSessionName(n, label),
          // Heads discuss; a person must OK any write one of them tries.
          policies: [{ ref: 'ask_on_write' }],
          tags: ['debby', runTag(id)],
        });
        heads.push({ label, harness, session: rec.id, name: rec.name });
      }
    } catch (err) {
      // All heads or none: the ones already started are stopped.
      for (const h of heads) {
        const rec = this.deps.store.get(h.session);
        if (rec) await this.deps.sessions.stop(rec).catch(() => {});
      }
      throw err;
    }
    const run: DebbyRun = { id, createdAt: this.now().toISOString(), cwd: req.cwd, heads, synth, status: 'live', exchanges: [] };
    this.deps.runs.put(run);
    this.deps.log(`debby ${id}: started ${heads.map((h) => `${h.name} (${h.session})`).join(', ')}`);
    return this.withCost(run);
  }

  /** Every run, newest first, costs filled in. */
  list(): DebbyRun[] {
    return this.deps.runs.all().map((r) => this.withCost(this.refreshed(r)));
  }

  /** One run by id, or `latest` (the newest in `cwd` if one is there, else the newest). */
  get(ref: string, cwd?: string): DebbyRun {
    return this.withCost(this.refreshed(this.resolve(ref, cwd)));
  }

  /** A question to every live head at once; resolves when every head's turn has ended (or the time is up). */
  async ask(ref: string, text: string, opts: { cwd?: string; timeoutMs?: number } = {}): Promise<{ run: DebbyRun; exchange: DebbyExchange }> {
    if (!text.trim()) throw new OmniError('the question is empty', 'bad_request');
    const run = this.claim(this.resolve(ref, opts.cwd));
    try {
      const exchange = await this.exchange(run, { kind: 'ask', prompt: text }, run.heads.map((h) => ({ head: h, text })), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      return { run: this.withCost(this.release(run)), exchange };
    } catch (err) {
      this.release(run);
      throw err;
    }
  }

  /**
   * `rounds` debate rounds (each head gets the other heads' latest answers to critique and
   * revise), then the synth head's synthesis. A round in which a head ran out of time ends the
   * debate there: what was said so far is kept and returned.
   */
  async debate(ref: string, opts: { cwd?: string; rounds?: number; synth?: string; timeoutMs?: number } = {}): Promise<{ run: DebbyRun; exchanges: DebbyExchange[] }> {
    const rounds = opts.rounds ?? 1;
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_ROUNDS) throw new OmniError(`rounds is a whole number from 1 to ${MAX_ROUNDS}`, 'bad_request');
    const found = this.resolve(ref, opts.cwd);
    const synth = opts.synth ?? found.synth;
    const synthHead = found.heads.find((h) => h.label === synth);
    if (!synthHead) throw new OmniError(`no head "${synth}" to write the synthesis; heads: ${found.heads.map((h) => h.label).join(', ')}`, 'bad_request');
    const question = latestQuestion(found);
    if (question === undefined || latestAnswers(found).size === 0) throw new OmniError(`run ${found.id} has no answers to debate yet: ask a question first`, 'conflict');
    const run = this.claim(found);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const done: DebbyExchange[] = [];
    try {
      for (let round = 1; round <= rounds; round++) {
        const latest = latestAnswers(run);
        const prompts = run.heads.map((head) => {
          const others: HeadAnswer[] = run.heads.filter((h) => h !== head && latest.has(h.label)).map((h) => ({ label: h.label, text: latest.get(h.label)! }));
          return { head, text: others.length ? critiquePrompt({ self: head.label, question, others, round, rounds }) : undefined };
        });
        const ex = await this.exchange(run, { kind: 'critique', round, prompt: `debate round ${round} of ${rounds}` }, prompts, timeoutMs);
        done.push(ex);
        if (ex.answers.some((a) => a.timedOut)) return { run: this.withCost(this.release(run)), exchanges: done };
      }
      const finals = latestAnswers(run);
      const answers: HeadAnswer[] = run.heads.filter((h) => finals.has(h.label)).map((h) => ({ label: h.label, text: finals.get(h.label)! }));
      done.push(await this.exchange(run, { kind: 'synthesis', prompt: `synthesis by ${synthHead.label}` }, [{ head: synthHead, text: synthesisPrompt(question, answers) }], timeoutMs));
      return { run: this.withCost(this.release(run)), exchanges: done };
    } catch (err) {
      this.release(run);
      throw err;
    }
  }

  /** Stop every head; the run is ended (an exchange under way ends with the heads' errors). */
  async stop(ref: string, cwd?: string): Promise<DebbyRun> {
    const run = this.resolve(ref, cwd);
    for (const h of run.heads) {
      const rec = this.deps.store.get(h.session);
      if (rec && isLive(rec.status)) await this.deps.sessions.stop(rec);
    }
    run.status = 'ended';
    this.deps.runs.put(run);
    return this.withCost(run);
  }

  close(): void {
    this.closing.abort();
  }

  /** Type each head its prompt (none: it sits this one out), in parallel; store the exchange as it starts and ends. */
  private async exchange(run: DebbyRun, what: Pick<DebbyExchange, 'kind' | 'prompt' | 'round'>, prompts: Array<{ head: DebbyHead; text: string | undefined }>, timeoutMs: number): Promise<DebbyExchange> {
    const ex: DebbyExchange = { n: run.exchanges.length + 1, kind: what.kind, ...(what.round ? { round: what.round } : {}), prompt: what.prompt, startedAt: this.now().toISOString(), answers: [] };
    run.exchanges.push(ex);
    this.deps.runs.put(run);
    const note = (rec: SessionRecord, state: 'started' | 'done') => {
      if (isLive(rec.status)) this.deps.sessions.emit(rec, { type: 'debby.exchange', data: { run: run.id, n: ex.n, kind: ex.kind, ...(ex.round ? { round: ex.round } : {}), state } });
    };
    const deadline = Date.now() + timeoutMs;
    ex.answers = await Promise.all(
      prompts.map(async ({ head, text }): Promise<DebbyAnswer> => {
        const rec = this.deps.store.get(head.session);
        if (!rec || !isLive(rec.status)) return { head: head.label, text: '', error: `the head has ${rec?.status ?? 'gone'}` };
        if (text === undefined) return { head: head.label, text: '', error: 'no other head has answered, so there is nothing to critique' };
        note(rec, 'started');
        try {
          return await this.askHead(head, rec, text, deadline);
        } finally {
          note(rec, 'done');
        }
      }),
    );
    ex.endedAt = this.now().toISOString();
    this.deps.runs.put(run);
    return ex;
  }

  private async askHead(head: DebbyHead, rec: SessionRecord, text: string, deadline: number): Promise<DebbyAnswer> {
    try {
      // A head still starting (or busy with something a person typed into its pane) is waited for first.
      if (rec.status !== 'idle') {
        try {
          await this.deps.sessions.waitForStatus(rec, 'idle', Math.max(0, deadline - Date.now()));
        } catch (err) {
          if (!isLive(rec.status)) return { head: head.label, text: '', error: `the head has ${rec.status}` };
          if ((err as OmniError).code === 'timeout') return { head: head.label, text: '', error: `${rec.name} was not ready for a question in time (status ${rec.status})`, timedOut: true };
          throw err;
        }
      }
      const turn = await this.deps.turns.ask(rec, text, { timeoutMs: Math.max(1, deadline - Date.now()), signal: this.closing.signal });
      const answer: DebbyAnswer = { head: head.label, text: turn.text, ...(turn.from ? { from: turn.from } : {}), ...(turn.to !== Number.MAX_SAFE_INTEGER ? { to: turn.to } : {}) };
      if (turn.timedOut) return { ...answer, error: `${rec.name} had not finished when the time ran out (status ${turn.status})`, timedOut: true };
      if (turn.status !== 'idle') return { ...answer, error: `the head ended (${turn.status}) before it finished` };
      return answer;
    } catch (err) {
      return { head: head.label, text: '', error: (err as Error).message };
    }
  }

  /** Mark the run busy (refused with 409 when it already is, or has ended); synchronous, so two requests cannot both pass. */
  private claim(run: DebbyRun): DebbyRun {
    this.refreshed(run);
    if (run.busy) throw new OmniError(`run ${run.id} is busy with an exchange; wait for it to end`, 'conflict');
    if (run.status === 'ended') throw new OmniError(`run ${run.id} has ended: every head has stopped`, 'conflict');
    run.busy = true;
    this.deps.runs.put(run);
    return run;
  }

  private release(run: DebbyRun): DebbyRun {
    delete run.busy;
    this.refreshed(run);
    this.deps.runs.put(run);
    return run;
  }

  /** `ended` once every head has ended, whichever way (stored when it changes). */
  private refreshed(run: DebbyRun): DebbyRun {
    if (run.status === 'live' && run.heads.every((h) => !isLive(this.deps.store.get(h.session)?.status ?? 'exited'))) {
      run.status = 'ended';
      this.deps.runs.put(run);
    }
    return run;
  }

  private resolve(ref: string, cwd?: string): DebbyRun {
    const all = this.deps.runs.all();
    const run = ref === 'latest' ? ((cwd ? all.find((r) => r.cwd === cwd) : undefined) ?? all[0]) : this.deps.runs.get(ref);
    if (run) return run;
    const known = all.map((r) => r.id);
    throw new OmniError(`no debby run "${ref}"; ${known.length ? `runs: ${known.join(', ')}` : 'no runs yet (start one with omni debby)'}`, 'not_found', undefined, { known });
  }

  /** A copy with each head's own cost and the total. */
  private withCost(run: DebbyRun): DebbyRun {
    const heads = run.heads.map((h) => ({ ...h, costUsd: this.deps.store.get(h.session)?.cost?.computedUsd ?? 0 }));
    return { ...run, heads, costUsd: heads.reduce((n, h) => n + h.costUsd, 0) };
  }

  private newId(): string {
    for (;;) {
      const id = newId('d_');
      if (!this.deps.runs.get(id)) return id;
    }
  }

  /** n for debby-<n>: past every stored run's, and free of any session already named debby-<n>-…. */
  private nextNumber(): number {
    let n = Math.max(0, ...this.deps.runs.all().map(runNumber)) + 1;
    const names = this.deps.store.all().map((s) => s.name);
    while (names.some((name) => name.startsWith(`debby-${n}-`))) n++;
    return n;
  }
}

/** The tag that finds a run's heads (`omni ls --tag debby-d_…`): tags allow no ":", so not debby:<id>. */
export function runTag(id: string): string {
  return `debby-${id}`;
}
