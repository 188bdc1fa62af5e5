import type { EventDataMap, OmniEvent, UsageData } from '../core/events.js';
import { ReportedCost } from './reported.js';

/** `omni cost` / `GET /v1/cost`: usage events totalled by session, harness, model or (UTC) day. */
export const COST_GROUPINGS = ['session', 'harness', 'model', 'day'] as const;
export type CostGrouping = (typeof COST_GROUPINGS)[number];

export interface CostTotals {
  /** Usage records (one per model message). */
  messages: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Tokens × the price book, over priced messages only. */
  computedUsd: number;
  /**
   * What the harnesses reported: per message where they say (Pi; `reportedMessages` counts
   * those), plus the growth of running totals (Claude's statusLine, `cost.reported`;
   * `reportedTotals` counts the reports that added to it).
   */
  reportedUsd: number;
  reportedMessages: number;
  reportedTotals: number;
  /** Messages whose model has no price: not in `computedUsd` (never counted as $0). */
  unpricedMessages: number;
}

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

export function emptyTotals(): CostTotals {
  return { messages: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, computedUsd: 0, reportedUsd: 0, reportedMessages: 0, reportedTotals: 0, unpricedMessages: 0 };
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const round = (usd: number) => Math.round(usd * 1e10) / 1e10;

export function aggregateCost(inputs: CostInput[], by: CostGrouping, opts: { reprice?: Repricer; session?: string; warnings?: string[] } = {}): CostReport {
  const groups = new Map<string, CostGroup & { unpricedSet: Set<string> }>();
  const unpriced = new Map<string, UnpricedModel>();
  const total = emptyTotals();
  let sessions = 0;
  for (const input of inputs) {
    const s = input.session;
    let counted = false;
    const group = (model: string, ts: string) => {
      const key = by === 'session' ? s.id : by === 'harness' ? s.harness : by === 'model' ? model : ts.slice(0, 10);
      let g = groups.get(key);
      if (!g) {
        g = { key, label: by === 'session' ? s.name : key, ...(by === 'session' ? { harness: s.harness } : {}), ...emptyTotals(), unpricedModels: [], unpricedSet: new Set() };
        groups.set(key, g);
      }
      return g;
    };
    // Running totals count by their growth, dated when reported, under the model then in use.
    const reported = new ReportedCost();
    for (const ev of input.events) {
      if (ev.type === 'cost.reported') {
        const d = ev.data as EventDataMap['cost.reported'];
        const delta = reported.add(d);
        if (!delta) continue;
        for (const t of [group(d.model ?? 'unknown', ev.ts), total]) {
          t.reportedUsd = round(t.reportedUsd + delta);
          t.reportedTotals++;
        }
        continue;
      }
      if (ev.type !== 'usage') continue;
      const u = ev.data as UsageData;
      if (!counted) {
        sessions++;
        counted = true;
      }
      // With a repricer every event is priced with the current book (docs/COST.md, "Repricing");
      // without one, as it was logged.
      let usd: number | undefined = typeof u.computedCostUsd === 'number' && Number.isFinite(u.computedCostUsd) ? u.computedCostUsd : undefined;
      if (opts.reprice) usd = opts.reprice(s, u, new Date(ev.ts)).usd;
      const g = group(u.model, ev.ts);
      for (const t of [g, total]) {
        t.messages++;
        t.inputTokens += num(u.inputTokens);
        t.outputTokens += num(u.outputTokens);
        t.cacheReadTokens += num(u.cacheReadTokens);
        t.cacheWriteTokens += num(u.cacheWriteTokens);
        if (usd !== undefined) t.computedUsd = round(t.computedUsd + usd);
        else t.unpricedMessages++;
        if (typeof u.reportedCostUsd === 'number' && Number.isFinite(u.reportedCostUsd)) {
          t.reportedUsd = round(t.reportedUsd + u.reportedCostUsd);
          t.reportedMessages++;
        }
      }
      if (usd === undefined) {
        g.unpricedSet.add(u.model);
        const uk = `${s.harness}\0${u.provider ?? ''}\0${u.model}`;
        const um = unpriced.get(uk) ?? { model: u.model, harness: s.harness, ...(u.provider ? { provider: u.provider } : {}), messages: 0, sessions: [] };
        um.messages++;
        if (!um.sessions.includes(s.id)) um.sessions.push(s.id);
        unpriced.set(uk, um);
      }
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
export function sessionTrees(groups: CostGroup[], inputs: CostInput[]): CostGroup[] {
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

function addTotals(into: CostTotals, t: CostTotals): CostTotals {
  into.messages += t.messages;
  into.inputTokens += t.inputTokens;
  into.outputTokens += t.outputTokens;
  into.cacheReadTokens += t.cacheReadTokens;
  into.cacheWriteTokens += t.cacheWriteTokens;
  into.computedUsd = round(into.computedUsd + t.computedUsd);
  into.reportedUsd = round(into.reportedUsd + t.reportedUsd);
  into.reportedMessages += t.reportedMessages;
  into.reportedTotals += t.reportedTotals;
  into.unpricedMessages += t.unpricedMessages;
  return into;
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

/** Usage events of one NDJSON event log (other lines are skipped without parsing them). */
export function usageEventsOf(text: string): OmniEvent<'usage'>[] {
  const out: OmniEvent<'usage'>[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"type":"usage"')) continue;
    try {
      const ev = JSON.parse(line) as OmniEvent;
      if (ev.type === 'usage') out.push(ev as OmniEvent<'usage'>);
    } catch {
      /* a torn line */
    }
  }
  return out;
}
