import type { DebbyRun } from '../../debby/types.js';
import { usdShort } from '../../cost/format.js';
import { agreementOf, columnsOf, currentQuestion } from './columns.js';

/**
 * `omni debby view` off a terminal: the view's content once, as plain text — each head's latest
 * answer under a rule, then the agreement line and the costs.
 */
export function formatDebby(run: DebbyRun): string {
  const usd = (n: number | undefined) => (n === undefined ? '-' : usdShort(n));
  const out = [`debby ${run.id} · ${run.status} · ${run.heads.length} heads · total ${usd(run.costUsd)}`];
  const q = currentQuestion(run);
  out.push(q ? `question: ${q}` : 'no question yet');
  for (const c of columnsOf(run, new Map(), new Map())) {
    out.push('', `── ${c.label}${c.label !== c.harness ? ` (${c.harness})` : ''} · ${usd(c.costUsd)}${c.title ? ` · ${c.title}` : ''} ──`);
    out.push(c.error ? `no answer: ${c.error}` : c.text || '(no answer yet)');
  }
  out.push('', agreementOf(run, new Map()));
  return out.join('\n');
}
