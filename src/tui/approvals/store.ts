import { ExternalStore } from '../external-store.js';
import type { Approval, ApprovalScope, ApprovalStreamItem } from '../../approvals/types.js';
import { askWhere, compareApprovals, describeResolution } from './format.js';

/**
 * The state of "pending approvals across sessions", fed by the daemon's approvals stream and
 * answered through injected actions. Plain TypeScript (no React): the Ink view, the popup and
 * tests drive the same object; React reads it with `useSyncExternalStore(subscribe, getSnapshot)`.
 */

/** How answers reach the daemon; wired to OmniClient with via 'tui' or 'popup'. */
export interface ApprovalActions {
  approve(id: string, scope: ApprovalScope): Promise<unknown>;
  deny(id: string, reason?: string): Promise<unknown>;
}

export type ConnectionState = 'connecting' | 'live' | 'ended' | 'error';

export interface StatusMessage {
  text: string;
  kind: 'info' | 'error';
}

export interface ApprovalsSnapshot {
  /** Pending approvals, oldest first. */
  readonly pending: readonly Approval[];
  /** Index into `pending`; -1 when it is empty. */
  readonly selected: number;
  readonly selectedId: string | undefined;
  /** The last thing that happened (our answer, someone else's, or a failed action). */
  readonly message: StatusMessage | undefined;
  /** Approvals whose answer is on its way to the daemon. */
  readonly answering: readonly string[];
  /** True once the stream's first snapshot arrived. */
  readonly loaded: boolean;
  readonly connection: ConnectionState;
  readonly connectionError: string | undefined;
  /** Hosts whose approvals cannot be read just now (views across hosts), with why. */
  readonly hostErrors: ReadonlyArray<{ host: string; error: string }>;
}

export interface ApprovalsStoreOptions {
  actions: ApprovalActions;
  /** Keep only these approvals (the popup follows one id). */
  filter?: (a: Approval) => boolean;
  /** Clear a status message after this long; 0 or undefined keeps it until the next one. */
  messageTtlMs?: number;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const errorCode = (err: unknown): string | undefined => {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
};

export class ApprovalsStore extends ExternalStore<ApprovalsSnapshot> {
  private pending: Approval[] = [];
  private selectedId: string | undefined;
  private selectedIndex = -1;
  private message: StatusMessage | undefined;
  private messageTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly answering = new Set<string>();
  /** Ids we answered (or are answering): their `resolved` items need no "someone else" message. */
  private readonly mine = new Set<string>();
  private loaded = false;
  private connection: ConnectionState = 'connecting';
  private connectionError: string | undefined;
  private readonly hostErrors = new Map<string, string>();

  constructor(private readonly opts: ApprovalsStoreOptions) {
    super();
    this.snapshot = this.build();
  }

  // --- feeding ---

  /** Apply one stream item (exposed for tests and for callers that have their own loop). */
  apply(item: ApprovalStreamItem): void {
    switch (item.type) {
      case 'snapshot': {
        this.pending = item.approvals.filter((a) => this.keep(a)).sort(compareApprovals);
        this.loaded = true;
        this.connection = 'live';
        this.connectionError = undefined;
        break;
      }
      case 'requested': {
        this.connection = 'live';
        if (!this.keep(item.approval)) break;
        this.pending = this.pending.filter((a) => a.id !== item.approval.id);
        this.pending.push(item.approval);
        this.pending.sort(compareApprovals);
        break;
      }
      case 'resolved': {
        this.connection = 'live';
        const id = item.approval.id;
        if (!this.pending.some((a) => a.id === id)) return this.emit();
        this.pending = this.pending.filter((a) => a.id !== id);
        if (!this.mine.has(id)) this.setMessage(describeResolution(item.approval), 'info', false);
        break;
      }
      default:
        return;
    }
    this.emit();
  }

  /** Read a stream until it ends. Never throws: a broken stream becomes `connection: 'error'`. */
  async consume(source: AsyncIterable<ApprovalStreamItem>): Promise<void> {
    this.connection = 'connecting';
    this.emit();
    try {
      for await (const item of source) {
        if (this.disposed) return;
        this.apply(item);
      }
      this.connection = 'ended';
    } catch (err) {
      if ((err as { name?: string } | null)?.name === 'AbortError') this.connection = 'ended';
      else {
        this.connection = 'error';
        this.connectionError = errorText(err);
      }
    }
    if (!this.disposed) this.emit();
  }

  /** Follow the stream, reopening it after `retryMs` when it ends or breaks, until `signal` aborts. */
  async follow(open: (signal: AbortSignal) => AsyncIterable<ApprovalStreamItem>, signal: AbortSignal, retryMs = 1000): Promise<void> {
    while (!signal.aborted && !this.disposed) {
      let source: AsyncIterable<ApprovalStreamItem>;
      try {
        source = open(signal);
      } catch (err) {
        this.connection = 'error';
        this.connectionError = errorText(err);
        this.emit();
        source = (async function* () {})();
      }
      await this.consume(source);
      if (signal.aborted || this.disposed) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, retryMs);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  }

  // --- actions ---

  select(delta: number): void {
    if (!this.pending.length) return;
    const i = Math.min(this.pending.length - 1, Math.max(0, this.selectedIndex + delta));
    this.selectedId = this.pending[i]?.id;
    this.emit();
  }

  approveSelected(scope: ApprovalScope): Promise<void> {
    return this.selectedId ? this.approve(this.selectedId, scope) : Promise.resolve();
  }

  denySelected(reason?: string): Promise<void> {
    return this.selectedId ? this.deny(this.selectedId, reason) : Promise.resolve();
  }

  approve(id: string, scope: ApprovalScope): Promise<void> {
    const how = scope === 'session' ? 'for the rest of the session' : 'once';
    return this.answer(id, () => this.opts.actions.approve(id, scope), `approved ${this.label(id)} ${how}`);
  }

  deny(id: string, reason?: string): Promise<void> {
    const r = reason?.trim() || undefined;
    return this.answer(id, () => this.opts.actions.deny(id, r), `denied ${this.label(id)}${r ? `: ${r}` : ''}`);
  }

  /** A host of a view across hosts went down (`error`) or answers again (undefined). */
  setHostError(host: string, error: string | undefined): void {
    if (this.hostErrors.get(host) === error) return;
    if (error === undefined) this.hostErrors.delete(host);
    else this.hostErrors.set(host, error);
    this.emit();
  }

  clearMessage(): void {
    if (!this.message) return;
    this.setMessage(undefined);
  }

  dispose(): void {
    if (this.messageTimer) clearTimeout(this.messageTimer);
    this.stopEmitting();
  }

  // --- internals ---

  private async answer(id: string, call: () => Promise<unknown>, done: string): Promise<void> {
    if (this.answering.has(id)) return;
    this.answering.add(id);
    this.mine.add(id);
    this.emit();
    try {
      await call();
      this.pending = this.pending.filter((a) => a.id !== id);
      this.setMessage(done, 'info', false);
    } catch (err) {
      const code = errorCode(err);
      // Answered elsewhere first (409) or gone (404): it is no longer pending either way.
      if (code === 'conflict' || code === 'not_found') this.pending = this.pending.filter((a) => a.id !== id);
      else this.mine.delete(id);
      this.setMessage(errorText(err), 'error', false);
    } finally {
      this.answering.delete(id);
      this.emit();
    }
  }

  private label(id: string): string {
    const a = this.pending.find((p) => p.id === id);
    return a ? `${id} (${askWhere(a)})` : id;
  }

  private keep(a: Approval): boolean {
    return a.status === 'pending' && (this.opts.filter ? this.opts.filter(a) : true);
  }

  private setMessage(text: string | undefined, kind: StatusMessage['kind'] = 'info', emit = true): void {
    if (this.messageTimer) clearTimeout(this.messageTimer);
    this.messageTimer = undefined;
    const msg = text === undefined ? undefined : { text, kind };
    this.message = msg;
    const ttl = this.opts.messageTtlMs;
    if (msg && ttl && ttl > 0) {
      this.messageTimer = setTimeout(() => {
        if (this.message === msg) this.setMessage(undefined);
      }, ttl);
      this.messageTimer.unref?.();
    }
    if (emit) this.emit();
  }

  /** Keep the selection on the same approval; if it went away, stay at the same row (clamped). */
  private reselect(): void {
    let i = this.selectedId ? this.pending.findIndex((a) => a.id === this.selectedId) : -1;
    if (i < 0) i = this.pending.length ? Math.min(Math.max(this.selectedIndex, 0), this.pending.length - 1) : -1;
    this.selectedIndex = i;
    this.selectedId = i >= 0 ? this.pending[i]?.id : undefined;
  }

  protected build(): ApprovalsSnapshot {
    this.reselect();
    return {
      pending: [...this.pending],
      selected: this.selectedIndex,
      selectedId: this.selectedId,
      message: this.message,
      answering: [...this.answering],
      loaded: this.loaded,
      connection: this.connection,
      connectionError: this.connectionError,
      hostErrors: [...this.hostErrors].map(([host, error]) => ({ host, error })),
    };
  }
}
