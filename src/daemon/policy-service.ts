import fs from 'node:fs';
import path from 'node:path';
import type { NewEvent, SessionStatus } from '../core/events.js';
import { OmniError } from '../core/errors.js';
import { readJsonFile, writeFileAtomic } from '../core/fsutil.js';
import type { SessionRecord } from '../core/session.js';
import type { ApprovalQueue } from '../approvals/queue.js';
import type { Approval, ApprovalScope, ApprovalVia } from '../approvals/types.js';
import type { DecisionRequest, Verdict } from '../harnesses/types.js';
import { evaluatePolicies } from '../policy/engine.js';
import { loadPolicyRef, parsePolicyText, PolicyLoadError } from '../policy/rules.js';
import { PolicyState } from '../policy/state.js';
import { buildToolSubject } from '../policy/subject.js';
import type { Level, LoadedPolicy, PolicySubject } from '../policy/types.js';

/** A policy as the session was started with it: the text is kept, so edits to the file later
 * do not change a running session, and a restarted daemon loads exactly the same rules. */
export interface PolicySnapshot {
  source: string;
  text?: string;
  ref?: string;
  level: Level;
}

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
}

export interface PolicyServiceDeps {
  approvals: ApprovalQueue;
  sessionDir(id: string): string;
  getSession(id: string): SessionRecord | undefined;
  emit(rec: SessionRecord, ev: NewEvent): void;
  setStatus(rec: SessionRecord, status: SessionStatus, reason: string | undefined): void;
  configDir: string;
  /** Always-on policies evaluated before everything else (omni's self-protection). */
  guards?: LoadedPolicy[];
  /** Shows an ask to a person right away (a tmux popup over the pane). */
  notify?(rec: SessionRecord, approval: Approval): void;
  log?(msg: string): void;
}

/**
 * Policies per session (session + global levels), their state, and the approvals they wait
 * on. The daemon's single decision point for every harness.
 */
export class PolicyService {
  private sessions = new Map<string, SessionPolicies>();

  constructor(private readonly deps: PolicyServiceDeps) {
    // The log records every answer once, whoever is (or is no longer) waiting on it.
    deps.approvals.subscribe((item) => {
      if (item.type !== 'resolved') return;
      const a = item.approval;
      const rec = deps.getSession(a.session);
      if (!rec || !a.resolution) return;
      deps.emit(rec, {
        type: 'approval.resolved',
        data: { id: a.id, verdict: a.resolution.verdict, by: a.resolution.by, via: a.resolution.via, ...(a.resolution.reason ? { reason: a.resolution.reason } : {}), scope: a.resolution.scope },
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

  describe(rec: SessionRecord): { policies: Array<{ name: string; level: Level; source?: string; phases: readonly string[] }>; state: ReturnType<PolicyState['toJSON']> } {
    const cur = this.forSession(rec);
    return {
      policies: cur.policies.map((p) => ({ name: p.policy.name, level: p.level, source: p.policy.source, phases: p.policy.phases })),
      state: cur.state.toJSON(),
    };
  }

  /** The decision point: evaluate, record, and hold an ask until a person answers. */
  async decide(rec: SessionRecord, req: DecisionRequest, signal?: AbortSignal): Promise<Verdict> {
    const cur = this.forSession(rec);
    const guards = (this.deps.guards ?? []).filter((p) => p.policy.phases.includes(req.phase));
    const mine = cur.policies.filter((p) => p.policy.phases.includes(req.phase));
    if (!guards.length && !mine.length) return { verdict: 'none' };
    const subject = this.subject(rec, req);
    // Guards first: a deny wins at once, and they are never the session's to remove.
    const result = await evaluatePolicies([...guards.map((g) => ({ ...g, level: 'session' as const })), ...mine], subject, cur.state);
    const callId = 'callId' in req ? req.callId : undefined;
    // With no policies of its own, a session's log records only what the guards actually did.
    if (mine.length || result.verdict !== 'none') this.deps.emit(rec, {
      type: 'policy.decision',
      data: {
        phase: req.phase,
        verdict: result.verdict,
        ...(result.policies.length ? { policy: result.policies.join(', ') } : {}),
        ...(result.reason ? { reason: result.reason } : {}),
        ...(callId ? { callId } : {}),
      },
    });
    if (result.verdict === 'deny') return { verdict: 'deny', reason: result.reason, policy: result.policies[0] };
    if (result.verdict !== 'ask') {
      this.applyUpdates(rec, cur, result.updates);
      return { verdict: result.verdict, reason: result.reason, policy: result.policies[0] };
    }

    const key = req.phase === 'prompt' ? `prompt:${req.key ?? req.text}` : `${req.phase}:${req.callId}`;
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
    if (approval.status === 'pending') this.deps.setStatus(rec, 'waiting', `approval ${approval.id}: ${approval.reason}`);
    // A hook that hangs up while the daemon lives means the agent gave up waiting (an
    // interrupt, a killed hook): withdraw the ask. A daemon that dies keeps it (persisted), and
    // the hook that reconnects joins it again.
    const onHangup = () => this.deps.approvals.cancel(approval.id, 'the agent stopped waiting (interrupted or its hook ended)');
    if (signal?.aborted) onHangup();
    signal?.addEventListener('abort', onHangup, { once: true });
    const done = await this.deps.approvals.wait(approval.id).finally(() => signal?.removeEventListener('abort', onHangup));
    if (rec.status === 'waiting') this.deps.setStatus(rec, 'running', undefined);
    const r = done.resolution!;
    if (done.status === 'approved') {
      this.applyUpdates(rec, cur, result.updates);
      if (r.scope === 'session') for (const a of result.asks) cur.state.grant(a.policy, a.grantKey);
      this.saveState(rec, cur);
      return { verdict: 'allow', reason: `approved by ${r.by} via ${r.via} (${approval.id})`, policy: result.policies[0] };
    }
    if (done.status === 'cancelled') return { verdict: 'deny', reason: `ask ${approval.id} withdrawn: ${r.reason ?? 'the agent stopped waiting'}`, policy: result.policies[0] };
    return { verdict: 'deny', reason: `denied by ${r.by} via ${r.via} (${approval.id})${r.reason ? `: ${r.reason}` : ''}`, policy: result.policies[0] };
  }

  answer(id: string, verdict: 'approve' | 'deny', opts: { scope?: ApprovalScope; via: ApprovalVia; by: string; reason?: string }): Approval {
    return this.deps.approvals.resolve(id, { verdict, ...opts });
  }

  forget(id: string): void {
    this.sessions.delete(id);
  }

  // ---- internals ----

  private forSession(rec: SessionRecord): SessionPolicies {
    let cur = this.sessions.get(rec.id);
    if (cur) return cur;
    const dir = this.deps.sessionDir(rec.id);
    let snapshots: PolicySnapshot[] = [];
    let stateData;
    try {
      snapshots = readJsonFile<PolicySnapshot[]>(path.join(dir, 'policies.json')) ?? [];
      stateData = readJsonFile<ReturnType<PolicyState['toJSON']>>(path.join(dir, 'policy-state.json'));
    } catch (err) {
      this.deps.log?.(`${rec.id}: cannot read policy files: ${(err as Error).message}`);
    }
    const policies: LoadedPolicy[] = [];
    for (const s of snapshots) {
      try {
        policies.push(...this.compile(s, rec.cwd));
      } catch (err) {
        // A policy that no longer loads must not silently vanish: it denies everything.
        const message = (err as Error).message;
        policies.push({ level: s.level, policy: { name: `broken:${s.source}`, phases: ['prompt', 'tool_call'], evaluate: () => ({ verdict: 'deny', reason: `policy ${s.source} cannot be loaded: ${message}` }) } });
      }
    }
    cur = { snapshots, policies, state: new PolicyState(stateData) };
    this.sessions.set(rec.id, cur);
    return cur;
  }

  private snapshot(input: PolicyRefInput, cwd: string, level: Level): PolicySnapshot {
    if (input.text !== undefined) return { source: input.source ?? input.ref, text: input.text, level };
    return { source: input.ref, ref: input.ref, level };
  }

  private compile(s: PolicySnapshot, cwd: string): LoadedPolicy[] {
    try {
      if (s.text !== undefined) return parsePolicyText(s.text, s.source, s.level);
      const loaded = loadPolicyRef(s.ref ?? s.source, { cwd, configDir: this.deps.configDir, level: s.level });
      s.text = loaded.text;
      s.source = loaded.source;
      return loaded.policies;
    } catch (err: unknown) {
      if (err instanceof PolicyLoadError) throw new OmniError((err as Error).message, 'policy_invalid');
      if (err instanceof OmniError) throw err;
      throw new OmniError((err as Error).message, 'policy_invalid');
    }
  }

  private subject(rec: SessionRecord, req: DecisionRequest): PolicySubject {
    const session = { id: rec.id, name: rec.name, harness: rec.harness, cwd: rec.cwd };
    if (req.phase === 'prompt') return { phase: 'prompt', session, prompt: { text: req.text } };
    const tool = buildToolSubject({ name: req.tool, kind: req.kind, callId: req.callId, input: req.input }, rec.cwd);
    if (req.phase === 'tool_result') return { phase: 'tool_result', session, tool, result: { ok: req.ok, output: req.output } };
    return { phase: 'tool_call', session, tool };
  }

  private applyUpdates(rec: SessionRecord, cur: SessionPolicies, updates: Parameters<PolicyState['apply']>[0]): void {
    if (!updates.length) return;
    cur.state.apply(updates);
    this.saveState(rec, cur);
  }

  private saveState(rec: SessionRecord, cur: SessionPolicies): void {
    writeFileAtomic(path.join(this.deps.sessionDir(rec.id), 'policy-state.json'), JSON.stringify(cur.state.toJSON(), null, 2) + '\n');
  }
}

function requestSummary(subject: PolicySubject): Approval['request'] {
  if (subject.prompt) return { prompt: subject.prompt.text.slice(0, 2000) };
  const t = subject.tool;
  if (!t) return {};
  const input = t.input as Record<string, unknown> | null;
  const command = typeof input?.command === 'string' ? input.command : typeof input?.cmd === 'string' ? input.cmd : undefined;
  const paths = [...new Set([...t.writes, ...t.reads])];
  return { tool: t.name, kind: t.kind, ...(command ? { command } : {}), ...(paths.length ? { paths } : {}), input: t.input };
}
