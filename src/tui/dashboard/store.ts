import type { Approval } from '../../approvals/types.js';
import type { OmniEvent } from '../../core/events.js';
import { isLive } from '../../core/session.js';
import { runActions, type DashboardActions, type Preview } from './actions.js';
import { DashboardFeed } from './feed.js';
import { errorText, type DashboardRow, type DashboardSnapshot, type DashboardSource } from './model.js';

export type * from './model.js';

/**
 * The dashboard's state and everything it can do: DashboardFeed (feed.ts) follows the daemon;
 * this adds the actions (send, interrupt, stop, resume, rename, new session) over the selected
 * session or the marked ones (a broadcast), and the live preview of the selected session's
 * screen. The Ink view only maps keys to these methods, so a test (or another front end) drives
 * the same code.
 */
export class DashboardStore extends DashboardFeed {
  /** Where an action goes: the marked sessions, else the selected one. */
  targets(): DashboardRow[] {
    const s = this.snapshot;
    if (s.marked.length) return s.rows.filter((r) => s.marked.includes(r.id));
    const row = this.selectedRow();
    return row ? [row] : [];
  }

  /** Type a prompt into the targets (a broadcast when several are marked); resolves to the sessions that took it. */
  async sendPrompt(text: string): Promise<string[]> {
    const t = text.trim();
    if (!t) return [];
    return this.act('send', this.targets(), (a, r) => a.send(r.id, t).then((x) => (x.queued ? 'queued' : undefined)), 'sent to');
  }

  interrupt(): Promise<string[]> {
    return this.act('interrupt', this.targets(), (a, r) => a.interrupt(r.id), 'interrupted');
  }

  /** Stop the targets; the marks go with them. */
  async stop(): Promise<string[]> {
    const done = await this.act('stop', this.targets(), (a, r) => a.stop(r.id), 'stopped');
    for (const id of done) this.marked.delete(id);
    return done;
  }

  /** Resume the selected session (an ended one: see toggleEnded). */
  async resume(): Promise<string[]> {
    const row = this.selectedRow();
    if (row && isLive(row.status)) {
      this.setMessage(`${row.name} is ${row.status}; only an ended session can be resumed`, 'error');
      return [];
    }
    const done = await this.act('resume', row ? [row] : [], (a, r) => a.resume(r.id), 'resumed');
    if (done.length) await this.refresh();
    return done;
  }

  async rename(name: string): Promise<string[]> {
    const n = name.trim();
    const row = this.selectedRow();
    if (!n || !row || n === row.name) return [];
    const done = await this.act('rename', [row], (a, r) => a.rename(r.id, n), `renamed to ${n}:`);
    if (done.length) await this.refresh();
    return done;
  }

  /** Start a session (detached) and select it. */
  async create(harness: string, name?: string): Promise<string | undefined> {
    const a = this.opts.actions;
    if (!a) return undefined;
    this.setBusy(`starting ${harness}`);
    try {
      const rec = await a.create(harness, name?.trim() || undefined);
      await this.refresh();
      this.selectSession(rec.id);
      this.message = { text: `started ${rec.name} (${rec.id}); enter attaches`, kind: 'info' };
      return rec.id;
    } catch (err) {
      this.message = { text: `could not start ${harness}: ${errorText(err)}`, kind: 'error' };
      return undefined;
    } finally {
      this.setBusy(undefined);
    }
  }

  /** The harness names for the picker (once). */
  async loadHarnesses(): Promise<readonly string[]> {
    if (!this.harnesses && this.opts.actions) {
      try {
        this.harnesses = await this.opts.actions.harnesses();
      } catch (err) {
        this.setMessage(`could not list harnesses: ${errorText(err)}`, 'error');
        return [];
      }
      this.emit();
    }
    return this.harnesses ?? [];
  }

  /** Read the selected session's screen now; the snapshot changes only when the text does. */
  async refreshPreview(): Promise<void> {
    const screen = this.opts.actions?.screen;
    const row = this.selectedRow();
    if (!screen || !row) return this.setPreview(undefined);
    if (!isLive(row.status)) return this.setPreview({ id: row.id, text: '', note: `${row.name} has ${row.status}` });
    try {
      this.setPreview({ id: row.id, text: await screen.call(this.opts.actions, row.id) });
    } catch (err) {
      if (this.selectedId === row.id) this.setPreview({ id: row.id, text: '', note: errorText(err) });
    }
  }

  // --- internals ---

  private previewNudge: (() => void) | undefined;

  /** Follow the daemon, and the selected session's screen every `previewMs`. */
  override async follow(signal: AbortSignal): Promise<void> {
    await Promise.all([super.follow(signal), this.followPreview(signal)]);
  }

  private async act(name: string, rows: DashboardRow[], fn: (a: DashboardActions, r: DashboardRow) => Promise<unknown>, verb: string): Promise<string[]> {
    const a = this.opts.actions;
    if (!a || !rows.length) {
      this.setMessage(rows.length ? 'this dashboard cannot act on sessions' : 'no session selected', 'error');
      return [];
    }
    this.setBusy(`${name} ${rows.map((r) => r.name).join(', ')}`);
    const r = await runActions(rows, (row) => fn(a, row), verb);
    this.busy = undefined;
    this.setMessage(r.message.text, r.message.kind);
    this.previewWake?.();
    return r.done;
  }

  private setBusy(what: string | undefined): void {
    this.busy = what;
    this.emit();
  }

  private setPreview(p: Preview | undefined): void {
    const cur = this.preview;
    if (cur === p || (cur && p && cur.id === p.id && cur.text === p.text && cur.note === p.note)) return;
    this.preview = p;
    this.emit();
  }

  /**
   * The selected session's screen, re-read every `previewMs` while it changes. A screen that
   * does not change is read less and less often (up to PREVIEW_MAX_MS, PREVIEW_BUSY_MAX_MS while
   * the session works: an idle agent costs the daemon next to nothing); a change, a new selection (previewWake: now) or an event of the selected
   * session (previewNudge: within `previewMs`) brings it back.
   */
  private async followPreview(signal: AbortSignal): Promise<void> {
    const base = this.opts.previewMs ?? 0;
    if (!(base > 0) || !this.opts.actions) return;
    let delay = base;
    while (!signal.aborted && !this.disposed) {
      const before = this.preview;
      await this.refreshPreview();
      // A session at work changes its screen between events (streamed text); an idle one does
      // not without an event, which nudges the preview back.
      const status = this.selectedRow()?.status;
      const cap = status === 'running' || status === 'starting' ? PREVIEW_BUSY_MAX_MS : PREVIEW_MAX_MS;
      delay = this.preview !== before ? base : Math.min(cap, Math.round(delay * 1.5));
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          this.previewWake = undefined;
          this.previewNudge = undefined;
          resolve();
        };
        let t = setTimeout(done, delay);
        this.previewWake = () => {
          delay = base;
          done();
        };
        this.previewNudge = () => {
          if (delay <= base) return;
          delay = base;
          clearTimeout(t);
          t = setTimeout(done, base);
        };
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  private readonly hostErrors = new Map<string, string>();

  /** A host of a view across hosts went down (`error`) or answers again (undefined). */
  setHostError(host: string, error: string | undefined): void {
    if (this.hostErrors.get(host) === error) return;
    if (error === undefined) this.hostErrors.delete(host);
    else this.hostErrors.set(host, error);
    this.emit();
  }

  protected override build(): DashboardSnapshot {
    const snap = super.build();
    // build() runs from the feed's constructor, before this class's fields exist.
    const errs = this.hostErrors ? [...this.hostErrors] : [];
    return errs.length ? { ...snap, hostErrors: errs.map(([host, error]) => ({ host, error })) } : snap;
  }

  /** An event of the selected session: its screen likely changed too. */
  override applyEvent(ev: OmniEvent): void {
    super.applyEvent(ev);
    if (ev.session === this.selectedId) this.previewNudge?.();
  }
}

/** The slowest the preview of a screen that does not change is re-read (at work, otherwise). */
const PREVIEW_BUSY_MAX_MS = 2000;
const PREVIEW_MAX_MS = 120_000;

/** Everything once, for the non-TTY snapshot: the list, the pending asks and the budgets. Throws if the daemon does. */
export async function loadDashboard(source: DashboardSource): Promise<DashboardSnapshot> {
  const store = new DashboardStore({ source });
  const [list, approvals] = await Promise.all([source.sessions(), source.pendingApprovals?.() ?? Promise.resolve([] as Approval[])]);
  store.setSessions(list);
  store.applyApproval({ type: 'snapshot', approvals });
  await store.loadBudgets();
  const snap = store.getSnapshot();
  store.dispose();
  return snap;
}

