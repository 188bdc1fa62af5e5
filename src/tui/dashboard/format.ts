import type { ChalkInstance } from 'chalk';
import type { Approval } from '../../approvals/types.js';
import type { SessionStatus } from '../../core/events.js';
import { askWhere, describeRequest, formatAge, oneLine } from '../approvals/format.js';
import { shortStatus } from '../../core/status-text.js';
import { formatSpend, formatTotalSpend, spendText, usdShort } from '../../cost/format.js';
import { budgetLevel, budgetLimit, spendUsd, type Budget, type Spend } from './budget.js';
import type { DashboardRow, DashboardSnapshot } from './store.js';

/** Plain-text pieces of the dashboard, shared by the Ink view and the non-TTY snapshot (no React). */

/** `$4.20`, `$0.81`, `$0.0042` (sub-cent spend stays visible), `$0`: omni's one spend format (src/cost/format.ts). */
export const formatUsd = usdShort;

/** The dashboard's total: the same figure and text as `omni status-line` (`$0.13+$?`, `-`). */
export function totalSpendText(rows: ReadonlyArray<Pick<DashboardRow, 'spend'>>): string {
  return formatTotalSpend(rows.map((r) => r.spend));
}

/** A limit: `$10`, `$12.50`. */
export function formatLimit(n: number): string {
  return Number.isInteger(n) ? `$${n}` : `$${n.toFixed(2)}`;
}

/** `████░░░░░░`: `spent / limit` of `width` cells (full at or past the limit; one cell for any spend). */
export function spendBar(spent: number, limit: number, width = 10): string {
  const ratio = limit > 0 ? spent / limit : 1;
  let filled = Math.round(Math.min(1, Math.max(0, ratio)) * width);
  if (spent > 0 && filled === 0) filled = 1;
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

export type SpendLevel = 'none' | 'ok' | 'warn' | 'over';

export interface SpendDisplay {
  /** Set when a bar can be drawn (a session or tree budget). */
  bar?: { spentUsd: number; limitUsd: number; kind: 'hard' | 'soft' | 'checkpoint' };
  /** `$4.20 / $10`, `$4.20 · day budget $10`, or `$4.20`. */
  text: string;
  /** `reported $4.25` when the harness's own figure differs; `unpriced: model` when a model has no price. */
  notes: string[];
  level: SpendLevel;
}

/** How a row's spend reads, with or without a budget. */
export function describeSpend(spend: Spend, budget: Budget | undefined, budgetSpendUsd: number | undefined): SpendDisplay {
  const mine = spendUsd(spend);
  const notes: string[] = [];
  if (spend.reportedUsd !== undefined && Math.abs(spend.reportedUsd - spend.computedUsd) >= 0.005) notes.push(`reported ${formatUsd(spend.reportedUsd)}`);
  if (spend.unpricedModels.length) notes.push(`unpriced: ${spend.unpricedModels.join(', ')}`);
  // The row's own spend reads as in `omni ls` (formatSpend); a budget's figure is a plain sum.
  const own = formatSpend(spend);
  if (!budget) return { text: own, notes, level: 'none' };
  if (budgetSpendUsd === undefined) {
    const lim = budget.hardLimitUsd ?? budget.softLimitUsd ?? budget.askEveryUsd;
    return { text: `${own} · ${budget.scope} budget${lim !== undefined ? ` ${formatLimit(lim)}` : ''}`, notes, level: 'none' };
  }
  const lim = budgetLimit(budget, budgetSpendUsd);
  if (!lim) return { text: own, notes, level: 'none' };
  const suffix = lim.kind === 'soft' ? ' soft' : lim.kind === 'checkpoint' ? ' next ask' : '';
  const tree = budget.scope === 'tree' ? ' tree' : '';
  return {
    bar: { spentUsd: budgetSpendUsd, limitUsd: lim.usd, kind: lim.kind },
    text: `${spendText(budgetSpendUsd, budget.scope === 'session' && spend.unpricedModels.length > 0)} / ${formatLimit(lim.usd)}${suffix}${tree}`,
    notes,
    level: budgetLevel(budget, budgetSpendUsd),
  };
}

/** `waiting (ap_fc9d1e2a3b)`: fits `max` characters, and an id in it is whole or left out (src/core/status-text.ts). */
export function statusText(row: Pick<DashboardRow, 'status' | 'statusReason'>, max = 26): string {
  return shortStatus(row.status, row.statusReason, max);
}

/** The colour a status has everywhere in omni (`omni ls`). */
export function statusColor(status: SessionStatus): string | undefined {
  switch (status) {
    case 'running':
      return 'green';
    case 'waiting':
      return 'yellow';
    case 'idle':
      return 'cyan';
    case 'starting':
      return 'blue';
    case 'failed':
      return 'red';
    default:
      return undefined;
  }
}

/** One ask in a line: session, policy, what is asked, age. */
export function describeAsk(a: Approval, now: number): { session: string; policy: string; request: string; age: string } {
  const d = describeRequest(a, 80);
  const request = d.label === 'command' ? `$ ${d.text}` : d.label === 'request' ? d.text : d.label === 'prompt' ? `prompt “${d.text}”` : `${d.label}: ${d.text}`;
  return { session: askWhere(a), policy: a.policies.join(', ') || '(no policy)', request: oneLine(request, 100), age: formatAge(a.createdAt, now) };
}

/** `omni` / `omni dashboard` without a terminal: sessions with status and spend, then pending asks. */
export function formatDashboard(snap: Pick<DashboardSnapshot, 'rows' | 'asks' | 'totalUsd' | 'hostErrors'>, now: number, c: ChalkInstance): string {
  const lines: string[] = [];
  for (const h of snap.hostErrors ?? []) lines.push(c.red(`${h.host}: unreachable: ${oneLine(h.error, 120)}`));
  if (!snap.rows.length) lines.push('no live sessions');
  else {
    const rows = [['SESSION', 'HARNESS', 'STATUS', 'AGE', 'ASKS', 'SPEND'].map((h) => c.bold(h))];
    for (const r of snap.rows) {
      const sp = describeSpend(r.spend, r.budget, r.budgetSpendUsd);
      const pct = sp.bar && sp.bar.limitUsd > 0 ? ` (${Math.round((sp.bar.spentUsd / sp.bar.limitUsd) * 100)}%)` : '';
      const colour = sp.level === 'over' ? c.red : sp.level === 'warn' ? c.yellow : (s: string) => s;
      rows.push([
        `${r.treePrefix ?? ''}${rowName(r)} ${c.dim(`(${r.id})`)}`,
        r.harness,
        statusText(r),
        formatAge(r.createdAt, now),
        r.asks ? c.yellow(String(r.asks)) : '0',
        colour(sp.text + pct) + (sp.notes.length ? ' ' + c.dim(sp.notes.join(' · ')) : ''),
      ]);
    }
    lines.push(alignTable(rows));
    lines.push(c.dim(`total ${totalSpendText(snap.rows)} · ${snap.rows.length} session${snap.rows.length === 1 ? '' : 's'}`));
  }
  lines.push('');
  if (!snap.asks.length) lines.push('no pending asks');
  else {
    lines.push(c.bold(`pending asks (${snap.asks.length}):`));
    for (const a of snap.asks) {
      const d = describeAsk(a, now);
      lines.push(`  ${a.id}  ${d.session}  ${c.yellow(d.policy)}  ${d.request}  ${c.dim(d.age)}`);
    }
    lines.push(c.dim('answer with: omni approvals (or omni approve/deny <id>)'));
  }
  return lines.join('\n');
}

/** `omni dashboard --json`. */
export function dashboardJson(snap: Pick<DashboardSnapshot, 'rows' | 'asks' | 'totalUsd' | 'hostErrors'>) {
  return {
    sessions: snap.rows.map((r) => ({
      id: r.id,
      name: r.name,
      ...(r.host ? { host: r.host } : {}),
      harness: r.harness,
      ...(r.model ? { model: r.model } : {}),
      status: r.status,
      ...(r.statusReason ? { statusReason: r.statusReason } : {}),
      createdAt: r.createdAt,
      ...(r.parent ? { parent: r.parent } : {}),
      spend: { usd: spendUsd(r.spend), ...r.spend },
      budget: r.budget ? { ...r.budget, ...(r.budgetSpendUsd !== undefined ? { spentUsd: r.budgetSpendUsd } : {}) } : null,
      asks: r.asks,
    })),
    asks: snap.asks,
    totalUsd: snap.totalUsd,
    ...(snap.hostErrors?.length ? { hostErrors: snap.hostErrors } : {}),
  };
}

/** A row's name, with its host when that is not this machine: `devbox:fix-login`. */
export function rowName(r: Pick<DashboardRow, 'name' | 'host'>): string {
  return r.host ? `${r.host}:${r.name}` : r.name;
}

function alignTable(rows: string[][]): string {
  const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, strip(cell).length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - strip(cell).length))).join('  ').trimEnd()).join('\n');
}
