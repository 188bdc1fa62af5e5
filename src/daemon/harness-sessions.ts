import type { NewEvent } from '../core/events.js';
import { isLive, type SessionRecord } from '../core/session.js';
import type { HarnessRegistry } from '../harnesses/registry.js';
import type { FlushHint, HarnessSession, HookReply, Ingestor, SignalContext, Verdict } from '../harnesses/types.js';
import { PathWatches, type WatchPath } from './file-watch.js';
import type { PaneIO } from './pane-io.js';
import type { PolicyPort } from './ports.js';
import type { SessionLog } from './session-log.js';
import type { SessionStore } from './store.js';

export interface HarnessSessionsDeps {
  store: SessionStore;
  harnesses: HarnessRegistry;
  events: SessionLog;
  /** Required: every gate a hook raises is answered by the policy engine, never by wiring order. */
  policies: Pick<PolicyPort, 'decide'>;
  /** Clears a blocked prompt the harness put back in its input box (PaneIO). */
  panes: Pick<PaneIO, 'clearBlockedPrompt'>;
  /** File watches for the harness logs (default: fs.watch, file-watch.ts). */
  watch?: WatchPath;
  log?: (msg: string) => void;
}

/** One session's adapter instance and the reader of its harness log. */
interface Open {
  session: HarnessSession;
  ingestor?: Ingestor;
  ingesting?: Promise<void>;
  /** The ingestor's files: a write there runs a pass (no timer while nothing is written). */
  watches?: PathWatches;
  /** A change arrived during a pass: read again after it. */
  again?: boolean;
}

/**
 * The daemon's side of each session's adapter instance: opened on the first hook or ingest,
 * closed when the session ends. Routes hooks to it with a SignalContext, and runs ingestion
 * one pass at a time per session.
 */
export class HarnessSessions {
  private open = new Map<string, Open>();
  private readonly log: (msg: string) => void;

  constructor(private readonly deps: HarnessSessionsDeps) {
    this.log = deps.log ?? (() => {});
  }

  /** A hook from the session's agent socket. An ended session's instance is let go afterwards. */
  async handleHook(sessionId: string, event: string, payload: Record<string, unknown>, signal?: AbortSignal): Promise<HookReply> {
    const rec = this.deps.store.get(sessionId);
    if (!rec) return {};
    try {
      return await this.opened(rec).session.handleHook(event, payload, this.signalContext(rec, signal, true));
    } finally {
      // A late hook of an ended session (SessionEnd after the pane died) must not keep it open.
      if (!isLive(rec.status)) {
        await this.close(rec.id);
        this.deps.events.close(rec.id);
      }
    }
  }

  /** Start (or restart after adoption) reading the harness's own log. */
  startIngest(rec: SessionRecord): void {
    const o = this.opened(rec);
    o.ingestor ??= o.session.createIngestor(this.signalContext(rec), this.deps.events.keys(rec));
    void this.runIngest(rec.id);
  }

  /** The slow fallback poll (and a change of a watched file): read what is new, unless a pass is already running. */
  pollIngest(id: string): void {
    const o = this.open.get(id);
    if (!o?.ingestor) return;
    if (o.ingesting) o.again = true;
    else void this.runIngest(id);
  }

  /** Ingestion runs one pass at a time per session; `flush` also emits held-back records. */
  async runIngest(id: string, flush = false, hint?: FlushHint): Promise<void> {
    const o = this.open.get(id);
    if (!o?.ingestor) return;
    while (o.ingesting) await o.ingesting.catch(() => {});
    const ing = o.ingestor;
    o.ingesting = (async () => {
      await ing.poll();
      if (flush) await ing.flush(hint);
    })().catch((err) => this.log(`${id}: ingest failed: ${(err as Error).message}`));
    try {
      await o.ingesting;
    } finally {
      o.ingesting = undefined;
    }
    // What to watch can change with every pass (a new transcript, a sub-agent's directory).
    if (this.open.get(id) === o && ing.watchPaths) {
      o.watches ??= new PathWatches(() => this.pollIngest(id), this.deps.watch);
      o.watches.sync(ing.watchPaths());
    }
    if (o.again && this.open.get(id) === o && !o.ingesting) {
      o.again = false;
      void this.runIngest(id);
    }
  }

  /** The session ended: let its pass finish, then close its adapter instance. */
  async close(id: string): Promise<void> {
    const o = this.open.get(id);
    if (!o) return;
    this.open.delete(id);
    o.watches?.close();
    await o.ingesting?.catch(() => {});
    o.session.close();
  }

  closeAll(): void {
    for (const o of this.open.values()) {
      o.watches?.close();
      o.session.close();
    }
    this.open.clear();
  }

  /**
   * A prompt never ran: remember why until the session runs again (`omni send` and `omni wait`
   * report it), and clear it from the input box if the harness puts it back. Before the
   * adapter sets the session idle, so whoever waits on that idle finds both done.
   */
  private promptBlocked(rec: SessionRecord, v: Verdict): void {
    rec.blocked = { ...(v.policy ? { policy: v.policy } : {}), reason: v.reason ?? 'blocked by policy' };
    this.deps.store.put(rec);
    void this.deps.panes.clearBlockedPrompt(rec);
  }

  private opened(rec: SessionRecord): Open {
    let o = this.open.get(rec.id);
    if (!o) this.open.set(rec.id, (o = { session: this.deps.harnesses.get(rec.harness).open(rec) }));
    return o;
  }

  /**
   * A hook's tool call or result is logged once per call id. A daemon killed while a gate hook
   * waits (an ask, or just mid-answer) has logged the call; the hook client then sends the same
   * payload again to the new daemon (docs/PROTOCOL.md, Retries), which must not log it twice.
   * The keys persist beside the log (ingested.keys), so they outlive the daemon. The event is
   * written before its key: a kill between the two can repeat it, never lose it.
   */
  private emitOnce(rec: SessionRecord, ev: NewEvent): void {
    const callId = ev.type === 'tool.call' || ev.type === 'tool.result' ? (ev.data as { callId?: unknown } | undefined)?.callId : undefined;
    if (typeof callId !== 'string' || !callId) return this.deps.events.emit(rec, ev);
    const keys = this.deps.events.keys(rec);
    const key = `hook:${ev.type}:${callId}`;
    if (keys.has(key)) return;
    this.deps.events.emit(rec, ev);
    keys.add(key);
  }

  private signalContext(rec: SessionRecord, signal?: AbortSignal, fromHook = false): SignalContext {
    const { events, store } = this.deps;
    return {
      session: rec,
      emit: (ev) => (fromHook ? this.emitOnce(rec, ev) : events.emit(rec, ev)),
      setStatus: (status, reason, source) => events.setStatus(rec, status, reason, source ?? 'hook'),
      update: (patch) => {
        const changed = Object.entries(patch).some(([k, v]) => v !== undefined && (rec as unknown as Record<string, unknown>)[k] !== v);
        if (!changed) return;
        Object.assign(rec, patch);
        store.put(rec);
      },
      decide: async (req) => {
        const v = await this.deps.policies.decide(rec, req, signal);
        if (req.phase === 'prompt' && (v.verdict === 'deny' || v.verdict === 'ask')) this.promptBlocked(rec, v);
        return v;
      },
      ingest: () => this.startIngest(rec),
      flushIngest: (hint) => this.runIngest(rec.id, true, hint),
    };
  }
}
