import { OmniError } from '../core/errors.js';
import type { SessionRecord } from '../core/session.js';
import { findNode, flattenTree, sessionTree } from '../core/session-tree.js';
import { COST_GROUPINGS, aggregateBuckets, type CostBucketsInput, type CostGrouping, type CostReport } from './aggregate.js';
import type { Meter } from './meter.js';
import type { CostBucket } from './summary.js';

/**
 * The daemon's side of `GET /v1/cost`: every (or one) session's cost summary, totalled. The
 * summaries are kept as events are logged and repriced when the prices change (docs/COST.md),
 * so no log is read here. Sessions removed with `omni rm`/`omni prune` count through their kept
 * cost events (`archived`).
 */
export function costReport(
  deps: {
    sessions: SessionRecord[];
    /** The session's cost summary (SessionSummaries). */
    buckets: (rec: SessionRecord) => readonly CostBucket[];
    meter?: Meter;
    archived?: () => CostBucketsInput[];
    /** Sessions whose totals are being rebuilt (new prices, or a summary that did not check out); they answer with older figures meanwhile. */
    repricing?: () => number;
  },
  query: { by?: string | null; session?: SessionRecord },
): CostReport {
  const by = (query.by || (query.session ? 'model' : 'session')) as CostGrouping;
  if (!COST_GROUPINGS.includes(by)) throw new OmniError(`cannot group cost by "${query.by}"; one of: ${COST_GROUPINGS.join(', ')}`, 'bad_request');
  // One session's report covers its descendants too (sessions started for it: sub-agents).
  const recs = query.session ? withDescendants(query.session, deps.sessions) : deps.sessions;
  const inputs: CostBucketsInput[] = recs.map((s) => ({
    session: { id: s.id, name: s.name, harness: s.harness, ...(s.parent ? { parent: s.parent } : {}) },
    buckets: deps.buckets(s),
  }));
  if (!query.session) inputs.push(...(deps.archived?.() ?? []));
  const warnings: string[] = [];
  const meter = deps.meter;
  if (meter) {
    meter.current();
    if (meter.error) warnings.push(`prices.yaml does not load, so the previous overrides apply: ${meter.error}`);
  }
  const pending = deps.repricing?.() ?? 0;
  if (pending) warnings.push(`${pending} session${pending === 1 ? ' is' : 's are'} being totalled again from ${pending === 1 ? 'its log' : 'their logs'} (the prices changed, or a summary was rebuilt), so some figures are older or missing; ask again in a moment`);
  return aggregateBuckets(inputs, by, { ...(query.session ? { session: query.session.id } : {}), warnings });
}

/** The session, then every session below it (by `parent`), each once. */
export function withDescendants(root: SessionRecord, all: SessionRecord[]): SessionRecord[] {
  const node = findNode(sessionTree(all.some((s) => s.id === root.id) ? all : [root, ...all]), root.id);
  return node ? flattenTree([node]).map((n) => n.item) : [root];
}
