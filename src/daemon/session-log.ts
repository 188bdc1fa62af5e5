import path from 'node:path';
import type { NewEvent, OmniEvent, SessionStatus, UsageData } from '../core/events.js';
import { OmniError } from '../core/errors.js';
import { ensurePrivateDir } from '../core/fsutil.js';
import { isLive, type SessionRecord } from '../core/session.js';
import { addSessionUsage } from '../cost/summary.js';
import type { IngestCursor } from '../harnesses/types.js';
import type { EventBus } from './bus.js';
import { EventLog } from './eventlog.js';
import { IngestKeys } from './ingest-keys.js';
import { SessionSummaries } from './session-summaries.js';
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
  /** The prices the totals are built with (PriceWatch's applied fingerprint), stamped on each summary. */
  fingerprint?: () => string | undefined;
  /** How long summary writes are coalesced (default 1 s). */
  summaryFlushMs?: number;
}

/** One session's open log: the events file and the ingest keys (live sessions only hold fds). */
interface Open {
  log: EventLog;
  keys?: IngestKeys;
}

/**
 * Every session's event log: appends (priced, totalled, published), statuses, and waits on
 * them. The one writer of events and of the cost totals kept in the record. A log is opened on
 * first use and closed when its session ends; the totals live in the session's summary
 * (`summaries`, src/daemon/session-summaries.ts), which reopening reads instead of the log.
 */
export class SessionLog {
  private open = new Map<string, Open>();
  private usageListeners = new Set<UsageListener>();
  private closing = new Set<string>();
  private readonly now: () => Date;
  private readonly log: (msg: string) => void;
  readonly summaries: SessionSummaries;

  constructor(private readonly deps: SessionLogDeps) {
    this.now = deps.now ?? (() => new Date());
    this.log = deps.log ?? (() => {});
    this.summaries = new SessionSummaries({
      eventsFile: (id) => deps.store.eventsFile(id),
      summaryFile: (id) => path.join(deps.store.sessionDir(id), 'summary.json'),
      ...(deps.fingerprint ? { fingerprint: deps.fingerprint } : {}),
      reprice: (rec, u, ts) => this.repriced(rec, u, ts),
      rebuilt: (rec) => deps.store.touch(rec),
      log: this.log,
      ...(deps.summaryFlushMs !== undefined ? { flushMs: deps.summaryFlushMs } : {}),
    });
  }

  /** Told of every usage event once it is logged and the session's totals are updated (budgets). */
  onUsage(listener: UsageListener): () => void {
    this.usageListeners.add(listener);
    return () => this.usageListeners.delete(listener);
  }

  emit(rec: SessionRecord, ev: NewEvent): void {
    const open = this.opened(rec);
    // A harness repeats its running total on every status update; only a change is news.
    if (ev.type === 'cost.reported' && !this.summaries.load(rec).fold.reported.changes(ev.data)) return;
    const now = this.now();
    if (ev.type === 'usage' && this.deps.priceUsage) ev = { type: 'usage', data: this.deps.priceUsage(rec, ev.data, now) };
    const full = open.log.append(ev, now);
    this.summaries.appended(rec, full, open.log.position);
    // An ended session's log is not kept open (late ingestion reopens it for a moment).
    if (!isLive(rec.status)) this.closeSoon(rec.id);
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
    const o = this.opened(rec);
    // Opened on first use: an ended session's late event does not read them.
    o.keys ??= IngestKeys.open(path.join(this.deps.store.sessionDir(rec.id), 'ingested.keys'));
    return o.keys;
  }

  /**
   * The session's totals and lastSeq, from its summary, without opening its log (start-up:
   * ended sessions hold no fds, and one whose summary must be rebuilt is rebuilt in the
   * background).
   */
  load(rec: SessionRecord): void {
    this.summaries.load(rec, { background: !isLive(rec.status) });
  }

  /** Open the log (once): the totals come from the summary; only the log past it is read. */
  opened(rec: SessionRecord): Open {
    let o = this.open.get(rec.id);
    if (o) return o;
    ensurePrivateDir(this.deps.store.sessionDir(rec.id));
    const t = this.summaries.load(rec);
    // The summary was checked against the log and its tail read; what is left is a torn line.
    const file = this.deps.store.eventsFile(rec.id);
    const log = EventLog.open(file, rec.id, (ev) => this.summaries.fold(rec, t.fold, ev), t.pos);
    if (log.tornBytes) this.log(`${rec.id}: cut a torn last line (${log.tornBytes} bytes) from ${file}`);
    for (const bad of log.skipped) this.log(`${rec.id}: skipped an unreadable line in ${file} at byte ${bad.offset} (${bad.bytes} bytes; left in place, the events around it are kept)`);
    t.pos = log.position;
    rec.lastSeq = log.lastSeq;
    rec.cost = t.fold.cost;
    o = { log };
    this.open.set(rec.id, o);
    if (!isLive(rec.status)) this.closeSoon(rec.id);
    return o;
  }

  /**
   * Re-derive a session's totals from its event log with the current price book (the prices
   * changed), off the event loop: the log is read in small async chunks. Works on any session,
   * open or ended; the log itself is not touched.
   */
  async rebuildCost(rec: SessionRecord): Promise<void> {
    await this.summaries.rebuild(rec, true);
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

  /** Close one session's files (it ended) and write its summary; a later event reopens them. */
  close(id: string): void {
    const o = this.open.get(id);
    if (!o) return;
    o.log.close();
    o.keys?.close();
    this.open.delete(id);
    this.summaries.flush(id);
  }

  /** Close an ended session's files once the current turn is done (its events of this turn share one open). */
  private closeSoon(id: string): void {
    if (this.closing.has(id)) return;
    this.closing.add(id);
    setImmediate(() => {
      this.closing.delete(id);
      const rec = this.deps.store.get(id);
      if (!rec || !isLive(rec.status)) this.close(id);
    }).unref();
  }

  closeAll(): void {
    for (const id of [...this.open.keys()]) this.close(id);
    this.summaries.flush();
  }

  /** How many logs are open (fds: live sessions only). */
  get openCount(): number {
    return this.open.size;
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

/** Add one usage event to a record's running totals (for callers that keep a record without a log: tests of budgets). */
export function addUsage(rec: SessionRecord, u: UsageData): void {
  rec.cost = addSessionUsage(rec.cost, u);
}
