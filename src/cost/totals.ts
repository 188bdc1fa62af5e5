import type { UsageData } from '../core/events.js';

/** The figures every cost view adds up, and the local day they are dated by (nothing of src/cost imported: the cost parts all build on it). */
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

export function emptyTotals(): CostTotals {
  return { messages: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, computedUsd: 0, reportedUsd: 0, reportedMessages: 0, reportedTotals: 0, unpricedMessages: 0 };
}

const round = (usd: number) => Math.round(usd * 1e10) / 1e10;

export function addTotals(into: CostTotals, t: CostTotals): CostTotals {
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

/** One local day's computed spend over every session. */
export interface LedgerDay {
  usd: number;
  /** Models used that day without a price (their spend is unknown, not in `usd`). */
  unpricedModels?: string[];
}

/** `YYYY-MM-DD` of a moment in the daemon's local time zone (TZ). */
export function localDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const roundDay = (usd: number) => Math.round(usd * 1e9) / 1e9;

/**
 * Count one usage record into local-day spend (the day ledger, a summary's share of it): priced
 * spend, and the model when it has no price. False when it adds nothing (free, or no valid date).
 */
export function addLedgerUsage(days: Record<string, LedgerDay>, u: UsageData, at: Date): boolean {
  const priced = typeof u.computedCostUsd === 'number' && u.computedCostUsd > 0;
  if (!priced && !u.unpriced) return false;
  if (Number.isNaN(at.getTime())) return false;
  const d = (days[localDate(at)] ??= { usd: 0 });
  if (priced) d.usd = roundDay(d.usd + (u.computedCostUsd as number));
  if (u.unpriced && !d.unpricedModels?.includes(u.model)) d.unpricedModels = [...(d.unpricedModels ?? []), u.model];
  return true;
}

/** Add one day's figures (a session's share) into the same day of `days`. */
export function addLedgerDay(days: Record<string, LedgerDay>, date: string, d: Readonly<LedgerDay>): void {
  const into = (days[date] ??= { usd: 0 });
  into.usd = roundDay(into.usd + d.usd);
  for (const m of d.unpricedModels ?? []) if (!into.unpricedModels?.includes(m)) into.unpricedModels = [...(into.unpricedModels ?? []), m];
}
