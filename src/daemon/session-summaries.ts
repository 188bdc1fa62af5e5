import fs from 'node:fs';
import type { OmniEvent, UsageData } from '../core/events.js';
import type { SessionRecord } from '../core/session.js';
import { CostFold, localZone, type CostBucket } from '../cost/summary.js';
import type { LedgerDay } from '../cost/totals.js';
import { START, scanLogAsync, scanLogSync, type LogPosition } from './log-scan.js';
import { checkSummary, readSummary, writeSummary, writeSummaryAsync } from './log-summary.js';

export interface SessionSummariesDeps {
  eventsFile: (id: string) => string;
  summaryFile: (id: string) => string;
  /** The prices in force (PriceWatch's applied fingerprint); a summary built with others is repriced. */
  fingerprint?: () => string | undefined;
  /** A logged usage event as the totals count it (repriced when it may carry an older book's price). */
  reprice: (rec: SessionRecord, usage: UsageData, ts: string) => UsageData;
  log: (msg: string) => void;
  /** How long appends are coalesced before the summaries are written (default 1 s). */
  flushMs?: number;
  /** A record's totals changed by a rebuild (the index is written). */
  rebuilt?: (rec: SessionRecord) => void;
}

interface Tracked {
  fold: CostFold;
  pos: LogPosition;
  dirty: boolean;
}

/**
 * Every session's cost summary, in memory, kept by the appends and persisted beside each log
 * (src/daemon/log-summary.ts; docs/COST.md, "How totals are kept"). Loading one reads only the
 * log past what its summary covers; a summary that does not check out is rebuilt from the log,
 * and logged. Repricing rebuilds them from their logs in small async steps (`rebuild`).
 */
export class SessionSummaries {
  private tracked = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private writeFailed = false;
  /** The background flush in progress (one at a time). */
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: SessionSummariesDeps) {}

  private fp(): string | undefined {
    return this.deps.fingerprint?.();
  }

  /** Rebuilds waiting or running (the cost report warns that its figures may be older prices'). */
  get repricing(): number {
    return this.queued;
  }

  /**
   * The session's summary, loaded once (no fd is kept); sets its record's totals and lastSeq.
   * One that does not check out is rebuilt from the whole log: at once, or with `background`
   * (an ended session at start-up: nothing appends to it) in async steps, the record keeping
   * the index's figures meanwhile and `omni cost` saying so.
   */
  load(rec: SessionRecord, opts: { background?: boolean } = {}): Tracked {
    let t = this.tracked.get(rec.id);
    if (t) return t;
    const file = this.deps.eventsFile(rec.id);
    const s = readSummary(this.deps.summaryFile(rec.id));
    let why = typeof s === 'string' ? s : checkSummary(s, file);
    if (!why && typeof s !== 'string' && s.state.tz !== localZone()) why = `dated in another time zone (${s.state.tz})`;
    if (why || typeof s === 'string') {
      const fold = CostFold.empty(this.fp());
      if (opts.background && fileSize(file) > 0) {
        t = { fold, pos: { ...START }, dirty: false };
        this.tracked.set(rec.id, t);
        void this.rebuildLater(rec, true, why ?? 'missing');
        return t;
      }
      const r = scanLogSync(file, START, (ev) => this.fold(rec, fold, ev), this.badLine(rec, file));
      t = { fold, pos: r.position, dirty: r.position.offset > 0 };
      if (r.position.offset > 0) this.deps.log(`${rec.id}: summary ${why}; rebuilt it from the event log (${r.position.offset} bytes)`);
    } else {
      const fold = new CostFold(s.state);
      // Only what was appended after the summary was written is read.
      const r = scanLogSync(file, s.log, (ev) => this.fold(rec, fold, ev), this.badLine(rec, file));
      t = { fold, pos: r.position, dirty: r.position.offset !== s.log.offset };
      if (fold.fingerprint !== this.fp()) void this.rebuildLater(rec);
    }
    this.tracked.set(rec.id, t);
    rec.cost = t.fold.cost;
    rec.lastSeq = t.pos.lastSeq;
    if (t.dirty) this.schedule();
    return t;
  }

  /** Reports a complete line that is not an event (a torn write in the middle): it is skipped, not lost silently. */
  private badLine(rec: SessionRecord, file: string): (offset: number, bytes: number) => void {
    return (offset, bytes) => this.deps.log(`${rec.id}: skipped an unreadable line in ${file} at byte ${offset} (${bytes} bytes; left in place, the events around it are kept)`);
  }

  /** Count an event read from the log (its usage repriced as the totals count it). */
  fold(rec: SessionRecord, fold: CostFold, ev: OmniEvent): number {
    if (ev.type === 'usage') return fold.add({ type: 'usage', ts: ev.ts, data: this.deps.reprice(rec, ev.data as UsageData, ev.ts) });
    return fold.add(ev);
  }

  /** An event was appended (priced already): count it; the summary now covers `pos`. */
  appended(rec: SessionRecord, ev: OmniEvent, pos: LogPosition): void {
    const t = this.load(rec);
    t.fold.add(ev);
    t.pos = pos;
    t.dirty = true;
    rec.cost = t.fold.cost;
    this.schedule();
  }

  /** The session's cost buckets (`omni cost`). */
  buckets(rec: SessionRecord): readonly CostBucket[] {
    return this.load(rec).fold.bucketList;
  }

  /** The session's local-day spend (the day ledger's seed). */
  ledgerDays(rec: SessionRecord): Readonly<Record<string, LedgerDay>> {
    return this.load(rec).fold.ledgerDays;
  }

  /** Whether the session's totals were built with the prices in force. */
  current(rec: SessionRecord): boolean {
    return this.load(rec).fold.fingerprint === this.fp();
  }

  /** Rebuild from the log in the background (queued: one log at a time). */
  rebuildLater(rec: SessionRecord, force = false, why?: string): Promise<void> {
    this.queued++;
    const run = this.queue.then(() => this.rebuild(rec, force, why)).catch((err) => this.deps.log(`${rec.id}: repricing: ${(err as Error).message}`));
    this.queue = run.finally(() => this.queued--);
    return this.queue;
  }

  /**
   * Re-derive the session's totals from its whole log with the current prices, reading it in
   * small async chunks (the daemon keeps answering meanwhile). Appends made during the read are
   * read last, in the same turn that swaps the totals in, so none is missed or counted twice.
   */
  async rebuild(rec: SessionRecord, force = false, why?: string): Promise<void> {
    const had = this.tracked.has(rec.id);
    if (had && !force && this.current(rec)) return;
    const file = this.deps.eventsFile(rec.id);
    const fold = CostFold.empty(this.fp());
    // A rebuild for repricing reads lines already reported when the summary was first built.
    const r = await scanLogAsync(file, START, (ev) => this.fold(rec, fold, ev), why ? this.badLine(rec, file) : undefined);
    if (had && !this.tracked.has(rec.id)) return; // removed meanwhile
    const known = this.tracked.get(rec.id)?.pos;
    const tail = known && known.offset > r.position.offset ? scanLogSync(file, r.position, (ev) => this.fold(rec, fold, ev)).position : r.position;
    this.tracked.set(rec.id, { fold, pos: tail, dirty: true });
    rec.cost = fold.cost;
    rec.lastSeq = tail.lastSeq;
    this.deps.rebuilt?.(rec);
    if (why) this.deps.log(`${rec.id}: summary ${why}; rebuilt it from the event log (${tail.offset} bytes)`);
    this.schedule();
  }

  /** Write the dirty summaries now (all, or one session's). A failed write is logged, never thrown: the log is the truth. */
  flush(id?: string): void {
    const ids = id ? [id] : [...this.tracked.keys()];
    for (const i of ids) {
      const t = this.tracked.get(i);
      if (!t?.dirty) continue;
      try {
        const ino = t.pos.offset > 0 ? fs.statSync(this.deps.eventsFile(i)).ino : 0;
        writeSummary(this.deps.summaryFile(i), { state: t.fold.snapshot(), log: { ...t.pos, ino } });
        t.dirty = false;
        this.writeFailed = false;
      } catch (err) {
        // Logged once per run of failures (ENOSPC would repeat every second).
        if (!this.writeFailed) this.deps.log(`${i}: cannot write its summary (the event log stays complete): ${(err as Error).message}`);
        this.writeFailed = true;
      }
    }
    if (!id && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /**
   * The periodic flush: each dirty summary written in turn, off the event loop (a slow disk
   * flush once held a synchronous write for 400 ms). An older summary landing after a newer one
   * is still a valid prefix of its log: the next start reads a longer tail, nothing more.
   */
  private async flushInBackground(): Promise<void> {
    for (const [i, t] of this.tracked) {
      if (!t.dirty) continue;
      t.dirty = false;
      try {
        const ino = t.pos.offset > 0 ? (await fs.promises.stat(this.deps.eventsFile(i))).ino : 0;
        await writeSummaryAsync(this.deps.summaryFile(i), { state: t.fold.snapshot(), log: { ...t.pos, ino } });
        this.writeFailed = false;
      } catch (err) {
        if (this.tracked.get(i) !== t) continue; // removed meanwhile (omni rm): nothing to keep
        t.dirty = true;
        if (!this.writeFailed) this.deps.log(`${i}: cannot write its summary (the event log stays complete): ${(err as Error).message}`);
        this.writeFailed = true;
      }
    }
  }

  /** Drop a removed session's summary from memory. */
  forget(id: string): void {
    this.tracked.delete(id);
  }

  /** Wait for queued rebuilds (tests, shutdown). */
  settled(): Promise<void> {
    return this.queue;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flushInBackground());
    }, this.deps.flushMs ?? 1000);
    this.timer.unref();
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
