import type { OmniEvent, UsageData } from '../core/events.js';
import { flattenTree, sessionTree, type TreeNode } from '../core/session-tree.js';
import { CostFold, type CostBucket } from './summary.js';
import { addTotals, emptyTotals, type CostTotals } from './totals.js';

export { emptyTotals, type CostTotals } from './totals.js';

/** `omni cost` / `GET /v1/cost`: usage events totalled by session, harness, model or (UTC) day. */
export const COST_GROUPINGS = ['session', 'harness', 'model', 'day'] as const;
export type CostGrouping = (typeof COST_GROUPINGS)[number];

export interface CostGroup extends CostTotals {
  key: string;
  /** A session's name; the key otherwise. */
  label: string;
  harness?: string;
  unpricedModels: string[];
  /** `--by session`: the session that started this one (SessionRecord.parent), if any. */
  parent?: string;
  /** `--by session`: the root of this session's tree, when that root is in the report. */
  root?: string;
  /** `--by session`, with `root`: how far below the root (a child 1, a grandchild 2). */
  depth?: number;
  /**
   * `--by session`, on a root with descendants in the report: its own spend plus theirs. The
   * descendants keep their own rows, right after their root; `total` counts each message once.
   */
  tree?: CostTotals;
  /** `--tree` (rollUpTrees): the root's own spend; the group's figures are its tree's. */
  own?: CostTotals;
  /** `--tree`: sessions counted in the group (the root and its descendants in the report). */
  treeSessions?: number;
}

export interface UnpricedModel {
  model: string;
  harness: string;
  provider?: string;
  messages: number;
  sessions: string[];
}

export interface CostReport {
  by: CostGrouping;
  /** Set when the report is for one session. */
  session?: string;
  sessions: number;
  groups: CostGroup[];
  total: CostTotals;
  unpriced: UnpricedModel[];
  /** Problems that affect the figures (a prices.yaml that does not load). */
  warnings: string[];
}

export interface CostInput {
  session: { id: string; name: string; harness: string; parent?: string };
  events: Iterable<OmniEvent>;
}

/** Prices a logged usage record with the current price book (its tokens, at the time it was logged). */
export type Repricer = (session: CostInput['session'], usage: UsageData, at: Date) => { usd?: number };

/** One session's cost already folded into buckets (its summary, src/cost/summary.ts). */
export interface CostBucketsInput {
  session: CostInput['session'];
  buckets: readonly CostBucket[];
}


/** Total the events of each session (folded into buckets first, as the daemon's summaries are). */
export function aggregateCost(inputs: CostInput[], by: CostGrouping, opts: { reprice?: Repricer; session?: string; warnings?: string[] } = {}): CostReport {
  return aggregateBuckets(inputs.map((i) => ({ session: i.session, buckets: foldEvents(i, opts.reprice) })), by, opts);
}

/** The buckets of one session's events; with a repricer every usage is priced with the current book (docs/COST.md, "Repricing"), without one as it was logged. */
export function foldEvents(input: CostInput, reprice?: Repricer): readonly CostBucket[] {
  const fold = CostFold.empty(undefined);
  for (const ev of input.events) {
    if (ev.type === 'usage' && reprice) {
      const u = ev.data as UsageData;
      const usd = reprice(input.session, u, new Date(ev.ts)).usd;
      const { computedCostUsd: _c, unpriced: _u, ...raw } = u;
      fold.add({ type: 'usage', ts: ev.ts, data: usd !== undefined ? { ...raw, computedCostUsd: usd } : raw });
    } else fold.add(ev);
  }
  return fold.bucketList;
}

/** The report from every session's buckets: what `omni cost` answers without reading a log. */
export function aggregateBuckets(inputs: CostBucketsInput[], by: CostGrouping, opts: { session?: string; warnings?: string[] } = {}): CostReport {
  const groups = new Map<string, CostGroup & { unpricedSet: Set<string> }>();
  const unpriced = new Map<string, UnpricedModel>();
  const total = emptyTotals();
  let sessions = 0;
  for (const input of inputs) {
    const s = input.session;
    if (input.buckets.some((b) => b.messages > 0)) sessions++;
    for (const b of input.buckets) {
      const key = by === 'session' ? s.id : by === 'harness' ? s.harness : by === 'model' ? b.model : b.day;
      let g = groups.get(key);
      if (!g) {
        g = { key, label: by === 'session' ? s.name : key, ...(by === 'session' ? { harness: s.harness } : {}), ...emptyTotals(), unpricedModels: [], unpricedSet: new Set() };
        groups.set(key, g);
      }
      addTotals(g, b);
      addTotals(total, b);
      if (!b.unpricedMessages) continue;
      g.unpricedSet.add(b.model);
      const uk = `${s.harness}\0${b.provider ?? ''}\0${b.model}`;
      const um = unpriced.get(uk) ?? { model: b.model, harness: s.harness, ...(b.provider ? { provider: b.provider } : {}), messages: 0, sessions: [] };
      um.messages += b.unpricedMessages;
      if (!um.sessions.includes(s.id)) um.sessions.push(s.id);
      unpriced.set(uk, um);
    }
  }
  let list: CostGroup[] = [...groups.values()].map(({ unpricedSet, ...g }) => ({ ...g, unpricedModels: [...unpricedSet].sort() }));
  if (by === 'session') list = sessionTrees(list, inputs);
  else if (by === 'day') list.sort((a, b) => a.key.localeCompare(b.key));
  else list.sort((a, b) => b.computedUsd - a.computedUsd || a.key.localeCompare(b.key));
  return {
    by,
    ...(opts.session ? { session: opts.session } : {}),
    sessions,
    groups: list,
    total,
    unpriced: [...unpriced.values()],
    warnings: opts.warnings ?? [],
  };
}

/**
 * `--by session`: each descendant (by `parent`, the one tree of src/core/session-tree.ts) goes
 * right after its root, depth first, marked with `root` and `depth`, and the root gets a `tree`
 * total (its spend and all of its descendants'). A root that spent nothing itself but has
 * descendants that did gets a row of its own. A session whose parent is not in the report is a
 * root here.
 */
export function sessionTrees(groups: CostGroup[], inputs: Array<{ session: CostInput['session'] }>): CostGroup[] {
  const forest = sessionTree(inputs.map((i) => i.session));
  const rootOf = new Map<string, TreeNode<CostInput['session']>>();
  for (const r of forest) for (const n of flattenTree([r])) rootOf.set(n.item.id, r);
  const byId = new Map(groups.map((g) => [g.key, g]));
  const out: CostGroup[] = [];
  // Roots in the order their trees first spent (a root that spent nothing itself sits where
  // its first descendant would have).
  const roots: Array<TreeNode<CostInput['session']>> = [];
  for (const g of groups) {
    const r = rootOf.get(g.key);
    if (r && !roots.includes(r)) roots.push(r);
  }
  for (const r of roots) {
    const descendants = flattenTree([r]).filter((n) => n !== r && byId.has(n.item.id));
    let own = byId.get(r.item.id);
    if (descendants.length && !own) own = { key: r.item.id, label: r.item.name, harness: r.item.harness, ...emptyTotals(), unpricedModels: [] };
    if (!own) continue;
    out.push(own);
    if (!descendants.length) continue;
    const tree = addTotals(emptyTotals(), own);
    for (const n of descendants) {
      const d = byId.get(n.item.id)!;
      d.root = r.item.id;
      d.depth = n.depth;
      addTotals(tree, d);
      out.push(d);
    }
    own.tree = tree;
  }
  for (const g of groups) if (!out.includes(g)) out.push(g);
  const sessions = new Map(inputs.map((i) => [i.session.id, i.session]));
  for (const g of out) {
    const p = sessions.get(g.key)?.parent;
    if (p) g.parent = p;
  }
  return out;
}

/**
 * `omni cost --tree`: a `--by session` report rolled up to the roots — one group per tree, its
 * figures the tree's (own + descendants'), `own` its own, `treeSessions` how many sessions it
 * counts. The total is unchanged (every message once).
 */
export function rollUpTrees(report: CostReport): CostReport {
  const groups = report.groups
    .filter((g) => !g.root)
    .map(({ tree, ...g }): CostGroup => {
      const { key: _k, label: _l, harness: _h, unpricedModels: _u, parent: _p, depth: _d, ...own } = g;
      const members = report.groups.filter((d) => d.root === g.key);
      const unpricedModels = [...new Set([g, ...members].flatMap((d) => d.unpricedModels))].sort();
      return { ...g, ...(tree ?? own), unpricedModels, own, treeSessions: 1 + members.length };
    });
  return { ...report, groups };
}

/** Usage and `cost.reported` events of one NDJSON event log, for `omni cost`. */
export function costEventsOf(text: string): OmniEvent[] {
  const out: OmniEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"type":"usage"') && !line.includes('"type":"cost.reported"')) continue;
    try {
      const ev = JSON.parse(line) as OmniEvent;
      if (ev.type === 'usage' || ev.type === 'cost.reported') out.push(ev);
    } catch {
      /* a torn line */
    }
  }
  return out;
}
