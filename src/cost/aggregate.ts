import type { OmniEvent, UsageData } from '../core/events.js';
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
  /**
   * `--by session`, on a root with descendants in the report: its own spend plus theirs. The
   * descendants keep their own rows, right after their root; `total` counts each message once.
   */
  tree?: CostTotals;
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
 * `--by session`: each descendant (by `parent`) goes right after its root, depth first, marked
 * with `root`, and the root gets a `tree` total (its spend and all of its descendants'). A root
 * that spent nothing itself but has descendants that did gets a row of its own. A session whose
 * parent is not in the report is a root here.
 */
export function sessionTrees(groups: CostGroup[], inputs: Array<{ session: CostInput['session'] }>): CostGroup[] {
  const sessions = new Map(inputs.map((i) => [i.session.id, i.session]));
  const byId = new Map(groups.map((g) => [g.key, g]));
  const rootOf = (id: string): string => {
    const seen = new Set([id]);
    let cur = id;
    for (let p = sessions.get(cur)?.parent; p && sessions.has(p) && !seen.has(p); p = sessions.get(cur)?.parent) {
      seen.add(p);
      cur = p;
    }
    return cur;
  };
  const children = new Map<string, string[]>();
  for (const i of inputs) {
    const p = i.session.parent;
    if (p && sessions.has(p) && rootOf(i.session.id) !== i.session.id) children.set(p, [...(children.get(p) ?? []), i.session.id]);
  }
  const out: CostGroup[] = [];
  const placed = new Set<string>();
  const collect = (id: string, into: string[]) => {
    if (placed.has(id)) return;
    placed.add(id);
    into.push(id);
    for (const c of children.get(id) ?? []) collect(c, into);
  };
  // Roots in the order their trees first spent (a root that spent nothing itself sits where
  // its first descendant would have).
  const roots: string[] = [];
  for (const g of groups) {
    const r = rootOf(g.key);
    if (!roots.includes(r)) roots.push(r);
  }
  for (const r of roots) {
    const members: string[] = [];
    collect(r, members);
    if (!members.length) continue; // already placed (only in a parent loop, which omni never makes)
    const descendants = members.filter((id) => id !== r && byId.has(id)).map((id) => byId.get(id)!);
    let own = byId.get(r);
    if (descendants.length && !own) {
      const s = sessions.get(r)!;
      own = { key: r, label: s.name, harness: s.harness, ...emptyTotals(), unpricedModels: [] };
    }
    if (!own) continue;
    out.push(own);
    if (!descendants.length) continue;
    const tree = addTotals(emptyTotals(), own);
    for (const d of descendants) {
      d.root = r;
      addTotals(tree, d);
      out.push(d);
    }
    own.tree = tree;
  }
  for (const g of groups) if (!out.includes(g)) out.push(g);
  for (const g of out) {
    const p = sessions.get(g.key)?.parent;
    if (p) g.parent = p;
  }
  return out;
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
