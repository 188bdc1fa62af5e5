import { ExternalStore } from '../external-store.js';
import type { Approval, ApprovalStreamItem } from '../../approvals/types.js';
import type { OmniEvent, UsageData } from '../../core/events.js';
import { flattenTree, sessionTree, treeSum } from '../../core/session-tree.js';
import { isLive, type SessionRecord } from '../../core/session.js';
import { compareApprovals } from '../approvals/format.js';
import type { ConnectionState, StatusMessage } from '../approvals/store.js';
import { matchesFilter, type Preview } from './actions.js';
import { spendUsd, type Budget } from './budget.js';
import { errorText, isAbort, round, rowFrom, treeOrder, type DashboardRow, type DashboardSnapshot, type DashboardStoreOptions, type StreamName } from './model.js';

/**
 * The state of the `omni` dashboard: live sessions with status, spend and budget, and the pending
 * asks. Fed by the sessions list, the all-sessions event stream (`GET /v1/events`, live only) and
 * the approvals stream. Plain TypeScript (no React): the Ink view reads it with
 * `useSyncExternalStore(subscribe, getSnapshot)`, the non-TTY snapshot and tests drive it directly.
 *
 * Usage events move spend and status events move status without refetching (a harness's running
 * `cost.reported` total is read back from the record, which folds it); an event's `seq` is
 * compared with the row's `lastSeq` (from the record), so an event already counted in a fetched
 * record is never counted twice. The list is refetched on (re)connect, on session.started /
 * exited / resumed, and for an event of a session it does not know.
 *
 * This half follows the daemon and keeps what is shown (rows, asks, selection, filter, marks);
 * DashboardStore (store.ts) adds the actions and the preview.
 */
export class DashboardFeed extends ExternalStore<DashboardSnapshot> {
  protected rows = new Map<string, DashboardRow>();
  private asks: Approval[] = [];
  protected selectedId: string | undefined;
  protected selectedIndex = -1;
  private loaded = false;
  private readonly conn: Record<StreamName, { state: ConnectionState; error?: string }> = { events: { state: 'connecting' }, approvals: { state: 'connecting' } };
  private listError: string | undefined;
  protected message: StatusMessage | undefined;
  /** Budgets asked for (by session id), so a new row's is fetched once. */
  private readonly budgetAsked = new Set<string>();
  /** Unknown session ids that already caused a refetch (an ended session's late event must not loop). */
  private readonly unknownTried = new Set<string>();
  /** Sessions seen ending, at that event's seq: a list read before the end must not bring them back. */
  private readonly ended = new Map<string, number>();
  private refreshing: Promise<void> | undefined;
  private again = false;
  /** Events that arrive while the list is being fetched: applied after it, deduplicated by seq. */
  private buffer: OmniEvent[] | undefined;
  private filter = '';
  protected showEnded = false;
  protected readonly marked = new Set<string>();
  protected preview: Preview | undefined;
  protected harnesses: string[] | undefined;
  protected busy: string | undefined;
  /** Wakes the preview loop at once (the selection moved). */
  protected previewWake: (() => void) | undefined;

  constructor(protected readonly opts: DashboardStoreOptions) {
    super();
    this.snapshot = this.build();
  }

  // --- feeding ---

  /** Replace the rows with a fetched list (keeping what newer events already moved). */
  setSessions(list: readonly SessionRecord[]): void {
    const next = new Map<string, DashboardRow>();
    for (const rec of list) {
      if (!isLive(rec.status) && !this.showEnded) continue;
      const prev = this.rows.get(rec.id);
      const endSeq = this.ended.get(rec.id);
      if (endSeq !== undefined && (rec.lastSeq ?? 0) < endSeq) {
        if (this.showEnded && prev) next.set(rec.id, prev);
        continue;
      }
      // We already counted events past this record (it was read before they happened): keep ours.
      next.set(rec.id, prev && prev.lastSeq > (rec.lastSeq ?? 0) ? prev : rowFrom(rec, prev));
    }
    this.rows = next;
    this.loaded = true;
    this.listError = undefined;
    this.emit();
  }

  /** Apply one event of the all-sessions stream. */
  applyEvent(ev: OmniEvent): void {
    if (this.disposed) return;
    const wasLive = this.conn.events.state === 'live' && !this.conn.events.error;
    this.conn.events = { state: 'live' };
    const quiet = () => (wasLive ? undefined : this.emit());
    if (this.buffer) {
      this.buffer.push(ev);
      return quiet();
    }
    const row = this.rows.get(ev.session);
    if (!row) {
      this.unknown(ev);
      return quiet();
    }
    if (ev.seq <= row.lastSeq) return quiet(); // counted already (in the fetched record)
    row.lastSeq = ev.seq;
    switch (ev.type) {
      case 'usage': {
        const u = ev.data as UsageData;
        const s = row.spend;
        s.messages += 1;
        if (typeof u.computedCostUsd === 'number' && Number.isFinite(u.computedCostUsd)) s.computedUsd = round(s.computedUsd + u.computedCostUsd);
        // Per message (Pi), as the daemon adds it to the record's reportedUsd.
        if (typeof u.reportedCostUsd === 'number' && Number.isFinite(u.reportedCostUsd)) s.reportedUsd = round((s.reportedUsd ?? 0) + u.reportedCostUsd);
        if (u.unpriced && !s.unpricedModels.includes(u.model)) s.unpricedModels = [...s.unpricedModels, u.model];
        break;
      }
      case 'session.status': {
        const d = (ev as OmniEvent<'session.status'>).data;
        if (!isLive(d.status)) {
          this.end(row.id, ev.seq);
          void this.refresh();
          break;
        }
        row.status = d.status;
        if (d.reason) row.statusReason = d.reason;
        else delete row.statusReason;
        break;
      }
      case 'session.exited':
        this.end(row.id, ev.seq);
        void this.refresh();
        break;
      case 'session.started':
      case 'session.resumed':
        this.ended.delete(row.id);
        void this.refresh();
        break;
      case 'session.renamed':
        row.name = (ev as OmniEvent<'session.renamed'>).data.name;
        break;
      default:
        // A harness's running total (`cost.reported`, cumulative per harness session): the daemon
        // folds it into the record's reportedUsd, so read the record again (after this event).
        if ((ev.type as string) === 'cost.reported') void this.refresh();
        return quiet(); // nothing else the dashboard shows
    }
    this.emit();
  }

  /** Apply one item of the approvals stream. */
  applyApproval(item: ApprovalStreamItem): void {
    if (this.disposed) return;
    this.conn.approvals = { state: 'live' };
    switch (item.type) {
      case 'snapshot':
        this.asks = item.approvals.filter((a) => a.status === 'pending').sort(compareApprovals);
        break;
      case 'requested':
        this.asks = this.asks.filter((a) => a.id !== item.approval.id);
        if (item.approval.status === 'pending') this.asks = [...this.asks, item.approval].sort(compareApprovals);
        break;
      case 'resolved':
        this.asks = this.asks.filter((a) => a.id !== item.approval.id);
        break;
      default:
        return;
    }
    this.emit();
  }

  /** Set a session's budget (undefined: none known). */
  setBudget(id: string, budget: Budget | undefined): void {
    const row = this.rows.get(id);
    if (!row) return;
    if (budget) row.budget = budget;
    else delete row.budget;
    this.emit();
  }

  /**
   * Refetch the sessions list; events that arrive meanwhile are applied after it. Resolves once
   * the list is in and the budgets of new rows (all rows with `budgets: true`) are fetched.
   */
  async refresh(opts: { budgets?: boolean } = {}): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      await this.refreshing;
    } else {
      this.refreshing = this.fetchList().finally(() => (this.refreshing = undefined));
      await this.refreshing;
    }
    await this.loadBudgets(Boolean(opts.budgets));
  }

  /** Follow both streams (reopening them after `retryMs` when they end or break) until `signal` aborts. */
  async follow(signal: AbortSignal): Promise<void> {
    const retryMs = this.opts.retryMs ?? 1000;
    const refreshMs = this.opts.refreshMs ?? 0;
    const timer = refreshMs > 0 ? setInterval(() => void this.refresh({ budgets: true }), refreshMs) : undefined;
    timer?.unref?.();
    try {
      await Promise.all([
        this.followOne('events', signal, retryMs, (s) => this.opts.source.events(s), (ev) => this.applyEvent(ev)),
        this.followOne('approvals', signal, retryMs, (s) => this.opts.source.approvals(s), (it) => this.applyApproval(it)),
      ]);
    } finally {
      if (timer) clearInterval(timer);
    }
  }

  // --- actions ---

  select(delta: number): void {
    const rows = this.snapshot.rows;
    if (!rows.length) return;
    const i = Math.min(rows.length - 1, Math.max(0, this.selectedIndex + delta));
    this.selectedId = rows[i]?.id;
    this.emit();
    this.previewWake?.();
  }

  /** Select a session by id (or name), e.g. the one just started. */
  selectSession(ref: string): void {
    const row = this.snapshot.rows.find((r) => r.id === ref || r.name === ref);
    if (!row) return;
    this.selectedId = row.id;
    this.emit();
    this.previewWake?.();
  }

  setFilter(text: string): void {
    this.filter = text;
    this.emit();
    this.previewWake?.();
  }

  /** Show ended sessions too (to resume one), or only live ones; refetches the list. */
  async toggleEnded(): Promise<void> {
    this.showEnded = !this.showEnded;
    if (!this.showEnded) for (const [id, r] of this.rows) if (!isLive(r.status)) this.rows.delete(id);
    this.emit();
    await this.refresh();
  }

  /** Mark or unmark the selected session for a broadcast. */
  toggleMark(): void {
    const id = this.selectedId;
    if (!id) return;
    if (!this.marked.delete(id)) this.marked.add(id);
    this.emit();
  }

  /** Mark every shown live session (e.g. all that match `tag:api`), or clear the marks if they all are. */
  markAll(): void {
    const live = this.snapshot.rows.filter((r) => isLive(r.status)).map((r) => r.id);
    if (live.length && live.every((id) => this.marked.has(id))) this.marked.clear();
    else for (const id of live) this.marked.add(id);
    this.emit();
  }

  selectedRow(): DashboardRow | undefined {
    const s = this.snapshot;
    return s.selected >= 0 ? s.rows[s.selected] : undefined;
  }

  setMessage(text: string | undefined, kind: StatusMessage['kind'] = 'info'): void {
    this.message = text === undefined ? undefined : { text, kind };
    this.emit();
  }

  dispose(): void {
    this.stopEmitting();
  }

  // --- internals ---

  private end(id: string, seq: number): void {
    this.ended.set(id, seq);
    const row = this.rows.get(id);
    if (this.showEnded && row) row.status = row.status === 'failed' ? 'failed' : 'exited';
    else this.rows.delete(id);
  }

  private unknown(ev: OmniEvent): void {
    const starts = ev.type === 'session.started' || ev.type === 'session.resumed' || (ev.type === 'session.status' && isLive((ev as OmniEvent<'session.status'>).data.status));
    if (ev.type === 'session.exited' || (!starts && this.unknownTried.has(ev.session))) return;
    this.unknownTried.add(ev.session);
    void this.refresh();
  }

  private async fetchList(): Promise<void> {
    do {
      this.again = false;
      this.buffer = [];
      let list: SessionRecord[] | undefined;
      try {
        list = await this.opts.source.sessions(this.showEnded);
      } catch (err) {
        this.listError = errorText(err);
      }
      const buffered = this.buffer;
      this.buffer = undefined;
      if (this.disposed) return;
      if (list) this.setSessions(list);
      else this.emit();
      for (const ev of buffered) this.applyEvent(ev);
    } while (this.again && !this.disposed);
  }

  /** Fetch the budgets of rows not asked yet (of every row with `all`). */
  async loadBudgets(all = false): Promise<void> {
    const get = this.opts.source.budget;
    if (!get) return;
    const todo = [...this.rows.values()].filter((r) => all || !this.budgetAsked.has(r.id));
    for (const r of todo) this.budgetAsked.add(r.id);
    await Promise.all(
      todo.map(async (r) => {
        try {
          this.setBudget(r.id, await get.call(this.opts.source, r.id));
        } catch {
          // No budget shown is the honest fallback (an older daemon, a session that just ended).
        }
      }),
    );
  }

  private async followOne<T>(name: StreamName, signal: AbortSignal, retryMs: number, open: (signal: AbortSignal) => AsyncIterable<T>, apply: (item: T) => void): Promise<void> {
    const conn = this.conn;
    while (!signal.aborted && !this.disposed) {
      conn[name] = { state: 'connecting', ...(conn[name].error ? { error: conn[name].error } : {}) };
      this.emit();
      try {
        const it = open(signal)[Symbol.asyncIterator]();
        const first = it.next(); // the request goes out before the list is read
        if (name === 'events') {
          // The event stream has no backlog: what happened while we were away is in the list.
          void this.refresh().then(() => {
            if (signal.aborted || this.disposed || this.listError !== undefined || conn.events.state !== 'connecting') return;
            conn.events = { state: 'live' };
            this.emit();
          });
        }
        for (let r = await first; !r.done; r = await it.next()) {
          if (this.disposed) return;
          apply(r.value); // sets the stream live (and clears its error)
        }
        conn[name] = { state: 'ended' };
      } catch (err) {
        conn[name] = isAbort(err) || signal.aborted ? { state: 'ended' } : { state: 'error', error: errorText(err) };
      }
      if (this.disposed || signal.aborted) return;
      this.emit();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, retryMs);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  }

  /** Keep the selection on the same session; if it went away, stay at the same row (clamped). */
  private reselect(rows: readonly DashboardRow[]): void {
    let i = this.selectedId ? rows.findIndex((r) => r.id === this.selectedId) : -1;
    if (i < 0) i = rows.length ? Math.min(Math.max(this.selectedIndex, 0), rows.length - 1) : -1;
    this.selectedIndex = i;
    this.selectedId = i >= 0 ? rows[i]?.id : undefined;
  }

  protected build(): DashboardSnapshot {
    const asksBy = new Map<string, number>();
    for (const a of this.asks) asksBy.set(a.session, (asksBy.get(a.session) ?? 0) + 1);
    const all = [...this.rows.values()];
    // A tree budget counts every row under the session (the one tree: src/core/session-tree.ts).
    const nodes = new Map(flattenTree(sessionTree(all)).map((n) => [n.item.id, n]));
    const rows = all
      .map((r): DashboardRow => {
        const out: DashboardRow = { ...r, spend: { ...r.spend, unpricedModels: [...r.spend.unpricedModels] }, asks: asksBy.get(r.id) ?? 0 };
        delete out.budgetSpendUsd;
        if (r.budget?.scope === 'session') out.budgetSpendUsd = spendUsd(r.spend);
        else if (r.budget?.scope === 'tree') out.budgetSpendUsd = round(treeSum(nodes.get(r.id)!, (x) => spendUsd(x.spend)));
        return out;
      })
      .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const shown = treeOrder(rows.filter((r) => matchesFilter(r, this.filter)));
    for (const id of this.marked) if (!shown.some((r) => r.id === id && isLive(r.status))) this.marked.delete(id);
    this.reselect(shown);
    return {
      rows: shown,
      unfiltered: rows.length,
      filter: this.filter,
      showEnded: this.showEnded,
      marked: shown.filter((r) => this.marked.has(r.id)).map((r) => r.id),
      preview: this.preview,
      harnesses: this.harnesses,
      canAct: Boolean(this.opts.actions),
      busy: this.busy,
      asks: [...this.asks],
      selected: this.selectedIndex,
      selectedId: this.selectedId,
      totalUsd: round(rows.filter((r) => isLive(r.status)).reduce((n, r) => n + spendUsd(r.spend), 0)),
      loaded: this.loaded,
      events: this.conn.events.state,
      approvals: this.conn.approvals.state,
      error: this.conn.events.error ?? this.conn.approvals.error ?? this.listError,
      message: this.message,
    };
  }
}
