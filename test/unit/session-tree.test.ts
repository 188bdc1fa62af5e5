import { describe, expect, it } from 'vitest';
import { liveWithAncestors, treeCosts } from '../../src/cli/commands/ls.js';
import { lsTable } from '../../src/cli/commands/ls-table.js';
import { deepestFirst, findNode, flattenTree, sessionTree, treeRows, treeSum } from '../../src/core/session-tree.js';
import type { SessionRecord } from '../../src/core/session.js';
import { aggregateCost, rollUpTrees, type CostInput } from '../../src/cost/aggregate.js';

const rec = (id: string, over: Partial<SessionRecord> = {}): SessionRecord => ({
  id,
  name: id.replace('s_', ''),
  harness: 'claude',
  cwd: '/w',
  status: 'idle',
  createdAt: new Date(Date.now() - 60_000).toISOString(),
  updatedAt: new Date().toISOString(),
  tmuxSession: id,
  command: [],
  lastSeq: 0,
  ...over,
});
const usd = (computedUsd: number) => ({ cost: { computedUsd, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, messages: 1 } });

/**
 *   lead ($1)            solo ($0.5)
 *   ├─ coder ($2, exited)
 *   │  └─ helper ($4)
 *   └─ reviewer ($0.25)
 */
const list = (): SessionRecord[] => [
  rec('s_lead', usd(1)),
  rec('s_solo', usd(0.5)),
  rec('s_coder', { ...usd(2), parent: 's_lead', status: 'exited', harness: 'codex' }),
  rec('s_reviewer', { ...usd(0.25), parent: 's_lead', harness: 'pi' }),
  rec('s_helper', { ...usd(4), parent: 's_coder' }),
];

describe('sessionTree', () => {
  it('puts children under their parent, in the order given, with depths', () => {
    const forest = sessionTree(list());
    expect(forest.map((n) => n.item.id)).toEqual(['s_lead', 's_solo']);
    expect(flattenTree(forest).map((n) => [n.item.id, n.depth])).toEqual([
      ['s_lead', 0],
      ['s_coder', 1],
      ['s_helper', 2],
      ['s_reviewer', 1],
      ['s_solo', 0],
    ]);
    expect(treeSum(forest[0]!, (s) => s.cost?.computedUsd ?? 0)).toBe(7.25);
    expect(deepestFirst(findNode(forest, 's_lead')!).map((s) => s.id)).toEqual(['s_helper', 's_coder', 's_reviewer', 's_lead']);
    expect(findNode(forest, 's_nope')).toBeUndefined();
  });

  it('draws └─ / ├─ prefixes', () => {
    expect(treeRows(sessionTree(list())).map((r) => r.prefix + r.node.item.name)).toEqual(['lead', '├─ coder', '│  └─ helper', '└─ reviewer', 'solo']);
  });

  it('a missing parent makes a root; a parent loop neither hangs nor drops a session', () => {
    expect(sessionTree(list().filter((s) => s.id !== 's_coder')).map((n) => n.item.id)).toEqual(['s_lead', 's_solo', 's_helper']);
    const loop = [rec('s_a', { parent: 's_b' }), rec('s_b', { parent: 's_a' }), rec('s_c', { parent: 's_a' })];
    const forest = sessionTree(loop);
    expect(forest.map((n) => n.item.id)).toEqual(['s_a', 's_b']);
    expect(flattenTree(forest).map((n) => n.item.id).sort()).toEqual(['s_a', 's_b', 's_c']);
  });
});

describe('omni ls --tree', () => {
  it('tree spend on the rows with children, from the list; ended leads of live children kept', () => {
    expect([...treeCosts(list())]).toEqual([
      ['s_lead', { usd: 7.25, any: true }],
      ['s_coder', { usd: 6, any: true }],
    ]);
    const quiet = [rec('s_p'), rec('s_k', { parent: 's_p', cost: { computedUsd: 0, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, messages: 1, unpricedModels: ['m'] } })];
    expect(treeCosts(quiet).get('s_p')).toEqual({ usd: 0, unpriced: true, any: true });
    expect(treeCosts([rec('s_p'), rec('s_k', { parent: 's_p' })]).get('s_p')).toEqual({ usd: 0, any: false });
    const shown = liveWithAncestors([...list(), rec('s_gone', { status: 'exited' })]);
    expect(shown.map((s) => s.id)).toEqual(['s_lead', 's_solo', 's_coder', 's_reviewer', 's_helper']);
    expect(liveWithAncestors(list().map((s) => (s.id === 's_helper' ? { ...s, status: 'exited' as const } : s))).map((s) => s.id)).toEqual(['s_lead', 's_solo', 's_reviewer']);
  });

  it('the table: children indented under the lead, TREE on a lead row', () => {
    const rows = treeRows(sessionTree(list()));
    const out = lsTable(
      rows.map((r) => r.node.item),
      { width: 200, tree: { prefix: new Map(rows.map((r) => [r.node.item.id, r.prefix])), spend: new Map([['s_lead', '$7.25'], ['s_coder', '$6.00']]) } },
    ).replace(/\x1b\[[0-9;]*m/g, '');
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+HARNESS\s+STATUS\s+COST\s+TREE\s+AGE\s+CWD$/);
    expect(lines[1]).toMatch(/^s_lead\s+lead\s+claude\s+idle\s+\$1\.00\s+\$7\.25\s/);
    expect(lines[2]).toMatch(/^├─ s_coder\s+coder\s+codex\s+exited\s+\$2\.00\s+\$6\.00\s/);
    expect(lines[3]).toMatch(/^│  └─ s_helper\s+helper\s+claude\s+idle\s+\$4\.00\s+1m\s/);
    expect(lines[4]).toMatch(/^└─ s_reviewer\s+reviewer\s+pi\s+idle\s+\$0\.25\s+1m\s/);
    // The columns line up: NAME starts at the same place on every row.
    const at = lines[0]!.indexOf('NAME');
    expect(['lead', 'coder', 'helper', 'reviewer', 'solo'].map((n, i) => lines[i + 1]!.indexOf(` ${n} `) + 1)).toEqual([at, at, at, at, at]);
  });
});

describe('omni cost --tree', () => {
  it('rolls each tree up to its root; the total counts every message once', () => {
    const u = (session: string, v: number) => ({ seq: 1, ts: '2026-03-01T10:00:00.000Z', session, type: 'usage' as const, data: { model: 'm', inputTokens: 10, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, source: 't', computedCostUsd: v } });
    const inputs: CostInput[] = list().map((s) => ({ session: { id: s.id, name: s.name, harness: s.harness, ...(s.parent ? { parent: s.parent } : {}) }, events: [u(s.id, s.cost!.computedUsd)] }));
    const r = aggregateCost(inputs, 'session');
    expect(r.groups.map((g) => [g.key, g.depth ?? 0])).toEqual([
      ['s_lead', 0],
      ['s_coder', 1],
      ['s_helper', 2],
      ['s_reviewer', 1],
      ['s_solo', 0],
    ]);
    const t = rollUpTrees(r);
    expect(t.groups.map((g) => [g.key, g.computedUsd, g.own?.computedUsd, g.treeSessions, g.messages])).toEqual([
      ['s_lead', 7.25, 1, 4, 4],
      ['s_solo', 0.5, 0.5, 1, 1],
    ]);
    expect(t.total).toEqual(r.total);
    expect(t.groups[0]!.tree).toBeUndefined();
  });
});
