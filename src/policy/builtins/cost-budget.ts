import type { PolicyDecision, Spend, StateUpdate } from '../types.js';
import type { Builtin } from './types.js';

type Scope = 'session' | 'tree' | 'day';

/** Tolerance for float spend (0.1 + 0.2 must reach a $0.30 checkpoint). */
const EPS = 1e-9;

/** `$100`, `$12.50`, `$0.60`, `$0.1305`: whole dollars bare, cents from $1 up, up to four places below. */
export function formatUsd(usd: number): string {
  if (Number.isInteger(usd)) return `$${usd}`;
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  const [whole, frac = ''] = usd.toFixed(4).split('.');
  return `$${whole}.${frac.replace(/0+$/, '').padEnd(2, '0')}`;
}

function where(scope: Scope, date: string | undefined): string {
  if (scope === 'session') return 'in this session';
  if (scope === 'tree') return 'by this session and its sub-agents';
  return `today (${date}, all sessions)`;
}

function basis(n: number): string {
  return n === 1 ? 'as much as the last one' : `as much as the costliest of the last ${n}`;
}

/** The highest checkpoint index recorded as approved (`checkpoint:<k>` in the set). */
function approvedCheckpoint(values: ReadonlySet<string>): number {
  let k = 0;
  for (const v of values) {
    const m = /^checkpoint:(\d+)$/.exec(v);
    if (m) k = Math.max(k, Number(m[1]));
  }
  return k;
}

/**
 * The next model message's cost, projected from the session's recent ones: the most any of the
 * last few cost. A model call re-sends at least the context of the previous one (plus what came
 * since: a tool result, a prompt), so the last message is a floor more than a guess; the
 * maximum over a few keeps one cheap message (a short answer, a cache hit) from hiding the trend.
 * 0 with nothing metered yet: then only spend already at the limit denies.
 */
export function estimateNextMessageUsd(recent: readonly number[] | undefined): number {
  return Math.max(0, ...(recent ?? []));
}

/**
 * A spending budget. The daemon gives every subject the spend so far (`subject.spend`: session,
 * tree and day); usage events arrive from ingestion, where nothing can be held, so:
 *
 * - at `prompt` and `tool_call` (the gates): spend at or past `hard_limit_usd` denies, and so
 *   does spend that the next model message would take past it (`project_next`, on by default:
 *   spend + estimateNextMessageUsd(this session's recent messages) > the limit), since what the
 *   gate lets through leads to another model message; a deny at a tool call also asks the
 *   daemon to interrupt (`stop`), as the model would otherwise answer the deny. Otherwise it asks, in one approval, about what is new: each checkpoint (every `ask_every_usd`), the
 *   soft limit, and each unpriced model (its spend is unknown, never counted as $0);
 * - at `usage`: spend at or past the hard limit denies, which makes the daemon interrupt a
 *   generation in flight;
 * - at `egress`, for a sandboxed session's request to its model endpoint (`egress.model`): the
 *   hard limit and the projection deny (the request is refused); nothing asks there.
 *
 * What a person approved is recorded in the state set `<name>:approved` (`checkpoint:<k>`,
 * `soft`, `unpriced:<model>`), applied on approval whatever its scope: an approved checkpoint
 * (or a later one) is not asked again; a declined one records nothing and is asked at the next
 * gate. Grant keys name the same items, so "approve for the session" covers exactly them.
 */
export const costBudget: Builtin = {
  name: 'cost_budget',
  summary: 'ask at spend checkpoints and a soft limit; deny and interrupt at a hard limit',
  params: {
    ask_every_usd: { type: 'number', default: 0, min: 0, doc: 'a checkpoint every $N of spend: the next prompt or tool call past each one asks (0: none)' },
    soft_limit_usd: { type: 'number', default: 0, min: 0, doc: 'past this spend, ask once (0: none)' },
    hard_limit_usd: { type: 'number', default: 0, min: 0, doc: 'at this spend, deny prompts and tool calls and interrupt a generation in flight (0: none)' },
    scope: { type: 'enum', values: ['session', 'tree', 'day'], default: 'session', doc: "whose spend counts: this session, this session and its sub-agents, or every session's today (local time)" },
    project_next: {
      type: 'boolean',
      default: true,
      doc: 'at prompts and tool calls, also deny when the next model message (estimated as the costliest of the last 3 in this session) would take the spend past hard_limit_usd',
    },
  },
  check(p) {
    const every = p.ask_every_usd as number;
    const soft = p.soft_limit_usd as number;
    const hard = p.hard_limit_usd as number;
    if (!every && !soft && !hard) return { param: 'hard_limit_usd', message: 'set at least one of ask_every_usd, soft_limit_usd, hard_limit_usd (above 0)' };
    if (soft && hard && soft >= hard) return { param: 'soft_limit_usd', message: `soft_limit_usd (${soft}) must be below hard_limit_usd (${hard})` };
    return undefined;
  },
  create(p, ctx) {
    const every = p.ask_every_usd as number;
    const soft = p.soft_limit_usd as number;
    const hard = p.hard_limit_usd as number;
    const scope = p.scope as Scope;
    const project = p.project_next as boolean;
    const set = `${ctx.name}:approved`;
    return {
      name: ctx.name,
      phases: ['prompt', 'tool_call', 'usage', 'egress'],
      source: ctx.source,
      evaluate(s, state): PolicyDecision {
        const view = s.spend;
        if (!view) return {}; // outside the daemon: no meter, no opinion
        if (s.phase === 'egress' && !s.egress?.model) return {}; // only model requests spend
        const spend: Spend = view[scope];
        const usd = spend.usd;
        const spent = `${formatUsd(usd)} spent ${where(scope, view.day.date)}`;
        if (hard && usd + EPS >= hard) {
          return { verdict: 'deny', reason: `cost budget: ${spent} reached the hard limit of ${formatUsd(hard)}`, stop: true };
        }
        if (s.phase === 'usage') return {};
        const next = project && hard ? estimateNextMessageUsd(view.recentMessagesUsd) : 0;
        if (next > 0 && usd + next > hard + EPS) {
          return {
            verdict: 'deny',
            reason: `cost budget: ${spent} + ~${formatUsd(next)} for the next model message (${basis(view.recentMessagesUsd!.length)}) would pass the hard limit of ${formatUsd(hard)}`,
            stop: true,
          };
        }

        const approved = state.set(set);
        const items: Array<{ key: string; reason: string }> = [];
        for (const model of spend.unpricedModels) {
          const key = `unpriced:${model}`;
          if (!approved.has(key)) items.push({ key, reason: `model ${model} has no price, so its spend is unknown (not counted as $0)` });
        }
        if (soft && usd + EPS >= soft && !approved.has('soft')) items.push({ key: 'soft', reason: `past the soft limit of ${formatUsd(soft)}` });
        if (every) {
          const k = Math.floor((usd + EPS) / every);
          if (k >= 1 && approvedCheckpoint(approved) < k) items.push({ key: `checkpoint:${k}`, reason: `past the ${formatUsd(k * every)} checkpoint (one every ${formatUsd(every)})` });
        }
        // A model request is no place to ask (it would hold a streamed call): the gates ask.
        if (!items.length || s.phase === 'egress') return {};
        const updates: StateUpdate[] = [{ op: 'add', set, values: items.map((i) => i.key) }];
        const limits = hard ? `; hard limit ${formatUsd(hard)}` : '';
        return {
          verdict: 'ask',
          reason: `cost budget: ${spent}, ${items.map((i) => i.reason).join('; ')}${limits}`,
          grantKey: items.map((i) => i.key).join(' '),
          updates,
        };
      },
    };
  },
};
