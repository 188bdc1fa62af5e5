import { ExternalStore } from '../external-store.js';
import type { OmniEvent, SessionStatus } from '../../core/events.js';
import { isLive } from '../../core/session.js';
import type { DebbyExchange, DebbyRun } from '../../debby/types.js';
import type { ConnectionState, StatusMessage } from '../approvals/store.js';
import { errorText, isAbort } from '../dashboard/model.js';
import { agreementOf, columnsOf, currentQuestion, type DebbyColumn, type LiveAnswer } from './columns.js';
import { parseInput } from './input.js';

/**
 * The Debby view's state and actions (docs/DEBBY.md "The view"), plain TypeScript: the Ink view
 * reads it with `useSyncExternalStore(subscribe, getSnapshot)` and maps keys to its methods; a
 * test drives the same code through an injected source.
 *
 * The run comes from `GET /v1/debby/:run`, fetched again when an exchange ends (`debby.exchange`
 * done) and, throttled, on a head's usage (the costs). What a head is writing right now comes
 * from `GET /v1/events`: its `message.assistant` / `text.delta` events after the exchange's
 * `debby.exchange` started (and its `message.user`). The stream has no backlog, so a view opened
 * mid-exchange reads each head's last events from its log first.
 */

export interface DebbySource {
  /** `GET /v1/debby/:run` (`latest` or an id), with costs. */
  run(ref: string): Promise<DebbyRun>;
  /** `GET /v1/events`: every session's new events. */
  events(signal: AbortSignal): AsyncIterable<OmniEvent>;
  /** The status of these sessions (the heads'), from `GET /v1/sessions?all=1`. */
  heads?(ids: readonly string[]): Promise<Array<{ id: string; status: SessionStatus }>>;
  /** A head's last `last` events from its log, oldest first (`GET /v1/sessions/:id/events?last=N`). */
  headEvents?(session: string, last: number): Promise<OmniEvent[]>;
  /** `POST /v1/debby/:run/ask {text, timeoutS?}`. */
  ask(run: string, text: string, opts?: { timeoutS?: number }): Promise<{ run?: DebbyRun; exchange?: DebbyExchange }>;
  /** `POST /v1/debby/:run/debate {rounds?, synth?, timeoutS?}`. */
  debate(run: string, rounds?: number, opts?: { synth?: string; timeoutS?: number }): Promise<{ run?: DebbyRun; exchanges?: DebbyExchange[] }>;
}

export interface DebbyStoreOptions {
  source: DebbySource;
  /** The run: an id or `latest`. */
  run: string;
  /** Least time between two refetches of the run on usage (ms; ≤ 4/s by default). */
  refetchMs?: number;
  /** Before a broken event stream is opened again (ms). */
  retryMs?: number;
  /** Events read back from each head's log when the view opens mid-exchange. */
  backfill?: number;
  /** How often the run is read while the daemon still calls it busy and no head is answering (ms). */
  busyPollMs?: number;
}

export interface DebbySnapshot {
  /** The run's id once loaded (the ref given until then). */
  run: string;
  loaded: boolean;
  status?: DebbyRun['status'];
  synth?: string;
  question?: string;
  columns: DebbyColumn[];
  agreement: string;
  totalUsd?: number;
  /** What is under way (`asking…`, `debating…`): input is refused meanwhile. */
  busy?: string;
  connection: ConnectionState;
  error?: string;
  message?: StatusMessage;
}

export class DebbyStore extends ExternalStore<DebbySnapshot> {
  private run: DebbyRun | undefined;
  private ref: string;
  private readonly live = new Map<string, LiveAnswer>();
  private readonly status = new Map<string, SessionStatus>();
  /** The last seq applied per head: events read back from a log and the live ones never count twice. */
  private readonly lastSeq = new Map<string, number>();
  /** Events of the live stream held while the heads' logs are read back. */
  private held: OmniEvent[] | undefined;
  private busy: string | undefined;
  private message: StatusMessage | undefined;
  private conn: { state: ConnectionState; error?: string } = { state: 'connecting' };
  private loadError: string | undefined;
  private fetching: Promise<void> | undefined;
  private fetchAgain = false;
  private lastFetch = 0;
  private fetchTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly opts: DebbyStoreOptions) {
    super();
    this.ref = opts.run;
    this.snapshot = this.build();
  }

  /** The run as last fetched. */
  current(): DebbyRun | undefined {
    return this.run;
  }

  // --- actions ---

  /** A line from the input: a question, `/debate [N]`, `/quit` (resolves to 'quit': the view leaves). */
  async submit(line: string): Promise<'quit' | undefined> {
    const p = parseInput(line);
    if (p.kind === 'quit') return 'quit';
    if (p.kind === 'error') this.setMessage(p.message, 'error');
    else if (p.kind === 'ask') await this.ask(p.text);
    else if (p.kind === 'debate') await this.debate(p.rounds);
    return undefined;
  }

  /** Why input is refused now (an exchange is under way), or undefined. */
  refusal(): string | undefined {
    const s = this.snapshot;
    if (!this.run) return s.error ? `no run: ${s.error}` : 'the run is still loading';
    if (this.run.status === 'ended') return 'the run has ended (its heads are gone)';
    if (s.busy) return `wait: ${s.busy.replace(/…$/, '')} (one exchange at a time)`;
    return undefined;
  }

  /** Ask every head; false when refused (busy, no run) or the daemon said no. */
  ask(text: string): Promise<boolean> {
    const t = text.trim();
    if (!t) return Promise.resolve(false);
    return this.exchange('asking', (id) => this.opts.source.ask(id, t));
  }

  /** Start a debate of `rounds` rounds (the daemon's default: 1). */
  debate(rounds?: number): Promise<boolean> {
    return this.exchange('debating', (id) => this.opts.source.debate(id, rounds));
  }

  setMessage(text: string | undefined, kind: StatusMessage['kind'] = 'info'): void {
    this.message = text === undefined ? undefined : { text, kind };
    this.emit();
  }

  // --- feeding ---

  /** Fetch the run (and the heads' status); resolves when it is in. Coalesces calls made meanwhile. */
  async refresh(): Promise<void> {
    if (this.fetching) {
      this.fetchAgain = true;
      return this.fetching;
    }
    this.fetching = (async () => {
      do {
        this.fetchAgain = false;
        this.lastFetch = Date.now();
        await this.fetchOnce();
      } while (this.fetchAgain && !this.disposed);
    })().finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  /** Apply one event of `GET /v1/events`. */
  applyEvent(ev: OmniEvent): void {
    if (this.disposed) return;
    const wasLive = this.conn.state === 'live';
    this.conn = { state: 'live' };
    if (this.held) {
      this.held.push(ev);
      return wasLive ? undefined : this.emit();
    }
    if (!this.headOf(ev.session) || ev.seq <= (this.lastSeq.get(ev.session) ?? 0)) return wasLive ? undefined : this.emit();
    this.lastSeq.set(ev.session, ev.seq);
    if (this.applyHead(ev) || !wasLive) this.emit();
  }

  /** Follow `GET /v1/events` (reopened after `retryMs` when it ends or breaks) until `signal` aborts. */
  async follow(signal: AbortSignal): Promise<void> {
    const retryMs = this.opts.retryMs ?? 1000;
    while (!signal.aborted && !this.disposed) {
      this.conn = { state: 'connecting', ...(this.conn.error ? { error: this.conn.error } : {}) };
      this.emit();
      try {
        const it = this.opts.source.events(signal)[Symbol.asyncIterator]();
        const first = it.next(); // subscribed before the run is read: nothing falls between
        void this.catchUp();
        for (let r = await first; !r.done; r = await it.next()) {
          if (this.disposed) return;
          this.applyEvent(r.value);
        }
        this.conn = { state: 'ended' };
      } catch (err) {
        this.conn = isAbort(err) || signal.aborted ? { state: 'ended' } : { state: 'error', error: errorText(err) };
      }
      if (this.disposed || signal.aborted) return;
      this.emit();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, retryMs);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  }

  dispose(): void {
    if (this.fetchTimer) clearTimeout(this.fetchTimer);
    this.stopEmitting();
  }

  // --- internals ---

  private async exchange(what: 'asking' | 'debating', call: (id: string) => Promise<{ run?: DebbyRun }>): Promise<boolean> {
    const no = this.refusal();
    if (no) {
      this.setMessage(no, 'error');
      return false;
    }
    const id = this.run!.id;
    this.busy = `${what}…`;
    this.message = undefined;
    this.emit();
    try {
      const r = await call(id);
      if (r.run && r.run.id === id) this.setRun(r.run);
      this.message = undefined; // what was refused meanwhile is moot now
      return true;
    } catch (err) {
      this.message = { text: `${what === 'asking' ? 'ask' : 'debate'} failed: ${errorText(err)}`, kind: 'error' };
      return false;
    } finally {
      this.busy = undefined;
      this.emit();
      // The reply's run has no costs filled in; the read has.
      void this.refresh();
    }
  }

  private headOf(session: string) {
    return this.run?.heads.find((h) => h.session === session);
  }

  /** One event of a head's log; true when it changed what is shown. */
  private applyHead(ev: OmniEvent): boolean {
    const s = ev.session;
    const stream = this.live.get(s);
    switch (ev.type) {
      case 'debby.exchange': {
        const d = (ev as OmniEvent<'debby.exchange'>).data;
        if (d.run !== this.run?.id) return false;
        if (d.state === 'started') {
          this.live.set(s, { n: d.n, kind: d.kind, ...(d.round !== undefined ? { round: d.round } : {}), text: '', partial: '', open: true });
          // The daemon stores an exchange as it starts: its question, for the line above the columns.
          if (!this.run.exchanges.some((x) => x.n === d.n)) this.refetchSoon();
        } else {
          if (stream && stream.n === d.n) stream.open = false;
          void this.refresh();
        }
        return true;
      }
      case 'message.user':
        // The exchange's answer is what follows its prompt.
        if (!stream?.open) return false;
        stream.text = '';
        stream.partial = '';
        return true;
      case 'message.assistant': {
        if (!stream?.open) return false;
        const text = (ev as OmniEvent<'message.assistant'>).data.text;
        stream.text = stream.text ? `${stream.text}\n\n${text}` : text;
        stream.partial = '';
        return true;
      }
      case 'text.delta':
        if (!stream?.open) return false;
        stream.partial += (ev as OmniEvent<'text.delta'>).data.text;
        return true;
      case 'session.status': {
        const st = (ev as OmniEvent<'session.status'>).data.status;
        this.status.set(s, st);
        if (!isLive(st)) void this.refresh();
        return true;
      }
      case 'session.exited':
        if (this.status.get(s) !== 'failed') this.status.set(s, 'exited');
        void this.refresh();
        return true;
      case 'usage':
        this.refetchSoon();
        return false;
      default:
        if ((ev.type as string) === 'cost.reported') this.refetchSoon();
        return false;
    }
  }

  /** A refetch for the costs, at most one per `refetchMs` (or per `gapMs`). */
  private refetchSoon(gapMs = this.opts.refetchMs ?? 250): void {
    if (this.fetchTimer || this.disposed) return;
    const wait = Math.max(0, this.lastFetch + gapMs - Date.now());
    this.fetchTimer = setTimeout(() => {
      this.fetchTimer = undefined;
      void this.refresh();
    }, wait);
    this.fetchTimer.unref?.();
  }

  /** On (re)connect: the run, then what the heads wrote of an exchange under way before we listened. */
  private async catchUp(): Promise<void> {
    this.held = [];
    try {
      await this.refresh();
      // The stream is open and the run is in: live, even before the first event comes.
      if (!this.loadError && this.conn.state === 'connecting') this.conn = { state: 'live' };
      const run = this.run;
      const read = this.opts.source.headEvents;
      const lastX = run?.exchanges[run.exchanges.length - 1];
      if (run && read && (run.busy || (lastX && !lastX.endedAt))) {
        const logs = await Promise.all(run.heads.map((h) => read.call(this.opts.source, h.session, this.opts.backfill ?? 400).catch(() => [] as OmniEvent[])));
        for (const ev of logs.flat()) this.applyOne(ev);
      }
    } finally {
      const held = this.held ?? [];
      this.held = undefined;
      for (const ev of held) this.applyOne(ev);
      this.emit();
    }
  }

  private applyOne(ev: OmniEvent): void {
    if (!this.headOf(ev.session) || ev.seq <= (this.lastSeq.get(ev.session) ?? 0)) return;
    this.lastSeq.set(ev.session, ev.seq);
    this.applyHead(ev);
  }

  private async fetchOnce(): Promise<void> {
    const src = this.opts.source;
    try {
      const run = await src.run(this.ref);
      if (this.disposed) return;
      this.ref = run.id; // `latest` is resolved once: the view stays on the run it opened
      this.loadError = undefined;
      this.setRun(run);
      // Every head is done but the daemon has not closed the exchange yet (it stores it after the
      // heads' `done`): no event will say when it has, so look again shortly.
      if (run.busy && ![...this.live.values()].some((l) => l.open)) this.refetchSoon(this.opts.busyPollMs ?? 500);
    } catch (err) {
      this.loadError = errorText(err);
      this.emit();
      return;
    }
    if (!src.heads) return;
    try {
      for (const h of await src.heads(this.run!.heads.map((x) => x.session))) this.status.set(h.id, h.status);
      this.emit();
    } catch {
      // No status shown is the honest fallback; the run itself is in.
    }
  }

  private setRun(run: DebbyRun): void {
    this.run = run;
    // A stream whose exchange the daemon has ended is over, even if its `done` event was missed.
    for (const l of this.live.values()) if (l.open && run.exchanges.some((x) => x.n === l.n && x.endedAt)) l.open = false;
    this.emit();
  }

  protected build(): DebbySnapshot {
    const run = this.run;
    const columns = run ? columnsOf(run, this.live, this.status) : [];
    const streaming = columns.some((c) => c.streaming);
    const error = this.conn.error ?? this.loadError;
    const question = run ? currentQuestion(run) : undefined;
    return {
      run: run?.id ?? this.ref,
      loaded: Boolean(run),
      ...(run ? { status: run.status, synth: run.synth } : {}),
      ...(question !== undefined ? { question } : {}),
      columns,
      agreement: run ? agreementOf(run, this.live) : '',
      ...(run?.costUsd !== undefined ? { totalUsd: run.costUsd } : {}),
      ...(this.busy ? { busy: this.busy } : run?.busy || streaming ? { busy: 'the heads are answering…' } : {}),
      connection: this.conn.state,
      ...(error ? { error } : {}),
      ...(this.message ? { message: this.message } : {}),
    };
  }
}
