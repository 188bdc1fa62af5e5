import { readJsonFile, writeFileAtomic } from '../core/fsutil.js';
import type { SessionRecord } from '../core/session.js';

/**
 * Repricing (docs/COST.md): the totals omni keeps (each session's summary and `cost`, the day
 * ledger) are built with the price book in force. When the prices change (`prices.yaml`, `omni
 * prices update`, a new bundled snapshot), `check` starts rebuilding them from the event logs
 * with the new book, so old usage of a newly priced model stops being "unpriced" and a day
 * budget stops asking about it. The rebuild runs in the background, one log at a time in small
 * async reads (`settled()` resolves when it is done); meanwhile totals keep their previous
 * figures and `omni cost` says so. The fingerprint of the prices the totals were built with is
 * kept in `file` (written once the rebuild is done), so a change made while the daemon was down
 * is caught when it starts. The logs are never rewritten.
 */
/** What a change of prices rebuilds; passed to `check` by whoever owns the totals. */
export interface RepriceWork {
  sessions: () => SessionRecord[];
  /** Re-derive one session's totals from its log with the current book (SessionLog.rebuildCost), off the event loop. */
  rebuildCost: (rec: SessionRecord) => void | Promise<void>;
  /** Rebuild the day ledger (from the sessions' summaries) with the current book. */
  rebuildLedger: () => void;
}

export class PriceWatch {
  private applied: string | undefined;
  private appliedAtMs = 0;
  private job: Promise<void> = Promise.resolve();
  private running = 0;

  // Knows only the prices, so the session log (which asks `stale`) can be built after it.
  constructor(
    private readonly deps: {
      /** Which prices are in force now (src/cost/meter.ts). */
      fingerprint: () => string;
      file: string;
      log?: (msg: string) => void;
    },
  ) {
    try {
      const f = readJsonFile<{ fingerprint?: string; at?: string }>(deps.file);
      this.applied = f?.fingerprint;
      this.appliedAtMs = f?.at ? Date.parse(f.at) || 0 : 0;
    } catch {
      this.applied = undefined;
    }
  }

  /**
   * Whether a usage event logged at `at` may carry another book's price: it was logged before
   * the prices in force were applied. Later events were priced with them (the daemon checks
   * before it prices), so totals take their logged figure and skip the price book's work.
   */
  stale(at: Date): boolean {
    return this.applied === undefined || at.getTime() < this.appliedAtMs;
  }

  /** The prices the totals are (being) built with; summaries are stamped with it. */
  get fingerprint(): string | undefined {
    return this.applied;
  }

  /** Whether a rebuild is under way. */
  get repricing(): boolean {
    return this.running > 0;
  }

  /** Resolves when the rebuilds started so far are done. */
  settled(): Promise<void> {
    return this.job;
  }

  /** Start rebuilding the totals if the prices changed since they were built; true when they did. */
  check(work: RepriceWork): boolean {
    let now: string;
    try {
      now = this.deps.fingerprint();
    } catch (err) {
      this.deps.log?.(`prices: ${(err as Error).message}`);
      return false;
    }
    if (now === this.applied) return false;
    const t0 = Date.now();
    // From here on every event logged so far is stale, so the rebuild reprices all of them.
    this.applied = now;
    this.appliedAtMs = t0;
    this.running++;
    // Queued after any rebuild still running (prices changed twice): the last one wins.
    this.job = this.job
      .then(async () => {
        const recs = work.sessions();
        for (const rec of recs) {
          if (this.applied !== now) return; // superseded by a newer change (queued behind this)
          await work.rebuildCost(rec);
        }
        work.rebuildLedger();
        try {
          writeFileAtomic(this.deps.file, JSON.stringify({ fingerprint: now, at: new Date(t0).toISOString() }) + '\n');
        } catch (err) {
          this.deps.log?.(`prices: cannot write ${this.deps.file}: ${(err as Error).message}`);
        }
        this.deps.log?.(`prices changed: repriced ${recs.length} session${recs.length === 1 ? '' : 's'} and the day ledger in ${Date.now() - t0} ms`);
      })
      .catch((err) => this.deps.log?.(`prices: repricing: ${(err as Error).message}`))
      .finally(() => this.running--);
    return true;
  }
}
