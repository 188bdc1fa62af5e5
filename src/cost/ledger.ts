import path from 'node:path';
import type { UsageData } from '../core/events.js';
import { ensurePrivateDir, readJsonFile, writeFileAtomic } from '../core/fsutil.js';
import { addLedgerDay, addLedgerUsage, localDate, type LedgerDay } from './totals.js';

export { localDate, type LedgerDay } from './totals.js';

export interface CostLedgerOptions {
  /**
   * Every session's local-day spend as its summary keeps it (src/cost/summary.ts): what a
   * rebuild adds up (the file was missing, or the prices changed), instead of reading logs.
   */
  seedDays?: () => Iterable<Readonly<Record<string, LedgerDay>>>;
  /** Days kept in the file (older ones are dropped). Default 62. */
  keepDays?: number;
  log?: (msg: string) => void;
}

/**
 * Spend per local day across all sessions (`state/cost-ledger.json`: `{"YYYY-MM-DD": {usd,
 * unpricedModels?}}`), for day-scoped budgets. Session totals cannot give "today": a session
 * that started yesterday has spend on both sides of midnight. The daemon adds each usage event
 * as it is logged, dated when it is logged; if the file is missing, or the prices change, it is
 * rebuilt from every session's summary (which covers its log: the log is the truth, the ledger
 * a running sum of it).
 */
export class CostLedger {
  private days: Record<string, LedgerDay> = {};

  constructor(
    private readonly file: string,
    private readonly opts: CostLedgerOptions = {},
  ) {}

  load(): this {
    ensurePrivateDir(path.dirname(this.file));
    let data: Record<string, LedgerDay> | undefined;
    try {
      data = readJsonFile<Record<string, LedgerDay>>(this.file);
    } catch (err) {
      this.opts.log?.(`cost ledger: ${(err as Error).message}; rebuilding it from the event logs`);
    }
    if (data && typeof data === 'object') {
      this.days = data;
      return this;
    }
    this.rebuild();
    return this;
  }

  /** Add up every session's local-day spend again (the file was missing, or the prices changed). */
  rebuild(): void {
    this.days = {};
    for (const days of this.opts.seedDays?.() ?? []) for (const [date, d] of Object.entries(days)) addLedgerDay(this.days, date, d);
    this.save();
  }

  /** Count one usage event (priced or unpriced) at the moment it was logged. */
  add(usage: UsageData, at: Date): void {
    if (addLedgerUsage(this.days, usage, at)) this.save();
  }

  /** The day's spend (default: today). */
  day(at: Date): { date: string; usd: number; unpricedModels: string[] } {
    const date = localDate(at);
    const d = this.days[date];
    return { date, usd: d?.usd ?? 0, unpricedModels: [...(d?.unpricedModels ?? [])] };
  }

  private save(): void {
    const keep = this.opts.keepDays ?? 62;
    const dates = Object.keys(this.days).sort();
    for (const old of dates.slice(0, Math.max(0, dates.length - keep))) delete this.days[old];
    try {
      writeFileAtomic(this.file, JSON.stringify(this.days, null, 2) + '\n');
    } catch (err) {
      this.opts.log?.(`cost ledger: cannot write ${this.file}: ${(err as Error).message}`);
    }
  }
}
