import { Chalk } from 'chalk';
import { render } from 'ink-testing-library';
import React from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Approval, ApprovalStreamItem } from '../../src/approvals/types.js';
import type { EventDataMap, EventType, OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { budgetFromPolicies, type Budget } from '../../src/tui/dashboard/budget.js';
import { dashboardJson, describeSpend, formatDashboard, formatUsd, spendBar } from '../../src/tui/dashboard/format.js';
import type { DashboardActions } from '../../src/tui/dashboard/actions.js';
import { DashboardView, type DashboardOutcome } from '../../src/tui/dashboard/view.js';
import { DashboardStore, loadDashboard, type DashboardSource } from '../../src/tui/dashboard/store.js';


export const T0 = Date.parse('2030-01-01T00:00:00Z');

export function rec(id: string, over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id,
    name: `sess-${id}`,
    harness: 'claude',
    cwd: '/tmp',
    status: 'running',
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    tmuxSession: id,
    command: ['claude'],
    lastSeq: 10,
    ...over,
  };
}

export function ev<T extends EventType>(session: string, seq: number, type: T, data: EventDataMap[T]): OmniEvent {
  return { seq, ts: new Date(T0 + seq * 1000).toISOString(), session, type, data } as OmniEvent;
}

export const usage = (session: string, seq: number, usd: number, over: Partial<EventDataMap['usage']> = {}) =>
  ev(session, seq, 'usage', { model: 'claude-sonnet-4-5', inputTokens: 100, outputTokens: 50, cacheReadTokens: 0, cacheWriteTokens: 0, computedCostUsd: usd, source: 'transcript', ...over });

export const status = (session: string, seq: number, s: EventDataMap['session.status']['status'], reason?: string) =>
  ev(session, seq, 'session.status', { status: s, ...(reason ? { reason } : {}), source: 'hook' });

export function ask(id: string, session: string, over: Partial<Approval> = {}): Approval {
  return {
    id,
    session,
    sessionName: `sess-${session}`,
    harness: 'claude',
    phase: 'tool_call',
    policies: ['no-rm'],
    reason: `reason for ${id}`,
    request: { tool: 'Bash', kind: 'shell', command: `rm -rf /tmp/${id}` },
    key: `k_${id}`,
    createdAt: new Date(T0 + 5_000).toISOString(),
    status: 'pending',
    ...over,
  };
}

/** An async iterable the test pushes into; it can end or fail, like a dropped stream. */
export function feed<T>() {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  let failure: unknown;
  const iterable: AsyncIterable<T> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length) {
          yield queue.shift() as T;
          continue;
        }
        if (failure) throw failure;
        if (done) return;
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    iterable,
    push: (...items: T[]) => (queue.push(...items), poke()),
    end: () => ((done = true), poke()),
    fail: (err: unknown) => ((failure = err), poke()),
  };
}

/** A DashboardSource over in-memory data: each open of a stream takes the next feed. */
export function fakeSource(initial: SessionRecord[], budgets: Record<string, Budget> = {}) {
  const state = { list: initial, sessionsCalls: 0, eventOpens: 0, approvalOpens: 0 };
  const eventFeeds: Array<ReturnType<typeof feed<OmniEvent>>> = [];
  const approvalFeeds: Array<ReturnType<typeof feed<ApprovalStreamItem>>> = [];
  const source: DashboardSource = {
    sessions: async () => {
      state.sessionsCalls++;
      return structuredClone(state.list);
    },
    events: () => {
      const f = feed<OmniEvent>();
      eventFeeds.push(f);
      state.eventOpens++;
      return f.iterable;
    },
    approvals: () => {
      const f = feed<ApprovalStreamItem>();
      approvalFeeds.push(f);
      state.approvalOpens++;
      return f.iterable;
    },
    pendingApprovals: async () => [],
    budget: async (id) => budgets[id],
  };
  return {
    source,
    state,
    /** The current (last opened) event stream. */
    events: () => eventFeeds[eventFeeds.length - 1]!,
    approvals: () => approvalFeeds[approvalFeeds.length - 1]!,
  };
}

/** Poll until `check` stops throwing (streams and Ink work asynchronously). */
export async function until(check: () => void, ms = 1500): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

const cost = (computedUsd: number, over: Partial<NonNullable<SessionRecord['cost']>> = {}) => ({
  computedUsd,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  messages: 1,
  ...over,
});

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

/** A store following a fake daemon. */
function started(list: SessionRecord[], budgets: Record<string, Budget> = {}, retryMs = 10) {
  const fake = fakeSource(list, budgets);
  const store = new DashboardStore({ source: fake.source, retryMs });
  const abort = new AbortController();
  const following = store.follow(abort.signal);
  cleanups.push(() => {
    abort.abort();
    store.dispose();
  });
  const snap = () => store.getSnapshot();
  const row = (id: string) => {
    const r = snap().rows.find((x) => x.id === id);
    if (!r) throw new Error(`no row ${id}`);
    return r;
  };
  return { ...fake, store, abort, following, snap, row };
}

describe('DashboardStore', () => {
  it('keeps one row per live session from the list, with spend from the record', async () => {
    const t = started([
      rec('s_b', { harness: 'codex', createdAt: new Date(T0 + 1000).toISOString(), cost: cost(0.5, { unpricedModels: ['gpt-x'] }) }),
      rec('s_a', { cost: cost(1.5, { reportedUsd: 1.6 }), model: 'sonnet' }),
      rec('s_gone', { status: 'exited' }),
    ]);
    await until(() => expect(t.snap().loaded).toBe(true));
    expect(t.snap().rows.map((r) => r.name)).toEqual(['sess-s_a', 'sess-s_b']);
    expect(t.row('s_a')).toMatchObject({ harness: 'claude', status: 'running', model: 'sonnet', spend: { computedUsd: 1.5, reportedUsd: 1.6, unpricedModels: [], messages: 1 } });
    expect(t.row('s_b').spend.unpricedModels).toEqual(['gpt-x']);
    // computed spend counts (as cost_budget measures it); reported is shown beside it
    expect(t.snap().totalUsd).toBe(2);
    expect(t.snap().selectedId).toBe('s_a');
  });

  it('a usage event moves the spend without refetching; an event already in the record is not counted again', async () => {
    const t = started([rec('s_a', { cost: cost(1.5), lastSeq: 10 }), rec('s_b')]);
    await until(() => expect(t.snap().loaded).toBe(true));
    await until(() => expect(t.snap().events).toBe('live'));
    const calls = t.state.sessionsCalls;
    t.events().push(
      usage('s_a', 11, 0.25),
      usage('s_a', 9, 100), // older than the record: already counted
      usage('s_a', 12, 0, { computedCostUsd: undefined, unpriced: true, model: 'mystery-1' }),
      usage('s_b', 11, 0.1, { reportedCostUsd: 0.12 }),
    );
    await until(() => expect(t.row('s_b').spend.reportedUsd).toBe(0.12));
    expect(t.row('s_a').spend).toEqual({ computedUsd: 1.75, unpricedModels: ['mystery-1'], messages: 3 });
    expect(t.row('s_b').spend.computedUsd).toBe(0.1);
    expect(t.snap().totalUsd).toBe(1.85);
    expect(t.state.sessionsCalls).toBe(calls);
  });

  it("a harness's running total (cost.reported) is read back from the record", async () => {
    const t = started([rec('s_a', { cost: cost(1, { reportedUsd: 0.9 }), lastSeq: 10 })]);
    await until(() => expect(t.snap().events).toBe('live'));
    const calls = t.state.sessionsCalls;
    // the daemon logged it and folded it into the record before publishing it
    t.state.list = [rec('s_a', { cost: cost(1, { reportedUsd: 1.3 }), lastSeq: 11 })];
    t.events().push(ev('s_a', 11, 'cost.reported' as EventType, { totalUsd: 1.3, source: 'statusline' } as never));
    await until(() => expect(t.row('s_a').spend.reportedUsd).toBe(1.3));
    expect(t.state.sessionsCalls).toBe(calls + 1);
    expect(t.row('s_a').spend.computedUsd).toBe(1);
  });

  it('session.status changes the row; exit removes it and refetches the list', async () => {
    const t = started([rec('s_a'), rec('s_b')]);
    await until(() => expect(t.snap().loaded).toBe(true));
    t.events().push(status('s_a', 11, 'waiting', 'approval: Bash'));
    await until(() => expect(t.row('s_a')).toMatchObject({ status: 'waiting', statusReason: 'approval: Bash' }));
    t.events().push(status('s_a', 12, 'idle'));
    await until(() => expect(t.row('s_a').status).toBe('idle'));
    expect(t.row('s_a').statusReason).toBeUndefined();
    const calls = t.state.sessionsCalls;
    t.state.list = [rec('s_b')];
    t.events().push(ev('s_a', 13, 'session.exited', { code: 0 }));
    await until(() => expect(t.snap().rows.map((r) => r.id)).toEqual(['s_b']));
    await until(() => expect(t.state.sessionsCalls).toBeGreaterThan(calls));
  });

  it('session.started of a new session refetches the list and adds its row', async () => {
    const t = started([rec('s_a')]);
    await until(() => expect(t.snap().loaded).toBe(true));
    t.state.list = [rec('s_a'), rec('s_new', { harness: 'pi', lastSeq: 1, createdAt: new Date(T0 + 9000).toISOString() })];
    t.events().push(ev('s_new', 1, 'session.started', { harness: 'pi', name: 'sess-s_new', cwd: '/tmp', command: ['pi'] }));
    await until(() => expect(t.snap().rows.map((r) => r.id)).toEqual(['s_a', 's_new']));
    // the started event is in the record already; a later usage event counts
    t.events().push(usage('s_new', 2, 0.3));
    await until(() => expect(t.row('s_new').spend.computedUsd).toBe(0.3));
  });

  it('events that arrive while the list is fetched are applied after it, each once', async () => {
    const fake = fakeSource([]);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // The record was read after event 11 was logged: it counts 11, not 12.
    fake.source.sessions = async () => (await gate, [rec('s_a', { cost: cost(1.25, { messages: 2 }), lastSeq: 11 })]);
    const store = new DashboardStore({ source: fake.source });
    const abort = new AbortController();
    void store.follow(abort.signal);
    cleanups.push(() => (abort.abort(), store.dispose()));
    fake.events().push(usage('s_a', 11, 0.25), usage('s_a', 12, 0.5));
    await tick();
    expect(store.getSnapshot().loaded).toBe(false);
    release();
    await until(() => expect(store.getSnapshot().rows[0]?.spend.computedUsd).toBe(1.75));
    expect(store.getSnapshot().rows[0]?.spend.messages).toBe(3);
  });

  it('a list read before events we already counted does not roll the row back', () => {
    const store = new DashboardStore({ source: fakeSource([]).source });
    store.setSessions([rec('s_a', { cost: cost(1), lastSeq: 10 })]);
    store.applyEvent(usage('s_a', 11, 0.5));
    store.setSessions([rec('s_a', { cost: cost(1), lastSeq: 10 })]);
    expect(store.getSnapshot().rows[0]?.spend.computedUsd).toBe(1.5);
    store.setSessions([rec('s_a', { cost: cost(2), lastSeq: 20 })]);
    expect(store.getSnapshot().rows[0]?.spend.computedUsd).toBe(2);
  });

  it('counts pending asks per session from the approvals stream', async () => {
    const t = started([rec('s_a'), rec('s_b')]);
    await until(() => expect(t.snap().loaded).toBe(true));
    t.approvals().push({ type: 'snapshot', approvals: [ask('ap_2', 's_a', { createdAt: new Date(T0 + 9000).toISOString() }), ask('ap_1', 's_a'), ask('ap_x', 's_b', { status: 'approved' })] });
    await until(() => expect(t.snap().asks.map((a) => a.id)).toEqual(['ap_1', 'ap_2']));
    expect(t.row('s_a').asks).toBe(2);
    expect(t.row('s_b').asks).toBe(0);
    t.approvals().push({ type: 'requested', approval: ask('ap_3', 's_b') });
    await until(() => expect(t.row('s_b').asks).toBe(1));
    t.approvals().push({ type: 'resolved', approval: { ...ask('ap_1', 's_a'), status: 'denied' } });
    await until(() => expect(t.row('s_a').asks).toBe(1));
    // oldest first: ap_3 was asked at T0+5s, ap_2 at T0+9s
    expect(t.snap().asks.map((a) => a.id)).toEqual(['ap_3', 'ap_2']);
  });

  it('reopens a dropped event stream and refetches the list for what it missed', async () => {
    const t = started([rec('s_a', { cost: cost(1), lastSeq: 10 })], {}, 80);
    await until(() => expect(t.snap().events).toBe('live'));
    const calls = t.state.sessionsCalls;
    // what happened while the stream was down is in the list
    t.state.list = [rec('s_a', { cost: cost(3), lastSeq: 20 })];
    t.events().fail(new Error('socket hang up'));
    await until(() => expect(t.snap()).toMatchObject({ events: 'error', error: 'socket hang up' }));
    await until(() => expect(t.state.eventOpens).toBe(2));
    await until(() => expect(t.snap()).toMatchObject({ events: 'live', error: undefined }));
    expect(t.state.sessionsCalls).toBeGreaterThan(calls);
    expect(t.row('s_a').spend.computedUsd).toBe(3);
    t.events().push(usage('s_a', 21, 0.5));
    await until(() => expect(t.row('s_a').spend.computedUsd).toBe(3.5));
    // an orderly end is reopened too
    t.events().end();
    await until(() => expect(t.state.eventOpens).toBe(3));
    t.approvals().end();
    await until(() => expect(t.state.approvalOpens).toBe(2));
  });

  it('fetches budgets per session; a tree budget counts its children', async () => {
    const t = started(
      [
        rec('s_a', { cost: cost(4.2) }),
        rec('s_p', { cost: cost(1), createdAt: new Date(T0 + 1000).toISOString() }),
        rec('s_c', { cost: cost(2), parent: 's_p', createdAt: new Date(T0 + 2000).toISOString() }),
        rec('s_d', { cost: cost(7), createdAt: new Date(T0 + 3000).toISOString() }),
      ],
      {
        s_a: { policy: 'cost_budget', scope: 'session', hardLimitUsd: 10 },
        s_p: { policy: 'cost_budget', scope: 'tree', softLimitUsd: 5 },
        s_d: { policy: 'cost_budget', scope: 'day', hardLimitUsd: 50 },
      },
    );
    await until(() => expect(t.row('s_d').budget?.scope).toBe('day'));
    expect(t.row('s_a')).toMatchObject({ budget: { hardLimitUsd: 10 }, budgetSpendUsd: 4.2 });
    expect(t.row('s_p')).toMatchObject({ budget: { softLimitUsd: 5 }, budgetSpendUsd: 3 });
    expect(t.row('s_c').budget).toBeUndefined();
    expect(t.row('s_d').budgetSpendUsd).toBeUndefined();
    t.events().push(usage('s_c', 11, 1.5));
    await until(() => expect(t.row('s_p').budgetSpendUsd).toBe(4.5));
  });

  it('groups children under their lead, in tree order; a child whose lead is filtered out stands alone', () => {
    const store = new DashboardStore({ source: fakeSource([]).source });
    const at = (s: number) => new Date(T0 + s * 1000).toISOString();
    store.setSessions([
      rec('s_lead', { createdAt: at(1), cost: cost(1) }),
      rec('s_other', { createdAt: at(2) }),
      rec('s_coder', { createdAt: at(3), parent: 's_lead', harness: 'codex', cost: cost(2) }),
      rec('s_fix', { createdAt: at(4), parent: 's_coder', harness: 'pi' }),
      rec('s_rev', { createdAt: at(5), parent: 's_lead', harness: 'pi' }),
    ]);
    const rows = () => store.getSnapshot().rows.map((r) => [r.id, r.depth ?? 0, r.treePrefix ?? '']);
    expect(rows()).toEqual([
      ['s_lead', 0, ''],
      ['s_coder', 1, '├─ '],
      ['s_fix', 2, '│  └─ '],
      ['s_rev', 1, '└─ '],
      ['s_other', 0, ''],
    ]);
    // ↓ walks the rows in tree order.
    store.select(1);
    expect(store.selectedRow()?.id).toBe('s_coder');
    store.setFilter('codex');
    expect(rows()).toEqual([['s_coder', 0, '']]);
    store.setFilter('pi');
    expect(rows()).toEqual([
      ['s_fix', 0, ''],
      ['s_rev', 0, ''],
    ]);
  });

  it('↑/↓ selection stays on the same session as rows come and go', () => {
    const store = new DashboardStore({ source: fakeSource([]).source });
    const at = (s: number) => new Date(T0 + s * 1000).toISOString();
    store.setSessions([rec('s_1', { createdAt: at(1) }), rec('s_2', { createdAt: at(2) }), rec('s_3', { createdAt: at(3) })]);
    store.select(1);
    store.select(1);
    store.select(1);
    expect(store.selectedRow()?.id).toBe('s_3');
    store.select(-1);
    expect(store.selectedRow()?.id).toBe('s_2');
    store.setSessions([rec('s_0', { createdAt: at(0) }), rec('s_2', { createdAt: at(2) })]);
    expect(store.selectedRow()?.id).toBe('s_2');
    store.setSessions([rec('s_0', { createdAt: at(0) })]);
    expect(store.selectedRow()?.id).toBe('s_0');
    store.setSessions([]);
    expect(store.getSnapshot().selected).toBe(-1);
  });
});

describe('budgetFromPolicies', () => {
  it('reads cost_budget params from the policies answer', () => {
    expect(
      budgetFromPolicies({
        policies: [
          { name: 'no-rm', level: 'session', phases: ['tool_call'], params: { commands: ['rm'] } },
          { name: 'cost_budget', level: 'session', phases: ['usage'], params: { ask_every_usd: 5, hard_limit_usd: 20, scope: 'session' } },
        ],
        state: {},
      }),
    ).toEqual({ policy: 'cost_budget', scope: 'session', askEveryUsd: 5, hardLimitUsd: 20 });
  });

  it('knows a renamed budget by its builtin; prefers a budget it can draw over a day budget', () => {
    expect(
      budgetFromPolicies({
        policies: [
          { name: 'team-day', builtin: 'cost_budget', params: { soft_limit_usd: 100, scope: 'day' } },
          { name: 'my-cap', builtin: 'cost_budget', params: { soft_limit_usd: 8, scope: 'tree' } },
        ],
      }),
    ).toEqual({ policy: 'my-cap', scope: 'tree', softLimitUsd: 8 });
  });

  it('is undefined without params (an older daemon) or without limits', () => {
    expect(budgetFromPolicies({ policies: [{ name: 'cost_budget', level: 'session', phases: ['usage'] }], state: {} })).toBeUndefined();
    expect(budgetFromPolicies({ policies: [{ name: 'cost_budget', params: { scope: 'session' } }] })).toBeUndefined();
    expect(budgetFromPolicies(null)).toBeUndefined();
    expect(budgetFromPolicies({ error: 'x' })).toBeUndefined();
  });
});

describe('dashboard formatting', () => {
  it('formats money, bars and budget text', () => {
    expect([formatUsd(0), formatUsd(4.2), formatUsd(0.81), formatUsd(0.0042)]).toEqual(['$0', '$4.20', '$0.81', '$0.0042']);
    expect(spendBar(4.2, 10)).toBe('████░░░░░░');
    expect(spendBar(12, 10)).toBe('██████████');
    expect(spendBar(0.01, 10)).toBe('█░░░░░░░░░');
    expect(spendBar(0, 10, 4)).toBe('░░░░');
    const spend = { computedUsd: 7, unpricedModels: [], messages: 3 };
    expect(describeSpend(spend, { policy: 'b', scope: 'session', askEveryUsd: 5 }, 7)).toMatchObject({ text: '$7.00 / $10 next ask', bar: { limitUsd: 10 }, level: 'ok' });
    expect(describeSpend(spend, { policy: 'b', scope: 'session', softLimitUsd: 6, hardLimitUsd: 20 }, 7)).toMatchObject({ text: '$7.00 / $20', level: 'warn' });
    expect(describeSpend(spend, { policy: 'b', scope: 'session', hardLimitUsd: 7 }, 7).level).toBe('over');
    expect(describeSpend(spend, { policy: 'b', scope: 'day', hardLimitUsd: 50 }, undefined)).toEqual({ text: '$7.00 · day budget $50', notes: [], level: 'none' });
    expect(describeSpend({ computedUsd: 1, reportedUsd: 1.2, unpricedModels: ['m'], messages: 1 }, undefined, undefined)).toEqual({
      text: '$1.00+$?',
      notes: ['reported $1.20', 'unpriced: m'],
      level: 'none',
    });
  });

  const snapshot = () => {
    const store = new DashboardStore({ source: fakeSource([]).source });
    store.setSessions([
      rec('s_a', { cost: cost(4.2), status: 'waiting', statusReason: 'approval: Bash' }),
      rec('s_b', { harness: 'codex', createdAt: new Date(T0 + 60_000).toISOString(), cost: cost(0.81, { unpricedModels: ['gpt-x'] }) }),
    ]);
    store.setBudget('s_a', { policy: 'cost_budget', scope: 'session', hardLimitUsd: 10 });
    store.applyApproval({ type: 'snapshot', approvals: [ask('ap_1', 's_a')] });
    return store.getSnapshot();
  };

  it('prints the non-TTY snapshot: sessions with status and spend, then pending asks', () => {
    const out = formatDashboard(snapshot(), T0 + 125_000, new Chalk({ level: 0 }));
    expect(out).toBe(
      [
        'SESSION         HARNESS  STATUS                    AGE  ASKS  SPEND',
        'sess-s_a (s_a)  claude   waiting (approval: Bash)  2m   1     $4.20 / $10 (42%)',
        'sess-s_b (s_b)  codex    running                   1m   0     $0.81+$? unpriced: gpt-x',
        'total $5.01+$? · 2 sessions',
        '',
        'pending asks (1):',
        '  ap_1  sess-s_a  no-rm  $ rm -rf /tmp/ap_1  2m',
        'answer with: omni approvals (or omni approve/deny <id>)',
      ].join('\n'),
    );
  });

  it('prints the empty state', () => {
    expect(formatDashboard({ rows: [], asks: [], totalUsd: 0 }, T0, new Chalk({ level: 0 }))).toBe('no live sessions\n\nno pending asks');
  });

  it('--json has sessions with status, spend, budget and asks, and the asks', () => {
    const j = dashboardJson(snapshot());
    expect(j.totalUsd).toBe(5.01);
    expect(j.sessions).toEqual([
      expect.objectContaining({
        id: 's_a',
        status: 'waiting',
        statusReason: 'approval: Bash',
        spend: { usd: 4.2, computedUsd: 4.2, unpricedModels: [], messages: 1 },
        budget: { policy: 'cost_budget', scope: 'session', hardLimitUsd: 10, spentUsd: 4.2 },
        asks: 1,
      }),
      expect.objectContaining({ id: 's_b', harness: 'codex', budget: null, asks: 0, spend: expect.objectContaining({ unpricedModels: ['gpt-x'] }) }),
    ]);
    expect(j.asks.map((a) => a.id)).toEqual(['ap_1']);
  });

  it('loadDashboard reads the list, the pending asks and the budgets once', async () => {
    const fake = fakeSource([rec('s_a', { cost: cost(2) })], { s_a: { policy: 'cost_budget', scope: 'session', softLimitUsd: 4 } });
    fake.source.pendingApprovals = async () => [ask('ap_1', 's_a')];
    const snap = await loadDashboard(fake.source);
    expect(snap.rows).toHaveLength(1);
    expect(snap.rows[0]).toMatchObject({ asks: 1, budget: { softLimitUsd: 4 }, budgetSpendUsd: 2 });
    expect(fake.state.eventOpens).toBe(0);
    fake.source.sessions = async () => Promise.reject(new Error('the omni daemon is not running'));
    await expect(loadDashboard(fake.source)).rejects.toThrow('not running');
  });
});

describe('DashboardView', () => {
  const ENTER = '\r';
  const DOWN = '\u001B[B';

  function view(list: SessionRecord[], budgets: Record<string, Budget> = {}, approvals: Approval[] = []) {
    const t = started(list, budgets);
    t.approvals().push({ type: 'snapshot', approvals });
    const onExit = vi.fn((o: DashboardOutcome) => o);
    const r = render(React.createElement(DashboardView, { store: t.store, now: () => T0 + 65_000, tickMs: 0, onExit }));
    cleanups.push(r.unmount);
    const frame = () => r.lastFrame() ?? '';
    const line = (text: string) => frame().split('\n').find((l) => l.includes(text)) ?? '';
    return { ...t, r, onExit, frame, line };
  }

  const two = () => [
    rec('s_a', { cost: cost(4.2) }),
    rec('s_b', { harness: 'codex', status: 'waiting', statusReason: 'approval: Bash', cost: cost(0.81), createdAt: new Date(T0 + 5000).toISOString() }),
  ];

  it('draws children indented under their lead, in the TUI and in the non-TTY snapshot', async () => {
    const list = [
      rec('s_lead', { name: 'lead', cost: cost(1) }),
      rec('s_solo', { name: 'solo', createdAt: new Date(T0 + 1000).toISOString() }),
      rec('s_kid', { name: 'kid', harness: 'codex', parent: 's_lead', createdAt: new Date(T0 + 2000).toISOString() }),
    ];
    const v = view(list);
    await until(() => expect(v.frame()).toContain('└─ kid'));
    const lines = v.frame().split('\n');
    const at = (name: string) => lines.findIndex((l) => l.includes(name));
    expect(at('lead')).toBeLessThan(at('└─ kid'));
    expect(at('└─ kid')).toBeLessThan(at('solo'));
    expect(v.line('└─ kid')).toMatch(/└─ kid\s+codex\s+running/);
    const out = formatDashboard(v.store.getSnapshot(), T0 + 65_000, new Chalk({ level: 0 }));
    expect(out.split('\n').slice(1, 4).map((l) => l.split('  ')[0])).toEqual(['lead (s_lead)', '└─ kid (s_kid)', 'solo (s_solo)']);
    expect(dashboardJson(v.store.getSnapshot()).sessions.map((x) => [x.id, x.parent ?? null])).toEqual([
      ['s_lead', null],
      ['s_kid', 's_lead'],
      ['s_solo', null],
    ]);
  });

  it('renders a row per session with status, age, and spend (a bar when the budget is known)', async () => {
    const v = view(two(), { s_a: { policy: 'cost_budget', scope: 'session', hardLimitUsd: 10 } });
    await until(() => expect(v.line('sess-s_a')).toContain('$4.20 / $10 ████░░░░░░'));
    expect(v.frame()).toContain('2 sessions · $5.01');
    expect(v.frame()).toMatch(/SESSION\s+HARNESS\s+STATUS\s+AGE\s+ASKS\s+SPEND/);
    expect(v.line('sess-s_a')).toMatch(/› {2}sess-s_a\s+claude\s+running\s+1m\s+·\s+\$4\.20 \/ \$10 ████/);
    expect(v.line('sess-s_b')).toMatch(/sess-s_b\s+codex\s+waiting \(approval: Bash\)\s+1m\s+·\s+\$0\.81/);
    expect(v.line('sess-s_b')).not.toContain('█');
    expect(v.frame()).not.toContain('Pending asks');
    expect(v.frame()).toContain('⏎ attach · s send · i interrupt · x stop');
    expect(v.frame().replace(/\s+/g, ' ')).toContain('/ filter · ␣ mark · * all · e ended · a approvals · q quit');
    expect(v.frame()).not.toContain('reading the screen'); // no preview without actions
  });

  it('a usage event moves the spend and the bar', async () => {
    const v = view(two(), { s_a: { policy: 'cost_budget', scope: 'session', hardLimitUsd: 10 } });
    await until(() => expect(v.line('sess-s_a')).toContain('$4.20 / $10'));
    v.events().push(usage('s_a', 11, 4));
    await until(() => expect(v.line('sess-s_a')).toContain('$8.20 / $10 ████████░░'));
    expect(v.frame()).toContain('$9.01');
    v.events().push(usage('s_b', 11, 0.19));
    await until(() => expect(v.line('sess-s_b')).toContain('$1.00'));
  });

  it('a status event changes the row; exit removes it (a list read before the exit does not bring it back)', async () => {
    const v = view(two());
    await until(() => expect(v.line('sess-s_b')).toContain('waiting (approval: Bash)'));
    v.events().push(status('s_b', 11, 'running'));
    await until(() => expect(v.line('sess-s_b')).toMatch(/codex\s+running\s/));
    expect(v.frame()).not.toContain('waiting');
    v.events().push(ev('s_b', 12, 'session.exited', { code: 0 }));
    await until(() => expect(v.frame()).not.toContain('sess-s_b'));
    expect(v.frame()).toContain('1 session ·');
  });

  it('an ask appears in the panel and on its row, and goes when answered', async () => {
    const v = view(two());
    await until(() => expect(v.frame()).toContain('sess-s_a'));
    v.approvals().push({ type: 'requested', approval: ask('ap_1', 's_a') });
    await until(() => expect(v.frame()).toContain('Pending asks (1)'));
    expect(v.line('rm -rf')).toMatch(/› ap_1 sess-s_a no-rm 1m \$ rm -rf \/tmp\/ap_1/);
    expect(v.frame()).toMatch(/sess-s_a\s+claude\s+running\s+1m\s+⚠ 1/);
    expect(v.frame()).toContain('⚠ 1 ask');
    v.approvals().push({ type: 'resolved', approval: { ...ask('ap_1', 's_a'), status: 'approved' } });
    await until(() => expect(v.frame()).not.toContain('Pending asks'));
    expect(v.frame()).not.toContain('rm -rf');
    expect(v.frame()).not.toContain('⚠');
  });

  it('shows the empty state', async () => {
    const v = view([]);
    await until(() => expect(v.frame()).toContain('No live sessions'));
    expect(v.frame()).toContain('0 sessions · -');
    v.r.stdin.write(ENTER);
    await tick();
    expect(v.onExit).not.toHaveBeenCalled();
  });

  it('↓ then Enter leaves to attach the selected session', async () => {
    const v = view(two());
    await until(() => expect(v.frame()).toMatch(/› +sess-s_a/));
    v.r.stdin.write(DOWN);
    await until(() => expect(v.frame()).toMatch(/› +sess-s_b/));
    v.r.stdin.write(ENTER);
    await until(() => expect(v.onExit).toHaveBeenCalledWith({ kind: 'attach', session: { id: 's_b', name: 'sess-s_b' } }));
  });

  it('keys that arrive as one string act one by one in the list, and stay text once a line is typed', async () => {
    const v = view(two());
    await until(() => expect(v.frame()).toMatch(/› +sess-s_a/));
    // Space, j, Space typed faster than the view reads them: one string " j ".
    v.r.stdin.write(' j ');
    await until(() => expect(v.frame()).toContain('2 marked'));
    expect(v.frame()).toMatch(/› ?• ?sess-s_b/);
    // `s` opens the send line; what follows in the same string is its text, not more keys.
    v.r.stdin.write('sq j');
    await until(() => expect(v.frame()).toContain('send to sess-s_a, sess-s_b: q j'));
    expect(v.onExit).not.toHaveBeenCalled();
  });

  it('a leaves for the approvals view; q quits', async () => {
    for (const [key, kind] of [
      ['a', 'approvals'],
      ['q', 'quit'],
    ] as const) {
      const v = view(two());
      await until(() => expect(v.frame()).toContain('sess-s_a'));
      v.r.stdin.write(key);
      await until(() => expect(v.onExit).toHaveBeenCalledWith({ kind }));
      expect(v.onExit).toHaveBeenCalledTimes(1);
    }
  });

  it('says when the event stream dropped', async () => {
    const v = view(two());
    await until(() => expect(v.frame()).toContain('sess-s_a'));
    v.abort.abort(); // stop retrying so the state holds
    await tick();
    const store = new DashboardStore({ source: { ...v.source, events: () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('socket hang up')) }) }) }, retryMs: 10_000 });
    const a = new AbortController();
    void store.follow(a.signal);
    cleanups.push(() => (a.abort(), store.dispose()));
    const r = render(React.createElement(DashboardView, { store, now: () => T0, tickMs: 0 }));
    cleanups.push(r.unmount);
    await until(() => expect(r.lastFrame()).toContain("lost the daemon's event stream: socket hang up (retrying)"));
  });
});

/** An idle dashboard costs nothing: no frame and no daemon request while nothing changes. */
describe('idle dashboard', () => {
  it('renders nothing while nothing changes (ages in minutes), and again when an event arrives', async () => {
    const now = Date.now();
    const t = started([rec('s_a', { createdAt: new Date(now - 5 * 60_000 - 1000).toISOString() })]);
    // Every React commit counts (a Profiler), not only frames whose text changed: a re-render
    // that draws the same text still costs CPU.
    let commits = 0;
    // The real clock, ticking: an age of 5m next reads differently in about a minute.
    const view = React.createElement(DashboardView, { store: t.store, now: Date.now, tickMs: 1000 });
    const r = render(React.createElement(React.Profiler, { id: 'dashboard', onRender: () => void commits++ }, view));
    cleanups.push(r.unmount);
    await until(() => expect(r.lastFrame()).toContain('sess-s_a'));
    await tick(300);
    const settled = commits;
    await tick(2200); // two of the old 1 s ticks
    expect(commits).toBe(settled);
    t.events().push(status('s_a', 11, 'idle'));
    await until(() => expect(commits).toBeGreaterThan(settled));
    expect(r.lastFrame()).toContain('idle');
  });

  it('reads an unchanging preview less and less often; an event of the selected session brings it back', async () => {
    const fake = fakeSource([rec('s_a')]);
    let reads = 0;
    const actions = { screen: async () => (reads++, 'same screen') } as unknown as DashboardActions;
    const store = new DashboardStore({ source: fake.source, retryMs: 10, actions, previewMs: 40 });
    const abort = new AbortController();
    void store.follow(abort.signal);
    cleanups.push(() => {
      abort.abort();
      store.dispose();
    });
    await until(() => expect(store.getSnapshot().selectedId).toBe('s_a'));
    await tick(2000);
    // A fixed 40 ms interval would have read it ~50 times; backing off (×1.5) ~9.
    expect(reads).toBeGreaterThan(3);
    expect(reads).toBeLessThan(14);
    const before = reads;
    fake.events().push(status('s_a', 11, 'idle'));
    await until(() => expect(reads).toBeGreaterThan(before), 500);
  });
});
