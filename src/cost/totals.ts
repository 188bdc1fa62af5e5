/** The figures every cost view adds up, and the local day they are dated by (no imports: the cost parts all build on it). */
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
