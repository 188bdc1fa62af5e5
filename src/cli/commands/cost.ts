import type { ChalkInstance } from 'chalk';
import { rollUpTrees, type CostReport, type CostTotals } from '../../cost/aggregate.js';
import { OmniError } from '../../core/errors.js';
import { client } from '../context.js';
import { makeChalk, printJson, table } from '../output.js';

/**
 * `omni cost [<session>] [--by session|harness|model|day] [--tree]`: spend from the daemon's
 * usage summaries. `--tree` rolls each session tree (sub-agents by `parent`) up to its root.
 */
export async function costCommand(ref: string | undefined, opts: { json?: boolean; by?: string; tree?: boolean }): Promise<number> {
  if (opts.tree && opts.by && opts.by !== 'session') throw new OmniError(`--tree rolls sessions up to their root: it goes with --by session, not --by ${opts.by}`, 'bad_request');
  const by = opts.tree ? 'session' : opts.by;
  const q = new URLSearchParams({ ...(by ? { by } : {}), ...(ref ? { session: ref } : {}) });
  const got = await (await client()).request<CostReport>(`/v1/cost${q.size ? `?${q}` : ''}`);
  const report = opts.tree ? rollUpTrees(got) : got;
  if (opts.json) {
    printJson(report);
    return 0;
  }
  process.stdout.write(formatCostReport(report, makeChalk()) + '\n');
  return 0;
}

export function usd(n: number): string {
  return `$${n.toFixed(n !== 0 && Math.abs(n) < 1 ? 4 : 2)}`;
}

const tokens = (n: number) => n.toLocaleString('en-US');

export function formatCostReport(r: CostReport, c: ChalkInstance): string {
  if (r.total.messages === 0) return r.session ? 'no usage recorded for this session yet' : 'no usage recorded yet';
  const head = { session: 'SESSION', harness: 'HARNESS', model: 'MODEL', day: 'DAY (UTC)' }[r.by];
  const computed = (t: CostTotals) => {
    if (t.unpricedMessages === t.messages) return c.yellow('unpriced');
    return usd(t.computedUsd) + (t.unpricedMessages ? c.yellow(' +unpriced') : '');
  };
  // A running total (Claude) covers every message; per-message figures (Pi) may cover some.
  const reported = (t: CostTotals) =>
    t.reportedMessages === 0 && !t.reportedTotals
      ? c.dim('—')
      : usd(t.reportedUsd) + (!t.reportedTotals && t.reportedMessages < t.messages ? c.dim(` (${t.reportedMessages}/${t.messages} msgs)`) : '');
  const row = (label: string, t: CostTotals) => [
    label,
    String(t.messages),
    tokens(t.inputTokens),
    tokens(t.outputTokens),
    tokens(t.cacheReadTokens),
    tokens(t.cacheWriteTokens),
    computed(t),
    reported(t),
  ];
  const rows = [[head, 'MSGS', 'INPUT', 'OUTPUT', 'CACHE READ', 'CACHE WRITE', 'COMPUTED', 'REPORTED']];
  for (const g of r.groups) {
    // A descendant session is indented under its root; a root with descendants gets a tree line.
    const indent = g.root && g.root !== g.key ? `${'   '.repeat(Math.max(0, (g.depth ?? 1) - 1))}  └ ` : '';
    const subs = g.treeSessions && g.treeSessions > 1 ? c.dim(` +${g.treeSessions - 1} under it`) : '';
    const label = r.by === 'session' ? `${indent}${g.label} ${c.dim(`(${g.key}, ${g.harness ?? '?'})`)}${subs}` : g.label;
    rows.push(row(label, g));
    if (g.tree) rows.push(row(c.dim(`  tree of ${g.label}`), g.tree));
  }
  if (r.groups.length > 1) rows.push(row(c.bold('total'), r.total));
  const lines = [table(rows, c)];
  for (const u of r.unpriced) {
    lines.push(
      c.yellow(
        `unpriced: ${u.model} (${u.harness}${u.provider ? `, provider ${u.provider}` : ''}): ${u.messages} message${u.messages === 1 ? '' : 's'} not in COMPUTED; price it in prices.yaml (omni prices ${u.model})`,
      ),
    );
  }
  for (const w of r.warnings) lines.push(c.yellow(`warning: ${w}`));
  return lines.join('\n');
}
