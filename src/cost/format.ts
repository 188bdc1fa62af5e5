import type { SessionCost } from '../core/session.js';

/**
 * Short spend labels for `omni ls` and `omni status-line` (no imports at run time: both must
 * start fast). Computed USD (tokens × the price book) is an estimate of list price, hence `~`;
 * `$?` marks spend on models without a price, never counted as $0.
 */
export function usdShort(usd: number): string {
  if (usd > 0 && usd < 0.01) return '<$0.01';
  return `$${usd.toFixed(2)}`;
}

/** `~$0.42`, `~$0.42+$?` (some models unpriced), `$?` (only unpriced ones), `-` (no usage yet). */
export function sessionSpend(cost: SessionCost | undefined): string {
  if (!cost || cost.messages === 0) return '-';
  const unpriced = (cost.unpricedModels?.length ?? 0) > 0;
  if (unpriced && cost.computedUsd === 0) return '$?';
  const s = usdShort(cost.computedUsd);
  return `${s.startsWith('<') ? s : `~${s}`}${unpriced ? '+$?' : ''}`;
}

/** Computed spend of several sessions, and whether some of it is on unpriced models. */
export function totalSpend(costs: Array<SessionCost | undefined>): { usd: number; unpriced: boolean; any: boolean } {
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
