import type { ChalkInstance } from 'chalk';
import type { CostReport, CostTotals } from '../../cost/aggregate.js';
import { client } from '../context.js';
import { makeChalk, printJson, table } from '../output.js';

/** `omni cost [<session>] [--by session|harness|model|day]`: spend from the daemon's usage events. */
export async function costCommand(ref: string | undefined, opts: { json?: boolean; by?: string }): Promise<number> {
  const q = new URLSearchParams({ ...(opts.by ? { by: opts.by } : {}), ...(ref ? { session: ref } : {}) });
  const report = await (await client()).request<CostReport>(`/v1/cost${q.size ? `?${q}` : ''}`);
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
    const label = r.by === 'session' ? `${g.root && g.root !== g.key ? '  └ ' : ''}${g.label} ${c.dim(`(${g.key}, ${g.harness ?? '?'})`)}` : g.label;
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
