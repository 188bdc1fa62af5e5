/**
 * Spend and budgets as the dashboard shows them (plain TypeScript, no React). Budgets come from a
 * session's `cost_budget` policy, read from `GET /v1/sessions/:ref/policies` when the daemon
 * returns each policy's params; without them a session shows plain spend.
 */

export type BudgetScope = 'session' | 'tree' | 'day';
export const BUDGET_SCOPES: readonly BudgetScope[] = ['session', 'tree', 'day'];

/** A session's `cost_budget` (the builtin's params, in USD). */
export interface Budget {
  /** The policy's name (the builtin's, or `name:` from its file). */
  policy: string;
  scope: BudgetScope;
  /** A checkpoint: pause and ask at every multiple of this. */
  askEveryUsd?: number;
  /** Ask once spend reaches this. */
  softLimitUsd?: number;
  /** Deny new prompts and tool calls at this. */
  hardLimitUsd?: number;
}

/** A session's running spend, as the daemon keeps it (SessionRecord.cost) and usage events move it. */
export interface Spend {
  /** Tokens × the price book, over priced messages. */
  computedUsd: number;
  /** What the harness itself reported, when it does. */
  reportedUsd?: number;
  /** Models without a price: their spend is unknown (never counted as $0). */
  unpricedModels: string[];
  messages: number;
}

/**
 * The figure shown as spend and measured against budgets: computed USD, as `cost_budget` and
 * `omni ls` count it (the harness's reported figure is shown beside it when it differs).
 */
export function spendUsd(s: Spend): number {
  return s.computedUsd;
}

/** What a bar is drawn against: the hard limit, else the soft one, else the next checkpoint. */
export interface BudgetLimit {
  usd: number;
  kind: 'hard' | 'soft' | 'checkpoint';
}

export function budgetLimit(b: Budget, spentUsd: number): BudgetLimit | undefined {
  if (b.hardLimitUsd !== undefined) return { usd: b.hardLimitUsd, kind: 'hard' };
  if (b.softLimitUsd !== undefined) return { usd: b.softLimitUsd, kind: 'soft' };
  if (b.askEveryUsd !== undefined) return { usd: (Math.floor(spentUsd / b.askEveryUsd + 1e-9) + 1) * b.askEveryUsd, kind: 'checkpoint' };
  return undefined;
}

/** `over`: at or past the hard limit; `warn`: past the soft limit or 80% of the bar; else `ok`. */
export function budgetLevel(b: Budget, spentUsd: number): 'ok' | 'warn' | 'over' {
  if (b.hardLimitUsd !== undefined && spentUsd >= b.hardLimitUsd) return 'over';
  if (b.softLimitUsd !== undefined && spentUsd >= b.softLimitUsd) return 'warn';
  const lim = budgetLimit(b, spentUsd);
  return lim && lim.usd > 0 && spentUsd / lim.usd >= 0.8 ? 'warn' : 'ok';
}

const BUDGET_NAME = 'cost_budget';
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);

/**
 * The budget in a `GET /v1/sessions/:ref/policies` answer, if the daemon gives params:
 * `{policies: [{name, level, source, phases, builtin?, params?}]}`. The first budget policy wins
 * (the list is most specific level first), preferring one the dashboard can draw (session, tree).
 */
export function budgetFromPolicies(res: unknown): Budget | undefined {
  const list = (res as { policies?: unknown } | null)?.policies;
  if (!Array.isArray(list)) return undefined;
  const found: Budget[] = [];
  for (const p of list as Array<Record<string, unknown> | null>) {
    if (!p || typeof p !== 'object') continue;
    const params = p.params;
    if (!params || typeof params !== 'object') continue;
    const q = params as Record<string, unknown>;
    const named = p.builtin === BUDGET_NAME || p.use === BUDGET_NAME || p.name === BUDGET_NAME;
    const b: Budget = {
      policy: typeof p.name === 'string' ? p.name : BUDGET_NAME,
      scope: BUDGET_SCOPES.includes(q.scope as BudgetScope) ? (q.scope as BudgetScope) : 'session',
      ...(num(q.ask_every_usd) !== undefined ? { askEveryUsd: num(q.ask_every_usd) } : {}),
      ...(num(q.soft_limit_usd) !== undefined ? { softLimitUsd: num(q.soft_limit_usd) } : {}),
      ...(num(q.hard_limit_usd) !== undefined ? { hardLimitUsd: num(q.hard_limit_usd) } : {}),
    };
    const hasLimit = b.askEveryUsd !== undefined || b.softLimitUsd !== undefined || b.hardLimitUsd !== undefined;
    if (hasLimit && (named || 'hard_limit_usd' in q || 'soft_limit_usd' in q || 'ask_every_usd' in q)) found.push(b);
  }
  return found.find((b) => b.scope !== 'day') ?? found[0];
}
