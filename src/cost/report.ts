import fs from 'node:fs';
import { OmniError } from '../core/errors.js';
import type { SessionRecord } from '../core/session.js';
import { COST_GROUPINGS, aggregateCost, costEventsOf, type CostGrouping, type CostReport } from './aggregate.js';
import type { Meter } from './meter.js';

/**
 * The daemon's side of `GET /v1/cost`: read every (or one) session's usage events from its log
 * and total them. Records logged before metering existed are priced now with the current book.
 */
export function costReport(
  deps: { sessions: SessionRecord[]; eventsFile: (id: string) => string; meter?: Meter },
  query: { by?: string | null; session?: SessionRecord },
): CostReport {
  const by = (query.by || (query.session ? 'model' : 'session')) as CostGrouping;
  if (!COST_GROUPINGS.includes(by)) throw new OmniError(`cannot group cost by "${query.by}"; one of: ${COST_GROUPINGS.join(', ')}`, 'bad_request');
  const recs = query.session ? [query.session] : deps.sessions;
  const inputs = recs.map((s) => ({ session: { id: s.id, name: s.name, harness: s.harness }, events: readUsage(deps.eventsFile(s.id)) }));
  const meter = deps.meter;
  const warnings: string[] = [];
  if (meter) {
    meter.current();
    if (meter.error) warnings.push(`prices.yaml does not load, so the previous overrides apply: ${meter.error}`);
  }
  return aggregateCost(inputs, by, {
    ...(query.session ? { session: query.session.id } : {}),
    warnings,
    ...(meter ? { reprice: (s, u, at) => meter.cost(s.harness, u, at) } : {}),
  });
}

function readUsage(file: string) {
  try {
    return costEventsOf(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
