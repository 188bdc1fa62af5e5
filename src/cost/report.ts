import fs from 'node:fs';
import { OmniError } from '../core/errors.js';
import type { SessionRecord } from '../core/session.js';
import { COST_GROUPINGS, aggregateCost, costEventsOf, type CostGrouping, type CostInput, type CostReport } from './aggregate.js';
import { repriceWith, type Meter } from './meter.js';

/**
 * The daemon's side of `GET /v1/cost`: read every (or one) session's usage events from its log
 * and total them, every usage event priced with the current book (repricing, docs/COST.md).
 * Sessions removed with `omni rm`/`omni prune` count through their kept cost events (`archived`).
 */
export function costReport(
  deps: {
    sessions: SessionRecord[];
    eventsFile: (id: string) => string;
    meter?: Meter;
    /** Whether an event logged then may carry an older book's price (default: all may). */
    stale?: (at: Date) => boolean;
    archived?: () => CostInput[];
  },
  query: { by?: string | null; session?: SessionRecord },
): CostReport {
  const by = (query.by || (query.session ? 'model' : 'session')) as CostGrouping;
  if (!COST_GROUPINGS.includes(by)) throw new OmniError(`cannot group cost by "${query.by}"; one of: ${COST_GROUPINGS.join(', ')}`, 'bad_request');
  // One session's report covers its descendants too (sessions started for it: sub-agents).
  const recs = query.session ? withDescendants(query.session, deps.sessions) : deps.sessions;
  const inputs: CostInput[] = recs.map((s) => ({
    session: { id: s.id, name: s.name, harness: s.harness, ...(s.parent ? { parent: s.parent } : {}) },
    events: readUsage(deps.eventsFile(s.id)),
  }));
  if (!query.session) inputs.push(...(deps.archived?.() ?? []));
  const meter = deps.meter;
  const warnings: string[] = [];
  if (meter) {
    meter.current();
    if (meter.error) warnings.push(`prices.yaml does not load, so the previous overrides apply: ${meter.error}`);
  }
  return aggregateCost(inputs, by, {
    ...(query.session ? { session: query.session.id } : {}),
    warnings,
    ...(meter ? { reprice: (s, u, at) => ({ usd: (deps.stale?.(at) ?? true) ? repriceWith(meter, s, u, at).computedCostUsd : u.computedCostUsd }) } : {}),
  });
}

/** The session, then every session below it (by `parent`), each once. */
export function withDescendants(root: SessionRecord, all: SessionRecord[]): SessionRecord[] {
  const out = [root];
  const ids = new Set([root.id]);
  for (let i = 0; i < out.length; i++) {
    for (const s of all) {
      if (s.parent === out[i]!.id && !ids.has(s.id)) {
        ids.add(s.id);
        out.push(s);
      }
    }
  }
  return out;
}

function readUsage(file: string) {
  try {
    return costEventsOf(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
