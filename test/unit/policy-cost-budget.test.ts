import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApprovalQueue } from '../../src/approvals/queue.js';
import type { NewEvent, OmniEvent, UsageData } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { CostLedger, localDate } from '../../src/cost/ledger.js';
import { CostFold } from '../../src/cost/summary.js';
import { PolicyService } from '../../src/daemon/policy-service.js';
import { addUsage } from '../../src/daemon/session-log.js';
import { formatUsd } from '../../src/policy/builtins/cost-budget.js';
import { loadPolicyRef } from '../../src/policy/rules.js';
import type { LoadedPolicy, Phase, PolicySubject, Spend, SpendView } from '../../src/policy/types.js';
import { CWD, PolicyState, bash, load, prompt, session, step } from '../helpers/policy.js';

function budget(params: Record<string, unknown>): LoadedPolicy[] {
  return load(`policies:\n  - use: cost_budget\n    with: ${JSON.stringify(params)}\n`);
}
const spendOf = (usd: number, unpricedModels: string[] = []): Spend => ({ usd, unpricedModels });
function view(v: { session?: Spend; tree?: Spend; day?: Spend }): SpendView {
  const s = v.session ?? spendOf(0);
  return { session: s, tree: v.tree ?? s, day: { date: '2025-06-01', ...(v.day ?? s) } };
}
/** A gate (prompt or tool call) or a usage event, with the spend so far. */
function at(phase: Phase, usd: number, opts: { unpriced?: string[]; tree?: Spend; day?: Spend; recent?: number[] } = {}): PolicySubject {
  const base = phase === 'prompt' ? prompt('go on') : phase === 'tool_call' ? bash('ls') : { phase, session: session() };
  const s: PolicySubject = { ...base, phase, spend: { ...view({ session: spendOf(usd, opts.unpriced), tree: opts.tree, day: opts.day }), ...(opts.recent ? { recentMessagesUsd: opts.recent } : {}) } };
  if (phase === 'usage') s.usage = { model: 'm', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, source: 't', sessionCostUsd: usd };
  return s;
}

describe('cost_budget', () => {
  it('asks at every checkpoint: approved is not asked again, the next one is', async () => {
    const ps = budget({ ask_every_usd: 100 });
    const st = new PolicyState();
    expect((await step(ps, at('tool_call', 99.99), st)).verdict).toBe('none');
    const r1 = await step(ps, at('tool_call', 100), st, 'approve');
    expect(r1).toMatchObject({ verdict: 'ask', asks: [{ policy: 'cost_budget', grantKey: 'checkpoint:1' }] });
    expect(r1.reason).toBe('cost_budget: cost budget: $100 spent in this session, past the $100 checkpoint (one every $100)');
    expect(st.set('cost_budget:approved')).toEqual(new Set(['checkpoint:1']));
    expect((await step(ps, at('prompt', 150), st)).verdict).toBe('none');
    expect((await step(ps, at('tool_call', 199.5), st)).verdict).toBe('none');
    expect(await step(ps, at('prompt', 200.25), st, 'approve')).toMatchObject({ verdict: 'ask', asks: [{ grantKey: 'checkpoint:2' }], reason: expect.stringContaining('past the $200 checkpoint') });
    expect((await step(ps, at('tool_call', 250), st)).verdict).toBe('none');
  });

  it('asks a declined checkpoint again at the next gate', async () => {
    const ps = budget({ ask_every_usd: 10 });
    const st = new PolicyState();
    expect((await step(ps, at('tool_call', 12), st, 'deny')).verdict).toBe('ask');
    expect((await step(ps, at('tool_call', 13), st, 'deny')).asks[0]?.grantKey).toBe('checkpoint:1');
    expect((await step(ps, at('prompt', 14), st, 'approve')).asks[0]?.grantKey).toBe('checkpoint:1');
    expect((await step(ps, at('tool_call', 15), st)).verdict).toBe('none');
  });

  it('one ask covers several checkpoints passed at once; approve-for-session covers only that checkpoint', async () => {
    const ps = budget({ ask_every_usd: 1 });
    const st = new PolicyState();
    expect((await step(ps, at('tool_call', 3.2), st, 'approve-session')).asks[0]?.grantKey).toBe('checkpoint:3');
    expect(st.hasGrant('cost_budget', 'checkpoint:3')).toBe(true);
    expect((await step(ps, at('tool_call', 3.9), st)).verdict).toBe('none');
    expect((await step(ps, at('tool_call', 4.0), st)).asks[0]?.grantKey).toBe('checkpoint:4');
    // float spend: 0.1 + 0.2 reaches a $0.30 checkpoint
    expect((await step(budget({ ask_every_usd: 0.3 }), at('tool_call', 0.1 + 0.2), new PolicyState())).asks[0]?.grantKey).toBe('checkpoint:1');
  });

  it('asks once at the soft limit; with a checkpoint passed too, in the same ask', async () => {
    const ps = budget({ ask_every_usd: 5, soft_limit_usd: 8, hard_limit_usd: 20 });
    const st = new PolicyState();
    expect((await step(ps, at('tool_call', 6), st, 'approve')).asks[0]?.grantKey).toBe('checkpoint:1');
    const r = await step(ps, at('tool_call', 10), st, 'deny');
    expect(r).toMatchObject({ verdict: 'ask', asks: [{ grantKey: 'soft checkpoint:2' }] });
    expect(r.reason).toBe('cost_budget: cost budget: $10 spent in this session, past the soft limit of $8; past the $10 checkpoint (one every $5); hard limit $20');
    await step(ps, at('tool_call', 10.5), st, 'approve');
    expect([...st.set('cost_budget:approved')].sort()).toEqual(['checkpoint:1', 'checkpoint:2', 'soft']);
    expect((await step(ps, at('tool_call', 14), st)).verdict).toBe('none');
    expect((await step(ps, at('tool_call', 15), st)).asks[0]?.grantKey).toBe('checkpoint:3'); // soft is not asked again
  });

  it('denies prompts and tool calls at the hard limit, and denies at usage (the daemon interrupts)', async () => {
    const ps = budget({ ask_every_usd: 1, hard_limit_usd: 2.5 });
    const st = new PolicyState({ sets: { 'cost_budget:approved': ['checkpoint:1', 'checkpoint:2'] } });
    expect((await step(ps, at('tool_call', 2.49), st)).verdict).toBe('none');
    expect((await step(ps, at('usage', 2.49), st)).verdict).toBe('none');
    for (const phase of ['prompt', 'tool_call', 'usage'] as const) {
      expect(await step(ps, at(phase, 2.5), st, 'approve')).toMatchObject({
        verdict: 'deny',
        policies: ['cost_budget'],
        reason: 'cost budget: $2.50 spent in this session reached the hard limit of $2.50',
      });
    }
    // No approval gets past it: a hard limit is not an ask.
    expect((await step(ps, at('tool_call', 2.6), st, 'approve-session')).verdict).toBe('deny');
    // Checkpoints and soft limits never ask at usage (nothing can be held there).
    expect((await step(budget({ ask_every_usd: 1, soft_limit_usd: 1.5 }), at('usage', 5), new PolicyState())).verdict).toBe('none');
    expect(ps[0]!.policy.phases).toEqual(['prompt', 'tool_call', 'usage', 'egress']);
    expect((await step(ps, { ...bash('ls'), phase: 'tool_result', result: { ok: true, output: '' }, spend: view({ session: spendOf(9) }) }, st)).verdict).toBe('none');
  });

  it('denies at a gate when the next message, projected from the recent ones, would pass the hard limit', async () => {
    const ps = budget({ hard_limit_usd: 1 });
    const st = new PolicyState();
    // The costliest of the last messages: $0.80 + $0.25 > $1.
    for (const phase of ['prompt', 'tool_call'] as const) {
      const r = await step(ps, at(phase, 0.8, { recent: [0.25, 0.1] }), st, 'approve');
      expect(r).toMatchObject({ verdict: 'deny', policies: ['cost_budget'], reason: 'cost budget: $0.80 spent in this session + ~$0.25 for the next model message (as much as the costliest of the last 2) would pass the hard limit of $1' });
    }
    expect(await ps[0]!.policy.evaluate(at('tool_call', 0.8, { recent: [0.25] }), st)).toMatchObject({ verdict: 'deny', reason: expect.stringContaining('(as much as the last one)'), stop: true });
    // Landing exactly on the limit is not passing it; nothing metered yet, no projection.
    expect((await step(ps, at('tool_call', 0.75, { recent: [0.25] }), st)).verdict).toBe('none');
    expect((await step(ps, at('tool_call', 0.99), st)).verdict).toBe('none');
    expect((await step(ps, at('tool_call', 0.99, { recent: [] }), st)).verdict).toBe('none');
    // At usage only the spend itself counts (the message is over; the next gate projects).
    expect((await step(ps, at('usage', 0.9, { recent: [0.5] }), st)).verdict).toBe('none');
    // Off by choice; and without a hard limit there is nothing to project against.
    expect((await step(budget({ hard_limit_usd: 1, project_next: false }), at('prompt', 0.9, { recent: [0.5] }), st)).verdict).toBe('none');
    expect((await step(budget({ soft_limit_usd: 5 }), at('prompt', 0.9, { recent: [9] }), st)).verdict).toBe('none');
    // The scope's spend, this session's messages: a day budget with another session's spend.
    expect((await step(budget({ hard_limit_usd: 10, scope: 'day' }), at('prompt', 0.1, { day: spendOf(9.5), recent: [0.6] }), st)).reason).toBe(
      'cost budget: $9.50 spent today (2025-06-01, all sessions) + ~$0.60 for the next model message (as much as the last one) would pass the hard limit of $10',
    );
    // A hard deny also asks the daemon to stop the session.
    expect(await ps[0]!.policy.evaluate(at('tool_call', 1), st)).toMatchObject({ verdict: 'deny', stop: true });
  });

  it('refuses a request to the model endpoint that would pass the hard limit; other requests are not its business', async () => {
    const ps = budget({ ask_every_usd: 0.1, hard_limit_usd: 1 });
    const st = new PolicyState();
    const egress = (usd: number, model: boolean, recent?: number[]): PolicySubject => ({
      phase: 'egress',
      session: session(),
      egress: { host: 'api.example.com', port: 443, method: 'POST', path: '/v1/messages', scheme: 'https', ...(model ? { model: true } : {}) },
      spend: { ...view({ session: spendOf(usd) }), ...(recent ? { recentMessagesUsd: recent } : {}) },
    });
    expect(await step(ps, egress(0.8, true, [0.3]), st)).toMatchObject({ verdict: 'deny', reason: 'cost budget: $0.80 spent in this session + ~$0.30 for the next model message (as much as the last one) would pass the hard limit of $1' });
    expect(await step(ps, egress(1, true), st)).toMatchObject({ verdict: 'deny', reason: 'cost budget: $1 spent in this session reached the hard limit of $1' });
    // Under the limit: no checkpoint asks here (a held model request is no place for them).
    expect((await step(ps, egress(0.5, true, [0.3]), st)).verdict).toBe('none');
    // Not a model request: none of its business, even past the limit.
    expect((await step(ps, egress(5, false, [0.3]), st)).verdict).toBe('none');
  });

  it('asks once per unpriced model, never counting it as $0', async () => {
    const ps = budget({ hard_limit_usd: 10 });
    const st = new PolicyState();
    const r = await step(ps, at('prompt', 0, { unpriced: ['mystery-1'] }), st, 'deny');
    expect(r).toMatchObject({ verdict: 'ask', asks: [{ grantKey: 'unpriced:mystery-1' }], reason: expect.stringContaining('model mystery-1 has no price, so its spend is unknown (not counted as $0)') });
    expect((await step(ps, at('tool_call', 0, { unpriced: ['mystery-1'] }), st, 'approve')).verdict).toBe('ask'); // declined: asked again
    expect((await step(ps, at('tool_call', 1, { unpriced: ['mystery-1'] }), st)).verdict).toBe('none');
    expect((await step(ps, at('tool_call', 1, { unpriced: ['mystery-1', 'mystery-2'] }), st)).asks.map((a) => a.grantKey)).toEqual(['unpriced:mystery-2']);
  });

  it('scope picks whose spend counts: session, tree or day', async () => {
    const subject = (phase: Phase) => at(phase, 1, { tree: spendOf(5), day: spendOf(12) });
    expect((await step(budget({ hard_limit_usd: 4 }), subject('tool_call'), new PolicyState())).verdict).toBe('none');
    expect(await step(budget({ hard_limit_usd: 4, scope: 'tree' }), subject('tool_call'), new PolicyState())).toMatchObject({
      verdict: 'deny',
      reason: 'cost budget: $5 spent by this session and its sub-agents reached the hard limit of $4',
    });
    expect((await step(budget({ hard_limit_usd: 14, scope: 'day' }), subject('tool_call'), new PolicyState())).verdict).toBe('none');
    expect(await step(budget({ ask_every_usd: 10, scope: 'day' }), subject('prompt'), new PolicyState())).toMatchObject({
      verdict: 'ask',
      reason: 'cost_budget: cost budget: $12 spent today (2025-06-01, all sessions), past the $10 checkpoint (one every $10)',
    });
    // unpriced models of the scope, not the session's
    expect((await step(budget({ soft_limit_usd: 100, scope: 'day' }), at('prompt', 0, { day: spendOf(0, ['x']) }), new PolicyState())).asks[0]?.grantKey).toBe('unpriced:x');
  });

  it('formats amounts', () => {
    expect([0, 0.6, 0.25, 0.2805, 0.1, 0.0005, 0.12345, 1, 1.2, 2.5, 100, 1234.5].map(formatUsd)).toEqual(
      ['$0', '$0.60', '$0.25', '$0.2805', '$0.10', '$0.0005', '$0.1235', '$1', '$1.20', '$2.50', '$100', '$1234.50'],
    );
  });

  it('has no opinion without a meter (outside the daemon)', async () => {
    expect(await budget({ hard_limit_usd: 1 })[0]!.policy.evaluate(bash('ls'), new PolicyState())).toEqual({});
  });

  it('validates its parameters', () => {
    expect(() => budget({ scope: 'session' })).toThrow(/cost_budget: set at least one of ask_every_usd, soft_limit_usd, hard_limit_usd/);
    expect(() => budget({ soft_limit_usd: 5, hard_limit_usd: 5 })).toThrow(/soft_limit_usd \(5\) must be below hard_limit_usd \(5\)/);
    expect(() => budget({ ask_every_usd: -1 })).toThrow(/ask_every_usd must be at least 0, not -1/);
    expect(() => budget({ ask_every_usd: '$100' })).toThrow(/ask_every_usd must be a number, not a string/);
    expect(() => budget({ hard_limit_usd: 1, scope: 'week' })).toThrow(/scope/);
    const ref = loadPolicyRef('cost_budget:{"ask_every_usd": 0.25, "hard_limit_usd": 1}', { cwd: CWD, configDir: '/nonexistent', level: 'session' });
    expect(ref.policies[0]!.policy.name).toBe('cost_budget');
  });
});

describe('CostLedger', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-ledger-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const u = (usd: number | undefined, model = 'm'): UsageData => ({
    model,
    inputTokens: 1,
    outputTokens: 1,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    source: 't',
    ...(usd === undefined ? { unpriced: true as const } : { computedCostUsd: usd }),
  });

  it('sums spend per local day, lists unpriced models, persists, and starts afresh at midnight', () => {
    const file = path.join(dir, 'state', 'cost-ledger.json');
    const ledger = new CostLedger(file).load();
    const evening = new Date(2025, 5, 1, 23, 59, 0);
    const morning = new Date(2025, 5, 2, 0, 0, 1);
    ledger.add(u(0.1), evening);
    ledger.add(u(0.2), evening);
    ledger.add(u(undefined, 'mystery'), evening);
    ledger.add(u(1.5), morning);
    expect(ledger.day(evening)).toEqual({ date: '2025-06-01', usd: 0.3, unpricedModels: ['mystery'] });
    expect(ledger.day(morning)).toEqual({ date: '2025-06-02', usd: 1.5, unpricedModels: [] });
    expect(new CostLedger(file).load().day(evening).usd).toBe(0.3);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ '2025-06-01': { usd: 0.3, unpricedModels: ['mystery'] }, '2025-06-02': { usd: 1.5 } });
  });

  it('is rebuilt from the sessions\' summaries of their logs when its file is missing', () => {
    const log = path.join(dir, 'events.ndjson');
    const ts = new Date(2025, 5, 1, 12).toISOString();
    fs.writeFileSync(
      log,
      [
        JSON.stringify({ seq: 1, ts, session: 's_1', type: 'usage', data: u(0.25) }),
        JSON.stringify({ seq: 2, ts, session: 's_1', type: 'message.user', data: { text: 'usage' } }),
        JSON.stringify({ seq: 3, ts, session: 's_1', type: 'usage', data: u(0.5) }),
        '',
      ].join('\n'),
    );
    // What the daemon does: each session's summary folds its log; the ledger adds up their days.
    const fold = CostFold.empty(undefined);
    for (const line of fs.readFileSync(log, 'utf8').split('\n').filter(Boolean)) fold.add(JSON.parse(line) as OmniEvent);
    const ledger = new CostLedger(path.join(dir, 'ledger.json'), { seedDays: () => [fold.ledgerDays, CostFold.empty(undefined).ledgerDays] }).load();
    expect(ledger.day(new Date(2025, 5, 1, 18))).toMatchObject({ date: localDate(new Date(ts)), usd: 0.75 });
  });
});

describe('PolicyService budgets (usage phase)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-budget-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const usage = (usd: number): UsageData => ({ model: 'claude-x', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, source: 't', computedCostUsd: usd });
  function world(now = new Date(2025, 5, 1, 12)) {
    const recs = new Map<string, SessionRecord>();
    const events: Array<{ session: string; ev: NewEvent }> = [];
    const approvals = new ApprovalQueue(path.join(dir, 'approvals'));
    approvals.load();
    const interrupt = vi.fn(async (rec: SessionRecord) => {
      rec.status = 'idle';
    });
    const ledger = new CostLedger(path.join(dir, 'ledger.json')).load();
    const svc = new PolicyService({
      approvals,
      sessionDir: (id) => {
        fs.mkdirSync(path.join(dir, id), { recursive: true });
        return path.join(dir, id);
      },
      getSession: (id) => recs.get(id),
      emit: (rec, ev) => events.push({ session: rec.id, ev }),
      setStatus: (rec, status) => (rec.status = status),
      usage: { onUsage: () => () => {} }, // spend() below calls onUsage itself
      configDir: path.join(dir, 'config'),
      interrupt,
      listSessions: () => [...recs.values()],
      ledger,
      now: () => now,
    });
    const add = (id: string, policy: string, extra: Partial<SessionRecord> = {}): SessionRecord => {
      const rec: SessionRecord = { id, name: id, harness: 'claude', cwd: dir, status: 'running', createdAt: '', updatedAt: '', tmuxSession: id, command: [], lastSeq: 0, ...extra };
      recs.set(id, rec);
      svc.attach(rec, policy ? svc.prepare([{ ref: policy }], dir) : []);
      return rec;
    };
    /** What SessionManager does: total the usage into the record, then tell the service. */
    const spend = (rec: SessionRecord, usd: number) => {
      const u = usage(usd);
      addUsage(rec, u);
      return svc.onUsage(rec, u);
    };
    const decisions = (id: string) => events.filter((e) => e.session === id && e.ev.type === 'policy.decision').map((e) => e.ev.data as { phase: string; verdict: string; reason?: string });
    return { svc, approvals, interrupt, ledger, add, spend, decisions, recs };
  }

  it('interrupts a generation in flight when usage crosses the hard limit, and denies the next gates', async () => {
    const w = world();
    const rec = w.add('s_a', 'cost_budget:{"hard_limit_usd": 1}');
    await w.spend(rec, 0.6);
    expect(w.interrupt).not.toHaveBeenCalled();
    expect(w.decisions('s_a')).toEqual([]);
    await w.spend(rec, 0.6);
    expect(w.interrupt).toHaveBeenCalledTimes(1);
    expect(w.decisions('s_a')).toEqual([
      { phase: 'usage', verdict: 'deny', policy: 'cost_budget', reason: 'cost budget: $1.20 spent in this session reached the hard limit of $1; interrupting the session' },
    ]);
    expect(rec.status).toBe('idle');
    // Idle now: a late usage event is recorded, not interrupted again.
    await w.spend(rec, 0.1);
    expect(w.interrupt).toHaveBeenCalledTimes(1);
    expect(w.decisions('s_a').at(-1)).toMatchObject({ verdict: 'deny', reason: 'cost budget: $1.30 spent in this session reached the hard limit of $1' });
    expect(await w.svc.decide(rec, { phase: 'prompt', text: 'more' })).toMatchObject({ verdict: 'deny', reason: expect.stringContaining('reached the hard limit of $1') });
    expect(await w.svc.decide(rec, { phase: 'tool_call', callId: 't1', tool: 'Bash', input: { command: 'ls' }, call: { kind: 'shell', script: 'ls' } })).toMatchObject({ verdict: 'deny' });
  });

  it('holds a checkpoint at the next gate; approved, it is not asked again; the hard limit withdraws pending asks', async () => {
    const w = world();
    // Without the projection: here the spend crosses the limit while an ask is held.
    const rec = w.add('s_b', 'cost_budget:{"ask_every_usd": 1, "hard_limit_usd": 3, "project_next": false}');
    await w.spend(rec, 1.1);
    expect(w.decisions('s_b')).toEqual([]); // nothing is held at usage
    const held = w.svc.decide(rec, { phase: 'tool_call', callId: 't1', tool: 'Bash', input: { command: 'ls' }, call: { kind: 'shell', script: 'ls' } });
    await vi.waitFor(() => expect(w.approvals.list()).toHaveLength(1));
    const ask = w.approvals.list()[0]!;
    expect(ask.reason).toContain('past the $1 checkpoint');
    expect(rec.status).toBe('waiting');
    w.svc.answer(ask.id, 'approve', { via: 'cli', by: 'me' });
    expect(await held).toMatchObject({ verdict: 'allow' });
    expect(await w.svc.decide(rec, { phase: 'tool_call', callId: 't2', tool: 'Bash', input: { command: 'ls' }, call: { kind: 'shell', script: 'ls' } })).toMatchObject({ verdict: 'none' });

    await w.spend(rec, 1.0); // $2.10: checkpoint 2, asked at the next gate; held while the spend crosses the hard limit
    const held2 = w.svc.decide(rec, { phase: 'tool_call', callId: 't3', tool: 'Bash', input: { command: 'ls' }, call: { kind: 'shell', script: 'ls' } });
    await vi.waitFor(() => expect(w.approvals.list()).toHaveLength(1));
    await w.spend(rec, 1.0);
    expect(await held2).toMatchObject({ verdict: 'deny', reason: expect.stringContaining('withdrawn: cost budget: $3.10 spent in this session reached the hard limit of $3') });
    expect(w.interrupt).toHaveBeenCalledTimes(1);
  });

  it('a day budget counts every session and stops another session in flight', async () => {
    const w = world();
    const a = w.add('s_day_a', 'cost_budget:{"hard_limit_usd": 1, "scope": "day"}');
    const b = w.add('s_day_b', '');
    const idle = w.add('s_day_c', 'cost_budget:{"hard_limit_usd": 1, "scope": "day"}', { status: 'idle' });
    await w.spend(b, 0.7);
    expect(w.ledger.day(new Date(2025, 5, 1, 12)).usd).toBe(0.7);
    expect(w.interrupt).not.toHaveBeenCalled();
    await w.spend(b, 0.4);
    expect(w.interrupt.mock.calls.map(([r]) => r.id)).toEqual([a.id]);
    expect(w.decisions(a.id)).toEqual([expect.objectContaining({ phase: 'usage', verdict: 'deny', reason: expect.stringContaining('$1.10 spent today (2025-06-01, all sessions)') })]);
    expect(w.decisions(idle.id)).toEqual([]); // idle elsewhere: nothing to stop, its gates deny
    expect(await w.svc.decide(idle, { phase: 'prompt', text: 'x' })).toMatchObject({ verdict: 'deny' });
    expect(w.decisions(b.id)).toEqual([]); // no budget of its own
  });

  it('projects the next message from the last three metered, denies the gate that would pass the limit, and interrupts at a tool call', async () => {
    const w = world();
    const rec = w.add('s_proj', 'cost_budget:{"hard_limit_usd": 1}');
    await w.spend(rec, 0.1);
    await w.spend(rec, 0.05);
    await w.spend(rec, 0.3);
    await w.spend(rec, 0.1);
    expect(w.svc.spend(rec).recentMessagesUsd).toEqual([0.05, 0.3, 0.1]); // oldest first, three kept
    const call = (id: string) => ({ phase: 'tool_call' as const, callId: id, tool: 'Bash', input: { command: 'ls' }, call: { kind: 'shell' as const, script: 'ls' } });
    // $0.55 + ~$0.30 = $0.85: under the limit.
    expect(await w.svc.decide(rec, call('t1'))).toMatchObject({ verdict: 'none' });
    await w.spend(rec, 0.2); // $0.75 + ~$0.30 > $1
    expect(w.interrupt).not.toHaveBeenCalled();
    const v = await w.svc.decide(rec, call('t2'));
    expect(v).toMatchObject({ verdict: 'deny', policy: 'cost_budget', reason: 'cost budget: $0.75 spent in this session + ~$0.30 for the next model message (as much as the costliest of the last 3) would pass the hard limit of $1' });
    expect(w.decisions('s_proj').at(-1)).toMatchObject({ phase: 'tool_call', verdict: 'deny', reason: `${v.reason}; interrupting the session` });
    await vi.waitFor(() => expect(w.interrupt).toHaveBeenCalledTimes(1));
    // A denied prompt needs no interrupt (nothing is generating).
    rec.status = 'idle';
    expect(await w.svc.decide(rec, { phase: 'prompt', text: 'more' })).toMatchObject({ verdict: 'deny', reason: expect.stringContaining('would pass the hard limit of $1') });
    expect(w.decisions('s_proj').at(-1)).toMatchObject({ phase: 'prompt', verdict: 'deny', reason: expect.not.stringContaining('interrupting') });
    expect(w.interrupt).toHaveBeenCalledTimes(1);
    // Unpriced messages add nothing to the projection.
    const u = { ...usage(0), computedCostUsd: undefined, unpriced: true as const };
    addUsage(rec, u);
    await w.svc.onUsage(rec, u);
    expect(w.svc.spend(rec).recentMessagesUsd).toEqual([0.3, 0.1, 0.2]);
  });

  it('a sandboxed session\'s request to its model endpoint is refused at the projection (egress)', async () => {
    const w = world();
    const rec = w.add('s_egress', 'cost_budget:{"hard_limit_usd": 1}');
    await w.spend(rec, 0.7);
    const req = (model: boolean) => ({ phase: 'egress' as const, scheme: 'https' as const, host: 'api.example.com', port: 443, method: 'POST', path: '/v1/messages', ...(model ? { model: true } : {}) });
    expect(await w.svc.decide(rec, req(false))).toMatchObject({ verdict: 'none' });
    expect(await w.svc.decide(rec, req(true))).toMatchObject({ verdict: 'deny', reason: expect.stringContaining('$0.70 spent in this session + ~$0.70 for the next model message') });
    expect(w.decisions('s_egress')).toEqual([expect.objectContaining({ phase: 'egress', verdict: 'deny' })]);
    expect(w.interrupt).not.toHaveBeenCalled(); // the refused request is the stop
  });

  it('a tree budget counts the session and its descendants', async () => {
    const w = world();
    const root = w.add('s_root', 'cost_budget:{"hard_limit_usd": 1, "scope": "tree"}', { status: 'idle' });
    const child = w.add('s_kid', '', { parent: root.id });
    const grandchild = w.add('s_grandkid', '', { parent: child.id });
    const other = w.add('s_other', '');
    await w.spend(other, 5);
    await w.spend(child, 0.5);
    expect(w.svc.spend(root).tree.usd).toBe(0.5);
    expect(await w.svc.decide(root, { phase: 'prompt', text: 'x' })).toMatchObject({ verdict: 'none' });
    await w.spend(grandchild, 0.5);
    expect(w.svc.spend(root)).toMatchObject({ session: { usd: 0 }, tree: { usd: 1 }, day: { usd: 6 } });
    expect(await w.svc.decide(root, { phase: 'prompt', text: 'x' })).toMatchObject({ verdict: 'deny', reason: expect.stringContaining('$1 spent by this session and its sub-agents') });
  });
});
