import { readJsonFile, writeFileAtomic } from '../core/fsutil.js';
import type { SessionRecord } from '../core/session.js';

/**
 * Repricing (docs/COST.md): the totals omni keeps (each session's `cost`, the day ledger) are
 * built with the price book in force. When the prices change (`prices.yaml`, `omni prices
 * update`, a new bundled snapshot), `check` rebuilds them from the event logs with the new book,
 * so old usage of a newly priced model stops being "unpriced" and a day budget stops asking
 * about it. The fingerprint of the prices the totals were built with is kept in `file`, so a
 * change made while the daemon was down is caught when it starts. The logs are never rewritten.
 */
export class PriceWatch {
  private applied: string | undefined;

  constructor(
    private readonly deps: {
      /** Which prices are in force now (src/cost/meter.ts). */
      fingerprint: () => string;
      file: string;
      sessions: () => SessionRecord[];
      /** Re-derive one session's totals from its log with the current book (SessionLog.rebuildCost). */
      rebuildCost: (rec: SessionRecord) => void;
      /** Rebuild the day ledger from every log with the current book. */
      rebuildLedger: () => void;
      log?: (msg: string) => void;
    },
  ) {
    try {
      this.applied = readJsonFile<{ fingerprint?: string }>(deps.file)?.fingerprint;
    } catch {
      this.applied = undefined;
    }
  }

  /** Rebuild the totals if the prices changed since they were built; true when it did. */
  check(): boolean {
    let now: string;
    try {
      now = this.deps.fingerprint();
    } catch (err) {
      this.deps.log?.(`prices: ${(err as Error).message}`);
      return false;
    }
    if (now === this.applied) return false;
    const t0 = Date.now();
    const recs = this.deps.sessions();
    for (const rec of recs) this.deps.rebuildCost(rec);
    this.deps.rebuildLedger();
    this.applied = now;
    try {
      writeFileAtomic(this.deps.file, JSON.stringify({ fingerprint: now }) + '\n');
    } catch (err) {
      this.deps.log?.(`prices: cannot write ${this.deps.file}: ${(err as Error).message}`);
    }
    this.deps.log?.(`prices changed: repriced ${recs.length} session${recs.length === 1 ? '' : 's'} and the day ledger in ${Date.now() - t0} ms`);
    return true;
  }
}
