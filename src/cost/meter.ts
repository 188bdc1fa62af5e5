import fs from 'node:fs';
import path from 'node:path';
import type { UsageData } from '../core/events.js';
import { CACHE_FILE_NAME, OVERRIDES_FILE_NAME, PriceBook, bundledPriceData, bundledPriceVersion, loadCachedPriceData, type CostResult } from './pricebook.js';
import { loadOverrides } from './overrides.js';

/**
 * The daemon's price book: loaded once, reloaded when `prices.yaml` or the price cache changes
 * (mtime and size, checked on use). A broken `prices.yaml` is logged once and the last good
 * overrides stay in force, so a typo never turns spend into $0 or unpriced.
 */
export class Meter {
  private book: PriceBook | undefined;
  private stamp = '';
  private lastError: string | undefined;
  private readonly overridesFile: string;
  private readonly cacheFile: string;

  constructor(
    private readonly opts: {
      configDir: string;
      cacheDir: string;
      log?: (msg: string) => void;
      /** Who bills a harness's model when its usage names no provider (its adapter's `provider`). */
      defaultProvider?: (harness: string, model: string) => string | undefined;
    },
  ) {
    this.overridesFile = path.join(opts.configDir, OVERRIDES_FILE_NAME);
    this.cacheFile = path.join(opts.cacheDir, CACHE_FILE_NAME);
  }

  /** The current book (reloaded if its files changed). */
  current(): PriceBook {
    const stamp = `${fileStamp(this.overridesFile)}|${fileStamp(this.cacheFile)}`;
    if (this.book && stamp === this.stamp) return this.book;
    this.stamp = stamp;
    const log = this.opts.log ?? (() => {});
    const data = loadCachedPriceData(this.opts.cacheDir, log) ?? bundledPriceData();
    let overrides = this.book?.overrides ?? [];
    let file = this.book?.overridesFile;
    try {
      const loaded = loadOverrides(this.overridesFile);
      overrides = loaded ?? [];
      file = loaded ? this.overridesFile : undefined;
      this.lastError = undefined;
    } catch (err) {
      this.lastError = (err as Error).message;
      log(`prices: ${this.lastError} (keeping the previous overrides)`);
    }
    this.book = new PriceBook(data, overrides, file);
    return this.book;
  }

  /**
   * Which prices are in force: the files the book was read from (mtime, size, inode) and the
   * bundled data's version. Totals built with another fingerprint are out of date (repricing).
   */
  fingerprint(): string {
    this.current();
    return `${bundledPriceVersion()}|${this.stamp}`;
  }

  /** A problem with prices.yaml, if it does not load (the report shows it). */
  get error(): string | undefined {
    return this.lastError;
  }

  cost(harness: string, usage: UsageData, at?: Date): CostResult {
    const defaultProvider = this.opts.defaultProvider;
    return this.current().cost(usage, {
      ...(defaultProvider ? { defaultProvider: (model: string) => defaultProvider(harness, model) } : {}),
      ...(usage.provider ? { provider: usage.provider } : {}),
      ...(at ? { at } : {}),
    });
  }

  /** The usage event's data with `computedCostUsd`, or `unpriced: true` for a model nothing prices. */
  price(rec: { harness: string }, usage: UsageData, at?: Date): UsageData {
    if (typeof usage.computedCostUsd === 'number' || usage.unpriced) return usage;
    let r: CostResult;
    try {
      r = this.cost(rec.harness, usage, at);
    } catch (err) {
      this.opts.log?.(`prices: ${(err as Error).message}`);
      return { ...usage, unpriced: true };
    }
    return r.usd !== undefined ? { ...usage, computedCostUsd: r.usd } : { ...usage, unpriced: true };
  }
}

/**
 * A logged usage event priced with the current book, whatever it was logged with: the event
 * keeps its own `computedCostUsd` (the price of its day, as then known), totals use this.
 */
export function repriceWith(meter: Meter, rec: { harness: string }, usage: UsageData, at: Date): UsageData {
  const { computedCostUsd: _logged, unpriced: _was, ...raw } = usage;
  return meter.price(rec, raw, at);
}

function fileStamp(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch {
    return '-';
  }
}
