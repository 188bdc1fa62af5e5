import { OmniError } from '../../core/errors.js';
import { formatSpend } from '../../cost/format.js';
import type { RemovedSession } from '../../daemon/session-removal.js';
import { client } from '../context.js';
import { printJson } from '../output.js';

/**
 * `omni rm <session…>` and `omni prune`: forget ended sessions (docs/CLI.md). Their logs are
 * deleted; their cost history stays in `omni cost` and the day ledger.
 */

type Removed = { dryRun: boolean; removed: RemovedSession };

export async function rmCommand(refs: string[], opts: { dryRun?: boolean; json?: boolean }): Promise<number> {
  const c = await client();
  const done: RemovedSession[] = [];
  let failure: OmniError | undefined;
  // Each one on its own: a live session among them is refused, the others still go.
  for (const ref of refs) {
    try {
      const r = await c.request<Removed>(`/v1/sessions/${encodeURIComponent(ref)}${opts.dryRun ? '?dryRun=1' : ''}`, { method: 'DELETE' });
      done.push(r.removed);
      if (!opts.json) process.stdout.write(line(r.removed, Boolean(opts.dryRun)) + '\n');
    } catch (err) {
      if (!(err instanceof OmniError)) throw err;
      failure ??= err;
      process.stderr.write(`omni: ${err.message}\n`);
    }
  }
  if (opts.json) printJson({ dryRun: Boolean(opts.dryRun), removed: done, ...(failure ? { error: failure.toJSON().error } : {}) });
  return failure ? failure.exitCode : 0;
}

export async function pruneCommand(opts: { olderThan?: string; dryRun?: boolean; json?: boolean }): Promise<number> {
  const olderThanMs = opts.olderThan === undefined ? 0 : parseAge(opts.olderThan);
  const r = await (await client()).request<{ dryRun: boolean; removed: RemovedSession[] }>('/v1/sessions/prune', {
    method: 'POST',
    body: { olderThanMs, dryRun: Boolean(opts.dryRun) },
  });
  if (opts.json) {
    printJson(r);
    return 0;
  }
  if (!r.removed.length) {
    process.stdout.write(`no ended sessions${opts.olderThan ? ` older than ${opts.olderThan}` : ''} to remove\n`);
    return 0;
  }
  for (const s of r.removed) process.stdout.write(line(s, r.dryRun) + '\n');
  process.stdout.write(`${r.dryRun ? 'would remove' : 'removed'} ${r.removed.length} session${r.removed.length === 1 ? '' : 's'}${r.removed.some((s) => s.costKept) ? '; their cost stays in omni cost' : ''}\n`);
  return 0;
}

function line(s: RemovedSession, dryRun: boolean): string {
  const spend = formatSpend(s.cost);
  return `${dryRun ? 'would remove' : 'removed'} ${s.name} (${s.id}) ${s.harness} ${s.status}${spend !== '-' ? `, spent ${spend} (kept in omni cost)` : ''}`;
}

/** `7d`, `12h`, `30m`, `90s`, `2w`: a duration in milliseconds. */
export function parseAge(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/.exec(text.trim());
  if (!m) throw new OmniError(`--older-than takes a duration like 7d, 12h, 30m (got "${text}")`, 'bad_request');
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}
