import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { NewEvent, SessionStatus, UsageData } from '../core/events.js';
import { OmniError } from '../core/errors.js';
import { readJsonFile, writeFileAtomic } from '../core/fsutil.js';
import { isLive, type SessionRecord } from '../core/session.js';
import { localDate, type CostLedger } from '../cost/ledger.js';
import type { ApprovalQueue } from '../approvals/queue.js';
import type { Approval, ApprovalScope, ApprovalVia } from '../approvals/types.js';
import { PolicyStateStore } from './policy-state-store.js';
import { sessionSpend, treeSpend } from './policy-spend.js';
import { treeFacts } from './session-tree.js';
import { evaluatePolicies } from '../policy/engine.js';
import { YamlError } from '../core/yaml.js';
import { compileSnapshot, type PolicySnapshot } from '../policy/snapshot.js';
import { PolicyState } from '../policy/state.js';
import { buildToolSubject } from '../policy/subject.js';
import { RECENT_MESSAGES, type DecisionRequest, type Level, type LoadedPolicy, type PolicySubject, type SpendView, type Verdict } from '../policy/types.js';

export type { PolicySnapshot } from '../policy/snapshot.js';

/** What the CLI sends: a file's content (read on the caller's side) or a name. */
export interface PolicyRefInput {
  ref: string;
  source?: string;
  text?: string;
  /** `agent` for policies from an agent spec; `session` (default) for --policy / policy add. */
  level?: 'agent' | 'session';
}

interface SessionPolicies {
  snapshots: PolicySnapshot[];
  policies: LoadedPolicy[];
  state: PolicyState;
  /** Where the state persists: snapshot + journal (policy-state-store.ts). */
  store: PolicyStateStore;
}

export interface PolicyServiceDeps {
  approvals: ApprovalQueue;
  sessionDir(id: string): string;
  getSession(id: string): SessionRecord | undefined;
  emit(rec: SessionRecord, ev: NewEvent): void;
  setStatus(rec: SessionRecord, status: SessionStatus, reason: string | undefined): void;
  /** Usage events as they are logged, totals updated (SessionLog.onUsage): budgets check each. */
  usage: { onUsage(listener: (rec: SessionRecord, usage: UsageData) => void): unknown };
  configDir: string;
  /** Always-on policies evaluated before everything else (omni's self-protection). */
  guards?: LoadedPolicy[];
  /** Shows an ask to a person right away (a tmux popup over the pane). */
  notify?(rec: SessionRecord, approval: Approval): void;
  log?(msg: string): void;
  /** Stops a generation in flight (SessionManager.interrupt): a hard budget limit was reached. */
  interrupt?(rec: SessionRecord): Promise<unknown>;
  /** Every session: tree-scoped spend, and the other live sessions a usage event may stop. */
  listSessions?(): SessionRecord[];
  /** Spend per local day across sessions (day-scoped budgets); without it, day spend is 0. */
  ledger?: CostLedger;
  now?(): Date;
}

/**
 * Policies per session (session + global levels), their state, and the approvals they wait
 * on. The daemon's single decision point for every harness.
 */
export class PolicyService {
  private sessions = new Map<string, SessionPolicies>();
  /** Usage-phase evaluations run one at a time per session, in event order. */
  private usageChains = new Map<string, Promise<void>>();
  /** Sessions being interrupted for a hard limit (one interrupt at a time). */
  private interrupting = new Set<string>();
  /** Per session, its last priced message costs (SpendView.recentMessagesUsd); in memory only. */
  private recent = new Map<string, number[]>();

  constructor(private readonly deps: PolicyServiceDeps) {
    deps.usage.onUsage((rec, u) => void this.onUsage(rec, u));
    // The log records every answer once, whoever is (or is no longer) waiting on it.
    deps.approvals.subscribe((item) => {
      if (item.type !== 'resolved') return;
      const a = item.approval;
      const rec = deps.getSession(a.session);
      if (!rec || !a.resolution) return;
      deps.emit(rec, {
        type: 'approval.resolved',
        data: { id: a.id, verdict: a.resolution.verdict, by: a.resolution.by, via: a.resolution.via, ...(a.resolution.reason ? { reason: a.resolution.reason } : {}), scope: a.resolution.scope, ...(a.resolution.guest ? { guest: a.resolution.guest } : {}) },
      });
    });
  }

  /** Validate and snapshot the policies a new session starts with (global ones included). */
  prepare(inputs: PolicyRefInput[], cwd: string): PolicySnapshot[] {
    const out: PolicySnapshot[] = [];
    const globalFile = path.join(this.deps.configDir, 'policies.yaml');
    if (fs.existsSync(globalFile)) out.push({ source: globalFile, text: fs.readFileSync(globalFile, 'utf8'), level: 'global' });
    for (const input of inputs) out.push(this.snapshot(input, cwd, input.level === 'agent' ? 'agent' : 'session'));
    for (const s of out) this.compile(s, cwd); // throws with file:line:column
    return out;
  }

  /** Attach snapshots to a session (new, or `omni policy add`). */
  attach(rec: SessionRecord, snapshots: PolicySnapshot[]): void {
    const cur = this.forSession(rec);
    cur.snapshots.push(...snapshots);
    for (const s of snapshots) cur.policies.push(...this.compile(s, rec.cwd));
    writeFileAtomic(path.join(this.deps.sessionDir(rec.id), 'policies.json'), JSON.stringify(cur.snapshots, null, 2) + '\n');
  }

  add(rec: SessionRecord, input: PolicyRefInput): PolicySnapshot {
    const snap = this.snapshot(input, rec.cwd, 'session');
    this.compile(snap, rec.cwd);
    this.attach(rec, [snap]);
    return snap;
  }

  describe(rec: SessionRecord): {
    policies: Array<{ name: string; level: Level; source?: string; phases: readonly string[]; builtin?: string; params?: Record<string, unknown> }>;
    state: ReturnType<PolicyState['toJSON']>;
  } {
    const cur = this.forSession(rec);
    return {
      policies: cur.policies.map((p) => ({
        name: p.policy.name,
        level: p.level,
        source: p.policy.source,
        phases: p.policy.phases,
        ...(p.policy.builtin ? { builtin: p.policy.builtin.name, params: p.policy.builtin.params } : {}),
      })),
      state: cur.state.toJSON(),
    };
  }

  gates(rec: SessionRecord, phase: DecisionRequest['phase']): boolean {
    const has = (p: LoadedPolicy) => p.policy.phases.includes(phase);
    return this.forSession(rec).policies.some(has) || (this.deps.guards ?? []).some(has);
  }

  /**
   * The decision point: evaluate, record, and hold an ask until a person answers. `extra`: policies that come with the request rather than the session's list (a sandboxed
   * session's network rules at `egress`); evaluated last, like global ones.
   */
  async decide(rec: SessionRecord, req: DecisionRequest, signal?: AbortSignal, extra: LoadedPolicy[] = []): Promise<Verdict> {
    const cur = this.forSession(rec);
    const guards = (this.deps.guards ?? []).filter((p) => p.policy.phases.includes(req.phase));
    const mine = [...cur.policies, ...extra].filter((p) => p.policy.phases.includes(req.phase));
    if (!guards.length && !mine.length) return { verdict: 'none' };
    const subject = this.subject(rec, req);
    // Guards first: a deny wins at once, and they are never the session's to remove.
    const result = await evaluatePolicies([...guards.map((g) => ({ ...g, level: 'session' as const })), ...mine], subject, cur.state);
    const callId = req.phase === 'tool_call' || req.phase === 'tool_result' ? req.callId : undefined;
    // With no policies of its own, a session's log records only what the guards actually did.
    // Egress requests log themselves (`egress.request`); only their denies and asks are decisions worth a line.
    // An omni MCP call (omni_wait, omni_read… in a loop) is logged only when a policy had an opinion.
    const record = req.phase === 'egress' ? result.verdict === 'deny' || result.verdict === 'ask' : req.phase === 'mcp' ? result.verdict !== 'none' : mine.length > 0 || result.verdict !== 'none';
    const stopping = result.verdict === 'deny' && result.stop && (req.phase === 'tool_call' || req.phase === 'tool_result') && this.canInterrupt(rec);
    if (record) this.deps.emit(rec, {
      type: 'policy.decision',
      data: {
        phase: req.phase,
        verdict: result.verdict,
        ...(result.policies.length ? { policy: result.policies.join(', ') } : {}),
        ...(result.reason ? { reason: stopping ? `${result.reason}; interrupting the session` : result.reason } : {}),
        ...(callId ? { callId } : {}),
      },
    });
    if (result.verdict === 'deny') {
      if (stopping) void this.interruptFor(rec);
      return { verdict: 'deny', reason: result.reason, policy: result.policies[0] };
    }
    if (result.verdict !== 'ask') {
      this.applyUpdates(cur, result.updates);
      return { verdict: result.verdict, reason: result.reason, policy: result.policies[0] };
    }

    // An egress request or an omni MCP call is never retried into the same ask (its connection dies with the daemon).
    const key =
      req.phase === 'prompt' ? `prompt:${req.key ?? req.text}` : req.phase === 'egress' || req.phase === 'mcp' ? `${req.phase}:${crypto.randomUUID()}` : `${req.phase}:${req.callId}`;
    const { approval, created } = this.deps.approvals.request({
      session: rec.id,
      sessionName: rec.name,
      harness: rec.harness,
      phase: req.phase,
      policies: result.policies,
      reason: result.reason ?? 'a policy asks for a human decision',
      request: requestSummary(subject),
      key,
    });
    if (created) {
      this.deps.emit(rec, { type: 'approval.requested', data: { id: approval.id, phase: req.phase, reason: approval.reason, policy: result.policies.join(', ') } });
      try {
        this.deps.notify?.(rec, approval);
      } catch (err) {
        this.deps.log?.(`notify ${approval.id}: ${(err as Error).message}`);
      }
    }
    // Restored afterwards: an egress ask can come from an idle (or starting) session's background request.
    const before = rec.status;
    if (approval.status === 'pending') this.deps.setStatus(rec, 'waiting', `approval ${approval.id}: ${approval.reason}`);
    // A hook that hangs up while the daemon lives means the agent gave up waiting (an
    // interrupt, a killed hook): withdraw the ask. A daemon that dies keeps it (persisted), and
    // the hook that reconnects joins it again.
    const onHangup = () => this.deps.approvals.cancel(approval.id, 'the agent stopped waiting (interrupted or its hook ended)');
    if (signal?.aborted) onHangup();
    signal?.addEventListener('abort', onHangup, { once: true });
    const done = await this.deps.approvals.wait(approval.id).finally(() => signal?.removeEventListener('abort', onHangup));
    if (rec.status === 'waiting') this.deps.setStatus(rec, before === 'waiting' ? 'running' : before, undefined);
    const r = done.resolution!;
    if (done.status === 'approved') {
      const grants: Array<[string, string]> = r.scope === 'session' ? result.asks.map((a) => [a.policy, a.grantKey]) : [];
      cur.state.apply(result.updates);
      for (const [p, k] of grants) cur.state.grant(p, k);
      cur.store.append(cur.state, { u: result.updates, g: grants });
      return { verdict: 'allow', reason: `approved by ${r.by} via ${r.via} (${approval.id})`, policy: result.policies[0] };
    }
    if (done.status === 'cancelled') return { verdict: 'deny', reason: `ask ${approval.id} withdrawn: ${r.reason ?? 'the agent stopped waiting'}`, policy: result.policies[0] };
    return { verdict: 'deny', reason: `denied by ${r.by} via ${r.via} (${approval.id})${r.reason ? `: ${r.reason}` : ''}`, policy: result.policies[0] };
  }

  /**
   * A usage event was logged (SessionLog's onUsage, with the session's totals updated).
   * Nothing waits on it, so nothing is held: the day ledger counts it, and the `usage`-phase
   * policies of the session that spent and of every other live session (a day or tree budget
   * may include this spend) are evaluated in the background. Their updates apply (allow or no
   * opinion). A deny means a hard limit was reached: it is recorded as a `policy.decision`
   * (for the spending session, and for any other that is stopped), the session's pending asks
   * are withdrawn, and a generation in flight (status running or waiting) is interrupted.
   */
  onUsage(rec: SessionRecord, usage: UsageData): Promise<void> {
    const now = this.now();
    this.deps.ledger?.add(usage, now);
    if (typeof usage.computedCostUsd === 'number') this.recent.set(rec.id, [...(this.recent.get(rec.id) ?? []), usage.computedCostUsd].slice(-RECENT_MESSAGES));
    const others = (this.deps.listSessions?.() ?? []).filter((s) => s.id !== rec.id && isLive(s.status));
    const runs: Promise<void>[] = [];
    for (const target of [rec, ...others]) {
      const cur = this.forSession(target);
      const mine = cur.policies.filter((p) => p.policy.phases.includes('usage'));
      if (!mine.length) continue;
      const own = target === rec;
      const run = async () => {
        const subject: PolicySubject = {
          phase: 'usage',
          session: this.subjectSession(target),
          usage: { ...usage, sessionCostUsd: rec.cost?.computedUsd ?? 0, ...(own ? {} : { session: rec.id }) },
          spend: this.spend(target),
        };
        const result = await evaluatePolicies(mine, subject, cur.state);
        if (result.verdict === 'deny') return this.hardStop(target, result.reason, result.policies, own);
        if (result.verdict === 'ask' && own) {
          // Nothing can be held at usage: an ask here is only recorded (asks belong at gates).
          this.deps.emit(target, { type: 'policy.decision', data: { phase: 'usage', verdict: 'ask', policy: result.policies.join(', '), ...(result.reason ? { reason: result.reason } : {}) } });
          return;
        }
        this.applyUpdates(cur, result.updates);
      };
      const prev = this.usageChains.get(target.id) ?? Promise.resolve();
      const next = prev.then(run).catch((err) => this.deps.log?.(`${target.id}: usage policies: ${(err as Error).message}`));
      this.usageChains.set(target.id, next);
      void next.finally(() => {
        if (this.usageChains.get(target.id) === next) this.usageChains.delete(target.id);
      });
      runs.push(next);
    }
    return Promise.all(runs).then(() => undefined);
  }

  /** The spend a policy sees (subject.spend): this session, its tree, and today's (local). */
  spend(rec: SessionRecord): SpendView {
    const day = this.deps.ledger?.day(this.now()) ?? { date: localDate(this.now()), usd: 0, unpricedModels: [] };
    return { session: sessionSpend(rec), tree: treeSpend(rec, this.deps.listSessions?.() ?? []), day, recentMessagesUsd: [...(this.recent.get(rec.id) ?? [])] };
  }

  answer(id: string, verdict: 'approve' | 'deny', opts: { scope?: ApprovalScope; via: ApprovalVia; by: string; reason?: string; guest?: { user: string; uid: number } }): Approval {
    return this.deps.approvals.resolve(id, { verdict, ...opts });
  }

  /** The session's directory is going away: drop what is held, write nothing. */
  forget(id: string): void {
    this.sessions.get(id)?.store.dispose();
    this.sessions.delete(id);
    this.recent.delete(id);
  }

  /** The session ended (or the daemon stops): fold its state journal into the snapshot, close its fd. */
  close(id: string): void {
    const cur = this.sessions.get(id);
    if (!cur) return;
    try {
      cur.store.close(cur.state);
    } catch (err) {
      this.deps.log?.(`${id}: closing policy state: ${(err as Error).message}`);
    }
  }

  closeAll(): void {
    for (const id of this.sessions.keys()) this.close(id);
  }

  withdraw(rec: SessionRecord, why: string): void {
    for (const a of this.deps.approvals.list({ session: rec.id })) this.deps.approvals.cancel(a.id, why);
  }

  // ---- internals ----

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** A hard limit at usage: record it, withdraw the session's asks, interrupt a generation in flight. */
  private async hardStop(rec: SessionRecord, reason: string | undefined, policies: string[], own: boolean): Promise<void> {
    const inFlight = rec.status === 'running' || rec.status === 'waiting';
    const pending = this.deps.approvals.list({ session: rec.id });
    if (!own && !inFlight && !pending.length) return; // an idle session elsewhere: its gates deny
    const why = reason ?? 'a hard limit was reached';
    const interrupt = this.canInterrupt(rec);
    this.deps.emit(rec, {
      type: 'policy.decision',
      data: { phase: 'usage', verdict: 'deny', ...(policies.length ? { policy: policies.join(', ') } : {}), reason: interrupt ? `${why}; interrupting the session` : why },
    });
    for (const a of pending) this.deps.approvals.cancel(a.id, why);
    if (interrupt) await this.interruptFor(rec);
  }

  /** A generation in flight (running or waiting) that no interrupt is already stopping. */
  private canInterrupt(rec: SessionRecord): boolean {
    return (rec.status === 'running' || rec.status === 'waiting') && !!this.deps.interrupt && !this.interrupting.has(rec.id);
  }

  private async interruptFor(rec: SessionRecord): Promise<void> {
    if (this.interrupting.has(rec.id) || !this.deps.interrupt) return;
    this.interrupting.add(rec.id);
    try {
      await this.deps.interrupt(rec);
    } catch (err) {
      this.deps.log?.(`${rec.id}: interrupt for a hard limit: ${(err as Error).message}`);
    } finally {
      this.interrupting.delete(rec.id);
    }
  }

  private subjectSession(rec: SessionRecord): PolicySubject['session'] {
    return { id: rec.id, name: rec.name, harness: rec.harness, cwd: rec.cwd };
  }

  private forSession(rec: SessionRecord): SessionPolicies {
    let cur = this.sessions.get(rec.id);
    if (cur) return cur;
    const dir = this.deps.sessionDir(rec.id);
    let snapshots: PolicySnapshot[] = [];
    try {
      snapshots = readJsonFile<PolicySnapshot[]>(path.join(dir, 'policies.json')) ?? [];
    } catch (err) {
      this.deps.log?.(`${rec.id}: cannot read policy files: ${(err as Error).message}`);
    }
    const log = (msg: string) => this.deps.log?.(`${rec.id}: ${msg}`);
    const store = new PolicyStateStore(dir, { log });
    const policies: LoadedPolicy[] = [];
    let state: PolicyState;
    try {
      state = store.load();
    } catch (err) {
      // Unreadable state must not pass for empty state (a lost taint would let a push through).
      const message = (err as Error).message;
      log(`cannot read policy state: ${message}`);
      state = new PolicyState();
      policies.push({ level: 'session', policy: { name: 'broken:policy-state', phases: ['prompt', 'tool_call'], evaluate: () => ({ verdict: 'deny', reason: `this session's policy state cannot be read: ${message}` }) } });
    }
    for (const s of snapshots) {
      try {
        policies.push(...this.compile(s, rec.cwd));
      } catch (err) {
        // A policy that no longer loads must not silently vanish: it denies everything.
        const message = (err as Error).message;
        policies.push({ level: s.level, policy: { name: `broken:${s.source}`, phases: ['prompt', 'tool_call'], evaluate: () => ({ verdict: 'deny', reason: `policy ${s.source} cannot be loaded: ${message}` }) } });
      }
    }
    cur = { snapshots, policies, state, store };
    this.sessions.set(rec.id, cur);
    return cur;
  }

  private snapshot(input: PolicyRefInput, cwd: string, level: Level): PolicySnapshot {
    if (input.text !== undefined) return { source: input.source ?? input.ref, text: input.text, level };
    return { source: input.ref, ref: input.ref, level };
  }

  private compile(s: PolicySnapshot, cwd: string): LoadedPolicy[] {
    try {
      return compileSnapshot(s, { cwd, configDir: this.deps.configDir });
    } catch (err: unknown) {
      if (err instanceof YamlError) throw new OmniError((err as Error).message, 'policy_invalid');
      if (err instanceof OmniError) throw err;
      throw new OmniError((err as Error).message, 'policy_invalid');
    }
  }

  private subject(rec: SessionRecord, req: DecisionRequest): PolicySubject {
    const session = this.subjectSession(rec);
    const spend = this.spend(rec);
    if (req.phase === 'prompt') return { phase: 'prompt', session, prompt: { text: req.text }, spend };
    if (req.phase === 'egress') return { phase: 'egress', session, egress: { host: req.host, port: req.port, method: req.method, path: req.path, scheme: req.scheme, ...(req.model ? { model: true } : {}) }, spend };
    if (req.phase === 'mcp') return { phase: 'mcp', session, mcp: { tool: req.tool, args: req.args, tree: treeFacts(rec, this.deps.listSessions?.() ?? []) }, spend };
    const tool = buildToolSubject({ name: req.tool, callId: req.callId, input: req.input, call: req.call }, rec.cwd);
    if (req.phase === 'tool_result') return { phase: 'tool_result', session, tool, result: { ok: req.ok, output: req.output }, spend };
    return { phase: 'tool_call', session, tool, spend };
  }

  /** Applied and journaled before the verdict that depends on them is returned. */
  private applyUpdates(cur: SessionPolicies, updates: Parameters<PolicyState['apply']>[0]): void {
    if (!updates.length) return;
    cur.state.apply(updates);
    cur.store.append(cur.state, { u: updates });
  }
}

function requestSummary(subject: PolicySubject): Approval['request'] {
  if (subject.prompt) return { prompt: subject.prompt.text.slice(0, 2000) };
  if (subject.mcp) return { tool: subject.mcp.tool, kind: 'mcp', input: subject.mcp.args };
  if (subject.egress) {
    const e = subject.egress;
    const port = e.port === (e.scheme === 'http' ? 80 : 443) ? '' : `:${e.port}`;
    return { host: e.host, url: `${e.method ?? 'GET'} ${e.scheme ?? 'https'}://${e.host}${port}${e.path ?? '/'}` };
  }
  const t = subject.tool;
  if (!t) return {};
  const paths = [...new Set([...t.writes, ...t.reads])];
  return { tool: t.name, kind: t.kind, ...(t.script ? { command: t.script } : {}), ...(paths.length ? { paths } : {}), input: t.input };
}
