/**
 * The one way omni writes a spend: `omni ls`, `omni status-line` and the dashboard all use
 * these, so the same spend reads the same everywhere. No imports at run time: `ls` and
 * `status-line` must start fast. The figure is computed USD (tokens × the current price book,
 * docs/COST.md); `$?` marks spend on models without a price, never counted as $0.
 */

/** `$4.20`, `$0.81`, `$0.0042` (sub-cent spend stays visible), `$0`. */
export function usdShort(usd: number): string {
  if (usd === 0) return '$0';
  const a = Math.abs(usd);
  if (a < 0.0001) return usd > 0 ? '<$0.0001' : `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(a < 0.01 ? 4 : 2)}`;
}

/** `$0.42`, `$0.42+$?` (some spend unpriced), `$?` (all of it unpriced). */
export function spendText(usd: number, unpriced: boolean): string {
  if (unpriced && usd === 0) return '$?';
  return `${usdShort(usd)}${unpriced ? '+$?' : ''}`;
}

/** What a spend is made of, as a session record (`SessionCost`) or the dashboard keeps it. */
export interface SpendFigures {
  computedUsd: number;
  messages: number;
  unpricedModels?: readonly string[];
}

/** One session's spend: `spendText`, or `-` before any usage. */
export function formatSpend(cost: SpendFigures | undefined): string {
  if (!cost || cost.messages === 0) return '-';
  return spendText(cost.computedUsd, (cost.unpricedModels?.length ?? 0) > 0);
}

/** Computed spend of several sessions, and whether some of it is on unpriced models. */
export function totalSpend(costs: Array<SpendFigures | undefined>): { usd: number; unpriced: boolean; any: boolean } {
  let usd = 0;
  let unpriced = false;
  let any = false;
  for (const c of costs) {
    if (!c || c.messages === 0) continue;
    any = true;
    usd += c.computedUsd;
    if (c.unpricedModels?.length) unpriced = true;
  }
  return { usd: Math.round(usd * 1e9) / 1e9, unpriced, any };
}

/** Several sessions' spend in one figure: `$3.20`, `$3.20+$?`, or `-` when none has used a model. */
export function formatTotalSpend(costs: Array<SpendFigures | undefined>): string {
  const t = totalSpend(costs);
  return t.any ? spendText(t.usd, t.unpriced) : '-';
}
