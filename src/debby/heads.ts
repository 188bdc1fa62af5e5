import type { DebbyRun } from './types.js';

/** The heads' labels: the harness name, then `-2`, `-3`… for each repeat (claude, codex, claude-2). */
export function headLabels(harnesses: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return harnesses.map((h) => {
    const n = (seen.get(h) ?? 0) + 1;
    seen.set(h, n);
    return n === 1 ? h : `${h}-${n}`;
  });
}

/** A head's session name: `debby-<n>-<label>`. */
export function headSessionName(n: number, label: string): string {
  return `debby-${n}-${label}`;
}

/** The run's number n, read back from its heads' names (debby-<n>-…); 0 when they do not say. */
export function runNumber(run: Pick<DebbyRun, 'heads'>): number {
  const m = /^debby-(\d+)-/.exec(run.heads[0]?.name ?? '');
  return m ? Number(m[1]) : 0;
}

/** The tmux session the Debby view runs in: `debby-<n>` (the heads' own panes are `debby-<n>-<label>`). */
export function viewSessionName(run: Pick<DebbyRun, 'heads' | 'id'>): string {
  const n = runNumber(run);
  return n ? `debby-${n}` : `debby-${run.id}`;
}

/**
 * The latest answer of each head among the run's asks and critiques (a synthesis is not a
 * head's own position). Heads that never answered, or whose last try failed and had no earlier
 * answer, are left out.
 */
export function latestAnswers(run: Pick<DebbyRun, 'heads' | 'exchanges'>): Map<string, string> {
  const out = new Map<string, string>();
  for (const ex of run.exchanges) {
    if (ex.kind === 'synthesis') continue;
    for (const a of ex.answers) if (!a.error && a.text) out.set(a.head, a.text);
  }
  return out;
}

/** The person's latest question (the prompt of the last `ask`). */
export function latestQuestion(run: Pick<DebbyRun, 'exchanges'>): string | undefined {
  for (let i = run.exchanges.length - 1; i >= 0; i--) if (run.exchanges[i]!.kind === 'ask') return run.exchanges[i]!.prompt;
  return undefined;
}
