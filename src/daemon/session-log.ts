import fs from 'node:fs';
import path from 'node:path';
import type { EventDataMap, NewEvent, OmniEvent, SessionStatus, UsageData } from '../core/events.js';
import { OmniError } from '../core/errors.js';
import { ensurePrivateDir } from '../core/fsutil.js';
import { isLive, type SessionCost, type SessionRecord } from '../core/session.js';
import { costEventsOf } from '../cost/aggregate.js';
import { ReportedCost } from '../cost/reported.js';
import type { IngestCursor } from '../harnesses/types.js';
import type { EventBus } from './bus.js';
import { EventLog } from './eventlog.js';
import { IngestKeys } from './ingest-keys.js';
import type { SessionStore } from './store.js';

export type StatusSource = 'hook' | 'pane' | 'tmux' | 'daemon';
export type UsageListener = (rec: SessionRecord, usage: UsageData) => void;

export interface SessionLogDeps {
  store: SessionStore;
  bus: EventBus;
  now?: () => Date;
  log?: (msg: string) => void;
  /** Adds computedCostUsd (or unpriced) to every usage event before it is logged (src/cost/meter.ts). */
  priceUsage?: (rec: SessionRecord, usage: UsageData, at: Date) => UsageData;
  /**
   * Prices a logged usage event with the current book for the record's totals (repricing,
   * docs/COST.md); without it, totals use the figure each event was logged with.
   */
  repriceUsage?: (rec: SessionRecord, usage: UsageData, at: Date) => UsageData;
}

/** One session's open log: the events file, the ingest keys, and the folded cost reports. */
interface Open {
  log: EventLog;
  keys: IngestKeys;
  /** The harness's own cumulative cost reports (`cost.reported`), folded. */
  reported: ReportedCost;
}

/**
 * Every session's event log: appends (priced, totalled, published), statuses, and waits on
 * them. The one writer of events and of the cost totals kept in the record. A log is opened on
 * first use and closed when its session ends; reopening re-derives the totals from the file.
 */
export class SessionLog {
  private open = new Map<string, Open>();
  private usageListeners = new Set<UsageListener>();
  private readonly now: () => Date;
  private readonly log: (msg: string) => void;

  constructor(private readonly deps: SessionLogDeps) {
    this.now = deps.now ?? (() => new Date());
    this.log = deps.log ?? (() => {});
  }

  /** Told of every usage event once it is logged and the session's totals are updated (budgets). */
  onUsage(listener: UsageListener): () => void {
    this.usageListeners.add(listener);
    return () => this.usageListeners.delete(listener);
  }

  emit(rec: SessionRecord, ev: NewEvent): void {
    const open = this.opened(rec);
    // A harness repeats its running total on every status update; only a change is news.
    if (ev.type === 'cost.reported' && !open.reported.changes(ev.data)) return;
    const now = this.now();
    if (ev.type === 'usage' && this.deps.priceUsage) ev = { type: 'usage', data: this.deps.priceUsage(rec, ev.data, now) };
    const full = open.log.append(ev, now);
    if (ev.type === 'usage') addUsage(rec, ev.data);
    else if (ev.type === 'cost.reported') addReported(rec, open.reported.add(ev.data));
    rec.lastSeq = full.seq;
    rec.updatedAt = full.ts;
    this.deps.store.touch(rec);
    this.deps.bus.publish(full);
    if (ev.type === 'usage') {
      for (const l of this.usageListeners) {
        try {
          l(rec, ev.data);
        } catch (err) {
          this.log(`${rec.id}: onUsage: ${(err as Error).message}`);
        }
      }
    }
  }

  setStatus(rec: SessionRecord, status: SessionStatus, reason: string | undefined, source: StatusSource): void {
    if (!isLive(rec.status) && isLive(status)) return; // an ended session stays ended
    // A blocked prompt describes the idle it left; whatever happens next supersedes it.
    if (status !== 'idle') rec.blocked = undefined;
    if (rec.status === status && rec.statusReason === reason) return;
    const previous = rec.status;
    const before = { status: rec.status, statusReason: rec.statusReason, statusSource: rec.statusSource };
    rec.status = status;
    rec.statusReason = reason;
    rec.statusSource = source;
    try {
      this.deps.store.put(rec);
      this.emit(rec, { type: 'session.status', data: { status, previous, ...(reason ? { reason } : {}), source } });
    } catch (err) {
      // Not logged (a full disk): the status did not change, so waits and `ls` keep the truth.
      Object.assign(rec, before);
      throw err;
    }
  }

  /** The seq of the session's last event (the open log's, else the record's). */
  lastSeq(rec: SessionRecord): number {
    return this.open.get(rec.id)?.log.lastSeq ?? rec.lastSeq;
  }

  /** The keys of harness log records already turned into events (ingestion's cursor). */
  keys(rec: SessionRecord): IngestCursor {
    return this.opened(rec).keys;
  }

  /** Open the log (once), rebuilding the record's totals and lastSeq from it. */
  opened(rec: SessionRecord): Open {
    let o = this.open.get(rec.id);
    if (o) return o;
    ensurePrivateDir(this.deps.store.sessionDir(rec.id));
    // Totals are derived from the log (the index may lag it after a crash); the log is the truth.
    // reportedUsd too: Pi's per-message figures plus the last of Claude's running totals. They
    // are rebuilt in the same pass that reopens the log.
    rec.cost = undefined;
    const reported = new ReportedCost();
    const log = EventLog.open(this.deps.store.eventsFile(rec.id), rec.id, (ev) => {
      if (ev.type === 'usage') addUsage(rec, this.repriced(rec, ev.data as UsageData, ev.ts));
      else if (ev.type === 'cost.reported') addReported(rec, reported.add(ev.data as EventDataMap['cost.reported']));
    });
    const file = this.deps.store.eventsFile(rec.id);
    if (log.tornBytes) this.log(`${rec.id}: cut a torn last line (${log.tornBytes} bytes) from ${file}`);
    for (const bad of log.skipped) this.log(`${rec.id}: skipped an unreadable line in ${file} at byte ${bad.offset} (${bad.bytes} bytes; left in place, the events around it are kept)`);
    rec.lastSeq = log.lastSeq;
    const keys = IngestKeys.open(path.join(this.deps.store.sessionDir(rec.id), 'ingested.keys'));
    o = { log, keys, reported };
    this.open.set(rec.id, o);
    return o;
  }

  /**
   * Re-derive a session's totals from its event log with the current price book (the prices
   * changed). Works on any session, open or ended; the log itself is not touched.
   */
  rebuildCost(rec: SessionRecord): void {
    let text: string;
    try {
      text = fs.readFileSync(this.deps.store.eventsFile(rec.id), 'utf8');
    } catch {
      return; // no log (yet): nothing to total
    }
    rec.cost = undefined;
    const reported = new ReportedCost();
    for (const ev of costEventsOf(text)) {
      if (ev.type === 'usage') addUsage(rec, this.repriced(rec, ev.data as UsageData, ev.ts));
      else addReported(rec, reported.add(ev.data as EventDataMap['cost.reported']));
    }
    this.deps.store.touch(rec);
  }

  private repriced(rec: SessionRecord, u: UsageData, ts: string): UsageData {
    if (!this.deps.repriceUsage) return u;
    try {
      return this.deps.repriceUsage(rec, u, new Date(ts));
    } catch (err) {
      this.log(`${rec.id}: repricing: ${(err as Error).message}`);
      return u;
    }
  }

  /** Close one session's files (it ended); a later event reopens them. */
  close(id: string): void {
    const o = this.open.get(id);
    if (!o) return;
    o.log.close();
    o.keys.close();
    this.open.delete(id);
  }

  closeAll(): void {
    for (const id of [...this.open.keys()]) this.close(id);
  }

  /** Resolve with the first event of the session that matches (from now on). */
  waitForEvent(session: string, pred: (ev: OmniEvent) => boolean, timeoutMs: number): Promise<OmniEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsub();
        reject(new OmniError('timed out', 'timeout'));
      }, timeoutMs);
      const unsub = this.deps.bus.subscribe(session, (ev) => {
        if (!pred(ev)) return;
        clearTimeout(timer);
        unsub();
        resolve(ev);
      });
    });
  }

  /** Resolve when the session reaches `status` (one of them, if several; now or later); reject if it ends first. */
  waitForStatus(rec: SessionRecord, wanted: SessionStatus | readonly SessionStatus[], timeoutMs: number): Promise<SessionRecord> {
    const statuses: readonly SessionStatus[] = typeof wanted === 'string' ? [wanted] : wanted;
    const status = statuses.join(' or ');
    const reached = (r: SessionRecord) => statuses.includes(r.status);
    if (reached(rec)) return Promise.resolve(rec);
    if (!isLive(rec.status)) return Promise.reject(new OmniError(`session ${rec.name} has ${rec.status}; it will not become ${status}`, 'wait_ended'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsub();
        reject(new OmniError(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${rec.name} to be ${status} (it is ${rec.status})`, 'timeout'));
      }, timeoutMs);
      const unsub = this.deps.bus.subscribe(rec.id, (ev) => {
        if (ev.type !== 'session.status' && ev.type !== 'session.exited') return;
        const cur = this.deps.store.get(rec.id)!;
        if (reached(cur)) {
          clearTimeout(timer);
          unsub();
          resolve(cur);
        } else if (!isLive(cur.status)) {
          clearTimeout(timer);
          unsub();
          reject(new OmniError(`session ${rec.name} ${cur.status} before becoming ${status}`, 'wait_ended'));
        }
      });
    });
  }
}

const emptyCost = (): SessionCost => ({ computedUsd: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, messages: 0 });
const roundUsd = (usd: number) => Math.round(usd * 1e9) / 1e9;

/**
 * Keep the session's running totals (shown by ls, the dashboard, budgets) in its record.
 * `reportedUsd` sums what the harness said each message cost (Pi).
 */
export function addUsage(rec: SessionRecord, u: UsageData): void {
  const c = (rec.cost ??= emptyCost());
  c.messages += 1;
  c.inputTokens += u.inputTokens;
  c.outputTokens += u.outputTokens;
  c.cacheReadTokens += u.cacheReadTokens;
  c.cacheWriteTokens += u.cacheWriteTokens;
  if (typeof u.computedCostUsd === 'number') c.computedUsd = roundUsd(c.computedUsd + u.computedCostUsd);
  if (typeof u.reportedCostUsd === 'number' && Number.isFinite(u.reportedCostUsd)) c.reportedUsd = roundUsd((c.reportedUsd ?? 0) + u.reportedCostUsd);
  if (u.unpriced && !c.unpricedModels?.includes(u.model)) c.unpricedModels = [...(c.unpricedModels ?? []), u.model];
}

/** Add the growth of a harness's cumulative cost report (`cost.reported`, Claude) to `reportedUsd`. */
export function addReported(rec: SessionRecord, deltaUsd: number): void {
  if (!deltaUsd) return;
  const c = (rec.cost ??= emptyCost());
  c.reportedUsd = roundUsd((c.reportedUsd ?? 0) + deltaUsd);
}
