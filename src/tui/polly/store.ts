import { ExternalStore } from '../external-store.js';
import type { OmniEvent } from '../../core/events.js';
import { boardHeader, boardRows, reviewLines, type BoardHeader, type BoardRow } from '../../polly/board-rows.js';
import type { PollyRun } from '../../polly/types.js';
import type { ConnectionState, StatusMessage } from '../approvals/store.js';
import type { PollyApi } from './source.js';

/** A text view over the board: a task's diff or its last review, scrolled with the arrows. */
export interface Pager {
  title: string;
  lines: string[];
  /** The first line shown. */
  top: number;
}

export interface BoardSnapshot {
  run?: PollyRun;
  header?: BoardHeader;
  rows: BoardRow[];
  selected: number;
  selectedId?: string;
  loaded: boolean;
  /** The event stream the board follows. */
  events: ConnectionState;
  error?: string;
  message?: StatusMessage;
  /** An action under way (its progress line). */
  busy?: string;
  pager?: Pager;
}

export interface BoardStoreOptions {
  api: Pick<PollyApi, 'run' | 'events' | 'approve' | 'sendBack'>;
  /** The run as named on the command line: an id or `latest`. */
  ref: string;
  /** The caller's directory, for `latest`. */
  cwd?: string;
  /** The task's diff against its base (the CLI reads the worker's worktree with git). */
  diff?: (run: PollyRun, task: string) => Promise<string>;
  /** `omni polly merge RUN --yes`; resolves to the line to show. */
  merge?: (run: PollyRun, progress: (line: string) => void) => Promise<StatusMessage>;
  /** At most one refetch per this many ms while events pour in (default 250: ≤ 4/s). */
  throttleMs?: number;
  /**
   * Also re-read the run this often (0: never). A run's events go to its lead's log; when that
   * session is gone (removed, or the daemon cannot write there) a change made from elsewhere,
   * such as `omni polly merge` in another shell, still shows within this long.
   */
  refreshMs?: number;
  retryMs?: number;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const isAbort = (err: unknown) => (err as { name?: string } | null)?.name === 'AbortError';

/** Session events that change what a row shows (status, cost); polly.* events of the run change everything. */
const SESSION_EVENTS = new Set(['usage', 'cost.reported', 'session.status', 'session.exited', 'session.started', 'session.resumed']);

/**
 * The Polly board's state and every action it has (docs/POLLY.md "The board and the CLI"). Plain
 * TypeScript: the Ink view (view.tsx) reads it with useSyncExternalStore and maps keys to these
 * methods, so tests and other front ends drive the same code. The run is refetched
 * (`GET /v1/polly/:run`, costs filled in) when a polly.* event of the run or an event of one of
 * its sessions arrives, at most once per `throttleMs`, and on every (re)connect of the stream.
 */
export class PollyBoardStore extends ExternalStore<BoardSnapshot> {
  private run: PollyRun | undefined;
  private selectedId: string | undefined;
  private selectedIndex = -1;
  private loaded = false;
  private conn: { state: ConnectionState; error?: string } = { state: 'connecting' };
  private fetchError: string | undefined;
  private message: StatusMessage | undefined;
  private busy: string | undefined;
  private pager: Pager | undefined;
  private lastFetch = 0;
  private pending: ReturnType<typeof setTimeout> | undefined;
  private inflight: Promise<void> | undefined;
  private again = false;

  constructor(private readonly opts: BoardStoreOptions) {
    super();
    this.snapshot = this.build();
  }

  /** The run id once known (the ref may be `latest`). */
  runId(): string {
    return this.run?.id ?? this.opts.ref;
  }

  // --- feeding ---

  setRun(run: PollyRun): void {
    this.run = run;
    this.loaded = true;
    this.fetchError = undefined;
    this.emit();
  }

  /** Fetch the run now (one at a time; a request during a fetch fetches once more after it). */
  async refresh(): Promise<void> {
    if (this.inflight) {
      this.again = true;
      return this.inflight;
    }
    this.inflight = (async () => {
      do {
        this.again = false;
        this.lastFetch = Date.now();
        try {
          this.setRun(await this.opts.api.run(this.run?.id ?? this.opts.ref, this.opts.cwd));
        } catch (err) {
          this.fetchError = errorText(err);
          this.emit();
        }
      } while (this.again && !this.disposed);
    })().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** An event from `GET /v1/events`: refetch (throttled) if it is about this run. */
  applyEvent(ev: OmniEvent): void {
    if (this.disposed || !this.concerns(ev)) return;
    this.schedule();
  }

  /** Follow the event stream (reopened after `retryMs` when it ends or breaks) until `signal` aborts. */
  async follow(signal: AbortSignal): Promise<void> {
    const retryMs = this.opts.retryMs ?? 1000;
    const every = this.opts.refreshMs ?? 0;
    const timer = every > 0 ? setInterval(() => void this.refresh(), every) : undefined;
    timer?.unref?.();
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    while (!signal.aborted && !this.disposed) {
      this.conn = { state: 'connecting', ...(this.conn.error ? { error: this.conn.error } : {}) };
      this.emit();
      try {
        const it = this.opts.api.events(signal)[Symbol.asyncIterator]();
        const first = it.next();
        // No backlog on the stream: what happened while away is in the run, read after subscribing.
        await this.refresh();
        if (this.conn.state === 'connecting' && !signal.aborted) {
          this.conn = { state: 'live' };
          this.emit();
        }
        for (let r = await first; !r.done; r = await it.next()) this.applyEvent(r.value);
        this.conn = { state: 'ended' };
      } catch (err) {
        this.conn = isAbort(err) || signal.aborted ? { state: 'ended' } : { state: 'error', error: errorText(err) };
      }
      if (this.disposed || signal.aborted) break;
      this.emit();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, retryMs);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
    clearInterval(timer);
  }

  // --- selection and pager ---

  select(delta: number): void {
    const rows = this.snapshot.rows;
    if (!rows.length) return;
    const i = Math.min(rows.length - 1, Math.max(0, this.selectedIndex + delta));
    this.selectedId = rows[i]?.id;
    this.emit();
  }

  selectedRow(): BoardRow | undefined {
    const s = this.snapshot;
    return s.selected >= 0 ? s.rows[s.selected] : undefined;
  }

  /** The selected task's worker session, to attach to; undefined (and a message) if it has none. */
  workerToAttach(): { id: string; name: string } | undefined {
    const t = this.selectedTask();
    if (!t) return undefined;
    if (!t.session) {
      this.setMessage(`${t.id} has no worker yet (${t.status.replace('_', ' ')})`, 'error');
      return undefined;
    }
    return { id: t.session.session, name: t.session.name };
  }

  scroll(delta: number, pageLines = 10): void {
    const p = this.pager;
    if (!p) return;
    const top = Math.max(0, Math.min(p.top + delta, Math.max(0, p.lines.length - pageLines)));
    if (top === p.top) return;
    this.pager = { ...p, top };
    this.emit();
  }

  closePager(): void {
    if (!this.pager) return;
    this.pager = undefined;
    this.emit();
  }

  setMessage(text: string | undefined, kind: StatusMessage['kind'] = 'info'): void {
    this.message = text === undefined ? undefined : { text, kind };
    this.emit();
  }

  // --- actions ---

  /** `d`: the selected task's diff in the pager. */
  async showDiff(): Promise<void> {
    const run = this.run;
    const t = this.selectedTask();
    if (!run || !t) return;
    if (!t.session) return this.setMessage(`${t.id} has no worker yet: no diff`, 'error');
    if (!this.opts.diff) return this.setMessage('this board cannot read diffs', 'error');
    this.setBusy(`reading the diff of ${t.id}`);
    try {
      const text = await this.opts.diff(run, t.id);
      this.pager = { title: `diff of ${t.id} (${t.session.branch} against ${run.base})`, lines: text.trim() ? text.replace(/\t/g, '    ').split('\n') : ['(no changes)'], top: 0 };
      this.busy = undefined;
      this.emit();
    } catch (err) {
      this.busy = undefined;
      this.setMessage(`could not read the diff of ${t.id}: ${errorText(err)}`, 'error');
    }
  }

  /** `r`: the selected task's last review in the pager. */
  showReview(): void {
    const t = this.selectedTask();
    if (!t) return;
    const last = t.reviews[t.reviews.length - 1];
    if (!last) return this.setMessage(`${t.id} has no review yet`, 'error');
    this.pager = { title: `review of ${t.id}: ${t.title}`, lines: reviewLines(last), top: 0 };
    this.emit();
  }

  /** `y`: approve the selected task for merge. */
  async approve(note?: string): Promise<boolean> {
    const row = this.selectedRow();
    if (!row) return false;
    if (!row.canApprove) {
      this.setMessage(`${row.id} is ${row.status.replace('_', ' ')}: nothing to approve`, 'error');
      return false;
    }
    return this.act(`approving ${row.id}`, () => this.opts.api.approve(this.runId(), row.id, note), `approved ${row.id} for merge (m merges)`);
  }

  /** `s`: send the selected task back to its worker with a note. */
  async sendBack(note: string): Promise<boolean> {
    const row = this.selectedRow();
    const n = note.trim();
    if (!row || !n) return false;
    if (!row.canSendBack) {
      this.setMessage(`${row.id} is ${row.status.replace('_', ' ')}${row.worker ? '' : ' and has no worker'}: nothing to send back to`, 'error');
      return false;
    }
    return this.act(`sending ${row.id} back`, () => this.opts.api.sendBack(this.runId(), row.id, n), `sent ${row.id} back to ${row.worker}`);
  }

  /** `m` (after the board's y/N): merge the approved tasks, as `omni polly merge RUN --yes`. */
  async merge(): Promise<boolean> {
    const run = this.run;
    if (!run) return false;
    if (!this.snapshot.rows.some((r) => r.canMerge)) {
      this.setMessage('no approved task to merge (y approves the selected one)', 'error');
      return false;
    }
    if (!this.opts.merge) {
      this.setMessage('this board cannot merge', 'error');
      return false;
    }
    this.setBusy('merging');
    try {
      const msg = await this.opts.merge(run, (line) => this.setBusy(line));
      this.busy = undefined;
      this.setMessage(msg.text, msg.kind);
      await this.refresh();
      return msg.kind !== 'error';
    } catch (err) {
      this.busy = undefined;
      this.setMessage(`merge failed: ${errorText(err)}`, 'error');
      return false;
    }
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    this.stopEmitting();
  }

  // --- internals ---

  private selectedTask() {
    const id = this.selectedRow()?.id;
    return this.run?.tasks?.find((t) => t.id === id);
  }

  private async act(what: string, fn: () => Promise<unknown>, done: string): Promise<boolean> {
    this.setBusy(what);
    try {
      await fn();
      this.busy = undefined;
      this.setMessage(done, 'info');
      await this.refresh();
      return true;
    } catch (err) {
      this.busy = undefined;
      this.setMessage(`${what}: ${errorText(err)}`, 'error');
      return false;
    }
  }

  private setBusy(what: string | undefined): void {
    this.busy = what;
    this.emit();
  }

  /** Sessions of the run: the lead, every worker, every reviewer seen in a review. */
  private concerns(ev: OmniEvent): boolean {
    const run = this.run;
    if (ev.type.startsWith('polly.')) {
      const r = (ev.data as { run?: string }).run;
      return !run || r === run.id || (this.opts.ref === 'latest' && ev.type === 'polly.plan');
    }
    if (!run || !SESSION_EVENTS.has(ev.type)) return false;
    if (ev.session === run.lead.session) return true;
    return (run.tasks ?? []).some((t) => t.session?.session === ev.session || t.reviews.some((r) => r.reviewer.session === ev.session));
  }

  /** Refetch now if the last one was long enough ago, else once at the end of the window. */
  private schedule(): void {
    if (this.pending) return;
    const wait = Math.max(0, this.lastFetch + (this.opts.throttleMs ?? 250) - Date.now());
    this.pending = setTimeout(() => {
      this.pending = undefined;
      if (!this.disposed) void this.refresh();
    }, wait);
  }

  protected build(): BoardSnapshot {
    const rows = this.run ? boardRows(this.run) : [];
    let i = this.selectedId ? rows.findIndex((r) => r.id === this.selectedId) : -1;
    if (i < 0) i = rows.length ? Math.min(Math.max(this.selectedIndex, 0), rows.length - 1) : -1;
    this.selectedIndex = i;
    this.selectedId = i >= 0 ? rows[i]?.id : undefined;
    const snap: BoardSnapshot = { rows, selected: i, loaded: this.loaded, events: this.conn.state };
    if (this.run) {
      snap.run = this.run;
      snap.header = boardHeader(this.run);
    }
    if (this.selectedId) snap.selectedId = this.selectedId;
    const error = this.conn.error ?? this.fetchError;
    if (error) snap.error = error;
    if (this.message) snap.message = this.message;
    if (this.busy) snap.busy = this.busy;
    if (this.pager) snap.pager = this.pager;
    return snap;
  }
}

/** The run once, with its rows: `omni polly board --json` and the plain table. */
export async function loadBoard(api: Pick<PollyApi, 'run'>, ref: string, cwd?: string): Promise<{ run: PollyRun; rows: BoardRow[] }> {
  const run = await api.run(ref, cwd);
  return { run, rows: boardRows(run) };
}
