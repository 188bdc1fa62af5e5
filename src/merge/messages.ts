import type { MergeItem, MergeOutcome } from './types.js';

/** At most this much of a check's output (or git's message) is kept: its end, where the failure is. */
export const OUTPUT_TAIL_BYTES = 4000;
const TAIL_LINES = 60;

export function tail(text: string, maxBytes = OUTPUT_TAIL_BYTES): string {
  let lines = text.replace(/\s+$/, '').split('\n');
  if (lines.length > TAIL_LINES) lines = ['…', ...lines.slice(-TAIL_LINES)];
  let out = lines.join('\n');
  if (out.length > maxBytes) out = '…' + out.slice(-maxBytes);
  return out;
}

/** The message a stopped branch's session gets: what failed, and what to do about it. */
export function stoppedMessage(item: MergeItem, o: MergeOutcome, into: string, check?: string): string {
  const head = `omni merge: your branch ${item.branch} did not merge into ${into}`;
  // The worktree shares the repository, so the target is a local branch there: no fetch.
  const todo = `To fix it: in your worktree run \`git rebase ${into}\` (rebase ${item.branch} on ${into}), resolve the conflicts or fix what failed, make sure it passes, commit, and say when it is ready to merge again.`;
  if (o.outcome === 'conflict') {
    return [`${head}: rebasing it on ${into} conflicts in ${(o.files ?? []).join(', ') || 'files git did not name'}.`, o.output ? `git said:\n${o.output}` : '', todo].filter(Boolean).join('\n\n');
  }
  return [`${head}: the check \`${check ?? ''}\` failed after rebasing it on ${into}.`, o.output ? `The end of its output:\n${o.output}` : '', todo].filter(Boolean).join('\n\n');
}

/** One line per branch, for the progress stream and the summary before the confirmation. */
export function outcomeLine(o: MergeOutcome): string {
  const who = o.session ? `${o.ref} (${o.branch})` : o.branch;
  const told = o.told === undefined ? '' : o.told ? '; its session was told' : '; its session has ended, not told';
  switch (o.outcome) {
    case 'merged':
      return `merged   ${who}${o.commit ? ` → ${o.commit.slice(0, 10)}` : ''}${o.reason ? ` (${o.reason})` : ''}`;
    case 'conflict':
      return `conflict ${who}: ${(o.files ?? []).join(', ') || 'see git output'}${told}`;
    case 'check_failed':
      return `check failed ${who}${told}`;
    case 'skipped':
      return `skipped  ${who}: ${o.reason ?? ''}`;
  }
}
