import fs from 'node:fs';
import path from 'node:path';
import type { UsageData } from '../core/events.js';
import { ensurePrivateDir, readJsonFile, writeFileAtomic } from '../core/fsutil.js';
import { usageEventsOf } from './aggregate.js';
import { localDate, type LedgerDay } from './totals.js';

export { localDate, type LedgerDay } from './totals.js';

const round = (usd: number) => Math.round(usd * 1e9) / 1e9;

export interface CostLedgerOptions {
  /** Usage events of every session, to rebuild the ledger when its file is missing. */
  seed?: () => Iterable<{ ts: string; data: UsageData }>;
  /**
   * Every session's local-day spend as its summary keeps it (src/cost/summary.ts): the rebuild
   * adds these up instead of reading logs. Takes precedence over `seed`.
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

  /** Re-add every usage event from the seed (the file was missing, or the prices changed). */
  rebuild(): void {
    this.days = {};
    if (this.opts.seedDays) {
      for (const days of this.opts.seedDays()) {
        for (const [date, d] of Object.entries(days)) {
          const into = (this.days[date] ??= { usd: 0 });
          into.usd = round(into.usd + d.usd);
          for (const m of d.unpricedModels ?? []) if (!into.unpricedModels?.includes(m)) into.unpricedModels = [...(into.unpricedModels ?? []), m];
        }
      }
      this.save();
      return;
    }
    for (const ev of this.opts.seed?.() ?? []) {
      const at = new Date(ev.ts);
      if (!Number.isNaN(at.getTime())) this.addTo(ev.data, at);
    }
    this.save();
  }

  /** Count one usage event (priced or unpriced) at the moment it was logged. */
  add(usage: UsageData, at: Date): void {
    if (this.addTo(usage, at)) this.save();
  }

  /** The day's spend (default: today). */
  day(at: Date): { date: string; usd: number; unpricedModels: string[] } {
    const date = localDate(at);
    const d = this.days[date];
    return { date, usd: d?.usd ?? 0, unpricedModels: [...(d?.unpricedModels ?? [])] };
  }

  private addTo(u: UsageData, at: Date): boolean {
    const priced = typeof u.computedCostUsd === 'number' && u.computedCostUsd > 0;
    if (!priced && !u.unpriced) return false;
    const date = localDate(at);
    const d = (this.days[date] ??= { usd: 0 });
    if (priced) d.usd = round(d.usd + (u.computedCostUsd as number));
    if (u.unpriced && !d.unpricedModels?.includes(u.model)) d.unpricedModels = [...(d.unpricedModels ?? []), u.model];
    return true;
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

/**
 * The usage events of these event logs (a ledger's seed), each through `price` when given (the
 * current book, for repricing). Unreadable logs are skipped.
 */
export function* usageFromLogs(
  files: Iterable<string | { file: string; harness: string }>,
  price?: (harness: string, usage: UsageData, at: Date) => UsageData,
): Generator<{ ts: string; data: UsageData }> {
  for (const entry of files) {
    const { file, harness } = typeof entry === 'string' ? { file: entry, harness: '' } : entry;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const ev of usageEventsOf(text)) yield { ts: ev.ts, data: price ? price(harness, ev.data, new Date(ev.ts)) : ev.data };
  }
}
