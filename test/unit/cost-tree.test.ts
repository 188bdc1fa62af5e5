import { describe, expect, it } from 'vitest';
import type { OmniEvent, UsageData } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { aggregateCost, type CostInput } from '../../src/cost/aggregate.js';
import { withDescendants } from '../../src/cost/report.js';

let seq = 0;
function usage(session: string, usd: number | undefined, data: Partial<UsageData> = {}): OmniEvent<'usage'> {
  return {
    seq: ++seq,
    ts: '2026-03-01T10:00:00.000Z',
    session,
    type: 'usage',
    data: { model: 'claude-sonnet-4-5', inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, source: 'test', ...(usd === undefined ? { unpriced: true } : { computedCostUsd: usd }), ...data },
  };
}

const session = (id: string, parent?: string) => ({ id, name: id.replace('s_', ''), harness: 'claude', ...(parent ? { parent } : {}) });

/**
 *   root (0.1)                 solo (0.05)
 *   ├─ child (0.2, 1 unpriced)
 *   │  └─ grandchild (0.4)
 *   └─ quiet (no usage)
 *   idle-root (no usage)
 *   └─ worker (0.3)
 */
function inputs(): CostInput[] {
  return [
    { session: session('s_root'), events: [usage('s_root', 0.1)] },
    { session: session('s_solo'), events: [usage('s_solo', 0.05)] },
    { session: session('s_child', 's_root'), events: [usage('s_child', 0.2), usage('s_child', undefined, { model: 'mystery' })] },
    { session: session('s_idle'), events: [] },
    { session: session('s_worker', 's_idle'), events: [usage('s_worker', 0.3)] },
    { session: session('s_grandchild', 's_child'), events: [usage('s_grandchild', 0.4)] },
    { session: session('s_quiet', 's_root'), events: [] },
  ];
}

describe('omni cost --by session: descendants roll into their root', () => {
  it('puts each tree together, root first, with a tree total; every session keeps its own row', () => {
    const r = aggregateCost(inputs(), 'session');
    expect(r.groups.map((g) => [g.key, g.computedUsd, g.parent ?? null, g.root ?? null, g.tree?.computedUsd ?? null])).toEqual([
      ['s_root', 0.1, null, null, 0.7],
      ['s_child', 0.2, 's_root', 's_root', null],
      ['s_grandchild', 0.4, 's_child', 's_root', null],
      ['s_solo', 0.05, null, null, null],
      // A root that spent nothing itself still carries its tree.
      ['s_idle', 0, null, null, 0.3],
      ['s_worker', 0.3, 's_idle', 's_idle', null],
    ]);
    const root = r.groups[0]!;
    expect(root.tree).toEqual({
      messages: 4,
      inputTokens: 400,
      outputTokens: 40,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      computedUsd: 0.7,
      reportedUsd: 0,
      reportedMessages: 0,
      reportedTotals: 0,
      unpricedMessages: 1,
    });
    // The grand total counts every message once (trees are not added on top).
    expect(r.total.computedUsd).toBe(1.05);
    expect(r.total.messages).toBe(6);
    expect(r.sessions).toBe(5);
    expect(r.groups.find((g) => g.key === 's_idle')).toMatchObject({ label: 'idle', harness: 'claude', messages: 0, unpricedModels: [] });
  });

  it('a session whose parent is not in the report is a root of its own', () => {
    const r = aggregateCost(inputs().filter((i) => i.session.id !== 's_root'), 'session');
    const child = r.groups.find((g) => g.key === 's_child')!;
    expect(child).toMatchObject({ parent: 's_root', tree: { computedUsd: 0.6, messages: 3 } });
    expect(child.root).toBeUndefined();
    expect(r.groups.find((g) => g.key === 's_grandchild')?.root).toBe('s_child');
  });

  it('other groupings are unchanged; a parent loop neither hangs nor counts twice', () => {
    expect(aggregateCost(inputs(), 'harness').groups.map((g) => [g.key, g.computedUsd, g.tree])).toEqual([['claude', 1.05, undefined]]);
    const loop: CostInput[] = [
      { session: session('s_a', 's_b'), events: [usage('s_a', 1)] },
      { session: session('s_b', 's_a'), events: [usage('s_b', 2)] },
    ];
    const r = aggregateCost(loop, 'session');
    expect(r.groups.map((g) => g.key).sort()).toEqual(['s_a', 's_b']);
    expect(r.total.computedUsd).toBe(3);
  });

  it('one session’s report covers its descendants', () => {
    const recs = [
      { id: 's_root' },
      { id: 's_other' },
      { id: 's_child', parent: 's_root' },
      { id: 's_grandchild', parent: 's_child' },
      { id: 's_stranger', parent: 's_other' },
    ] as SessionRecord[];
    expect(withDescendants(recs[0]!, recs).map((s) => s.id)).toEqual(['s_root', 's_child', 's_grandchild']);
    expect(withDescendants(recs[2]!, recs).map((s) => s.id)).toEqual(['s_child', 's_grandchild']);
  });
});
