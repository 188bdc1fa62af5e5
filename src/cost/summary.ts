import type { EventDataMap, OmniEvent, UsageData } from '../core/events.js';
import type { SessionCost } from '../core/session.js';
import { addLedgerUsage, emptyTotals, type CostTotals, type LedgerDay } from './totals.js';
import { ReportedCost, type ReportedState } from './reported.js';

/**
 * A session's cost, folded event by event as its log grows (docs/COST.md, "How totals are
 * kept"): everything `omni cost`, the session's totals (`ls`, budgets) and the day ledger need,
 * without reading the log again. Pure: the daemon (src/daemon/log-summary.ts) persists it
 * beside the log with the byte offset it covers.
 */
export const SUMMARY_VERSION = 1;

/** Spend of one (UTC day, model, provider) of one session: what any `--by` grouping adds up. */
export interface CostBucket extends CostTotals {
  /** `YYYY-MM-DD`, UTC (the event's `ts`). */
  day: string;
  model: string;
  provider?: string;
}

export interface CostSummaryState {
  version: typeof SUMMARY_VERSION;
  /** Prices the computed USD was built with (PriceWatch's applied fingerprint). */
  fingerprint?: string;
  /** The time zone the local-day ledger figures were dated in. */
  tz: string;
  cost?: SessionCost;
  reported: ReportedState;
  buckets: CostBucket[];
  /** Local-day spend, as the day ledger (src/cost/ledger.ts) counts it. */
  ledger: Record<string, LedgerDay>;
}

/** The zone local dates are computed in (TZ, else the system's). */
export function localZone(): string {
  return process.env.TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? '';
}

const roundSession = (usd: number) => Math.round(usd * 1e9) / 1e9;
const roundReport = (usd: number) => Math.round(usd * 1e10) / 1e10;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export class CostFold {
  readonly reported: ReportedCost;
  private readonly buckets = new Map<string, CostBucket>();

  constructor(private readonly state: CostSummaryState) {
    this.reported = ReportedCost.from(state.reported);
    for (const b of state.buckets) this.buckets.set(bucketKey(b.day, b.model, b.provider), b);
  }

  static empty(fingerprint: string | undefined): CostFold {
    return new CostFold({ version: SUMMARY_VERSION, ...(fingerprint !== undefined ? { fingerprint } : {}), tz: localZone(), reported: { last: [], settled: 0 }, buckets: [], ledger: {} });
  }

  get fingerprint(): string | undefined {
    return this.state.fingerprint;
  }

  get tz(): string {
    return this.state.tz;
  }

  /** The session's totals (SessionRecord.cost), undefined until something counted. */
  get cost(): SessionCost | undefined {
    return this.state.cost;
  }

  /** Buckets in the order they were first counted. */
  get bucketList(): readonly CostBucket[] {
    return this.state.buckets;
  }

  get ledgerDays(): Readonly<Record<string, LedgerDay>> {
    return this.state.ledger;
  }

  /** A copy for persisting (the reported fold's state taken now). */
  snapshot(): CostSummaryState {
    return JSON.parse(JSON.stringify({ ...this.state, reported: this.reported.state() })) as CostSummaryState;
  }

  /**
   * Count one event of the log. `usage` must already carry the price the totals use (repriced
   * when stale); `cost.reported` returns the growth it added (0: no change).
   */
  add(ev: Pick<OmniEvent, 'type' | 'ts' | 'data'>): number {
    if (ev.type === 'usage') {
      this.addUsage(ev.data as UsageData, ev.ts);
      return 0;
    }
    if (ev.type === 'cost.reported') return this.addReported(ev.data as EventDataMap['cost.reported'], ev.ts);
    return 0;
  }

  private addUsage(u: UsageData, ts: string): void {
    // The session's totals, as SessionRecord.cost has always been kept.
    this.state.cost = addSessionUsage(this.state.cost, u);

    // The report's buckets, as aggregateCost counts a message.
    const usd = typeof u.computedCostUsd === 'number' && Number.isFinite(u.computedCostUsd) ? u.computedCostUsd : undefined;
    const b = this.bucket(ts.slice(0, 10), u.model, u.provider);
    b.messages++;
    b.inputTokens += num(u.inputTokens);
    b.outputTokens += num(u.outputTokens);
    b.cacheReadTokens += num(u.cacheReadTokens);
    b.cacheWriteTokens += num(u.cacheWriteTokens);
    if (usd !== undefined) b.computedUsd = roundReport(b.computedUsd + usd);
    else b.unpricedMessages++;
    if (typeof u.reportedCostUsd === 'number' && Number.isFinite(u.reportedCostUsd)) {
      b.reportedUsd = roundReport(b.reportedUsd + u.reportedCostUsd);
      b.reportedMessages++;
    }

    // The local-day ledger, as CostLedger counts it.
    addLedgerUsage(this.state.ledger, u, new Date(ts));
  }

  private addReported(d: EventDataMap['cost.reported'], ts: string): number {
    const delta = this.reported.add(d);
    if (!delta) return 0;
    const c = (this.state.cost ??= { computedUsd: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, messages: 0 });
    c.reportedUsd = roundSession((c.reportedUsd ?? 0) + delta);
    // Running totals count by their growth, dated when reported, under the model then in use.
    const b = this.bucket(ts.slice(0, 10), d.model ?? 'unknown', undefined);
    b.reportedUsd = roundReport(b.reportedUsd + delta);
    b.reportedTotals++;
    return delta;
  }

  private bucket(day: string, model: string, provider: string | undefined): CostBucket {
    const key = bucketKey(day, model, provider);
    let b = this.buckets.get(key);
    if (!b) {
      b = { day, model, ...(provider ? { provider } : {}), ...emptyTotals() };
      this.buckets.set(key, b);
      this.state.buckets.push(b);
    }
    return b;
  }
}

/** Add one usage event to a session's totals (SessionRecord.cost); returns them (created if undefined). */
export function addSessionUsage(cost: SessionCost | undefined, u: UsageData): SessionCost {
  const c = cost ?? { computedUsd: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, messages: 0 };
  c.messages += 1;
  c.inputTokens += u.inputTokens;
  c.outputTokens += u.outputTokens;
  c.cacheReadTokens += u.cacheReadTokens;
  c.cacheWriteTokens += u.cacheWriteTokens;
  if (typeof u.computedCostUsd === 'number') c.computedUsd = roundSession(c.computedUsd + u.computedCostUsd);
  if (typeof u.reportedCostUsd === 'number' && Number.isFinite(u.reportedCostUsd)) c.reportedUsd = roundSession((c.reportedUsd ?? 0) + u.reportedCostUsd);
  if (u.unpriced && !c.unpricedModels?.includes(u.model)) c.unpricedModels = [...(c.unpricedModels ?? []), u.model];
  return c;
}

const bucketKey = (day: string, model: string, provider: string | undefined) => `${day}\0${model}\0${provider ?? ''}`;

/** A persisted summary's state, or why it cannot be used (never trusted blindly). */
export function parseSummaryState(v: unknown): CostSummaryState | string {
  if (!v || typeof v !== 'object') return 'not an object';
  const s = v as Partial<CostSummaryState>;
  if (s.version !== SUMMARY_VERSION) return `version ${String(s.version)} (this omni writes ${SUMMARY_VERSION})`;
  if (!Array.isArray(s.buckets) || !s.reported || !Array.isArray(s.reported.last) || typeof s.reported.settled !== 'number') return 'missing fields';
  if (!s.ledger || typeof s.ledger !== 'object' || typeof s.tz !== 'string') return 'missing fields';
  for (const b of s.buckets) if (typeof b?.day !== 'string' || typeof b.model !== 'string' || typeof b.messages !== 'number') return 'a malformed bucket';
  return s as CostSummaryState;
}
