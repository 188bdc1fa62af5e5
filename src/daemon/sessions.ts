import fs from 'node:fs';
import path from 'node:path';
import type { EventDataMap, NewEvent, OmniEvent, SessionStatus, UsageData } from '../core/events.js';
import { OmniError } from '../core/errors.js';
import { ensurePrivateDir, shQuote, writeFileAtomic } from '../core/fsutil.js';
import { isLive, newSessionId, validateSessionName, type SessionCost, type SessionRecord } from '../core/session.js';
import { ReportedCost } from '../cost/reported.js';
import type { HarnessRegistry } from '../harnesses/registry.js';
import type { BinaryInfo, DecisionRequest, FlushHint, HarnessAdapter, HookReply, Ingestor, LaunchSpec, SignalContext, Verdict } from '../harnesses/types.js';
import type { SandboxLayer } from '../sandbox/settings.js';
import type { SandboxSettings } from '../sandbox/types.js';
import type { EventBus } from './bus.js';
import { EventLog } from './eventlog.js';
import { IngestKeys } from './ingest-keys.js';
import type { PolicyRefInput, PolicySnapshot } from './policy-service.js';
import type { SessionStore } from './store.js';

/** The slice of the tmux layer the session manager needs (real tmux in tests, always). */
export interface TmuxPort {
  newSession(opts: { name: string; windowName?: string; cwd: string; command: string; width?: number; height?: number }): Promise<{ paneId: string; panePid: number }>;
  listPanes(): Promise<Array<{ sessionName: string; paneId: string; panePid: number; dead: boolean; deadStatus: number | null }>>;
  capturePane(target: string): Promise<string>;
  pasteText(target: string, text: string, opts?: { bracketed?: boolean }): Promise<void>;
  sendKeys(target: string, keys: string[]): Promise<void>;
  killSession(name: string): Promise<void>;
  /** Serialize writes to one pane: two sends must never interleave their keystrokes. */
  withPaneLock<T>(target: string, fn: () => Promise<T>): Promise<T>;
}

export interface CreateSessionRequest {
  harness: string;
  name?: string;
  cwd: string;
  model?: string;
  env: Record<string, string>;
  args?: string[];
  /** Override the harness binary (path or name on the caller's PATH). */
  binary?: string;
  /** Session-level policies (files read by the caller, or names). */
  policies?: PolicyRefInput[];
  /** Typed into the session once it is ready (an agent spec's prompt). */
  prompt?: string;
  agent?: { name: string; file: string };
  /**
   * Sandbox layers over config.yaml's (an agent spec's `sandbox:`/`secrets:`, then the
   * `--sandbox`/`--no-sandbox` flag as `{enabled}`); the daemon merges them.
   */
  sandbox?: SandboxLayer[];
}

/** The sandbox side the session manager needs (SandboxService in the daemon). */
export interface SandboxPort {
  /** config.yaml's layer merged with the request's layers. */
  settings(layers: SandboxLayer[]): SandboxSettings;
  /** The settings a sandboxed session started with (for resume). */
  savedSettings(id: string): SandboxSettings | undefined;
  /** Check, resolve secrets, start the proxy; `env` is what the adapter prepares against, `started` is logged. */
  begin(rec: SessionRecord, adapter: HarnessAdapter, env: Record<string, string>, settings: SandboxSettings): Promise<{ env: Record<string, string>; started: NewEvent; script(spec: LaunchSpec): string }>;
  adopt(rec: SessionRecord): Promise<void>;
  close(id: string, opts?: { forget?: boolean }): Promise<void>;
  /** Why a sandboxed harness ended at once, when the sandbox is the likely cause. */
  whyExited?(rec: SessionRecord, code: number | null): string | undefined;
}

/** The policy side the session manager needs (PolicyService in the daemon). */
export interface PolicyPort {
  prepare(inputs: PolicyRefInput[], cwd: string): PolicySnapshot[];
  attach(rec: SessionRecord, snapshots: PolicySnapshot[]): void;
  decide(rec: SessionRecord, req: DecisionRequest, signal?: AbortSignal): Promise<Verdict>;
}

export interface SessionManagerDeps {
  store: SessionStore;
  bus: EventBus;
  tmux: TmuxPort;
  harnesses: HarnessRegistry;
  /** Opens / closes the per-session agent socket; returns its path. */
  agentSocket: { open(id: string): Promise<string>; close(id: string): Promise<void> };
  /** Absolute paths the hook command needs. */
  hookClient: { script: string; node: string; omniJs: string; omniHome: string };
  /** Set after construction (the policy service needs the manager too). */
  policies?: PolicyPort;
  sandbox?: SandboxPort;
  now?: () => Date;
  log?: (msg: string) => void;
  /** Adds computedCostUsd (or unpriced) to every usage event before it is logged (src/cost/meter.ts). */
  priceUsage?: (rec: SessionRecord, usage: UsageData, at: Date) => UsageData;
  /** Told of every usage event once it is logged and the session's totals are updated (budgets). */
  onUsage?: (rec: SessionRecord, usage: UsageData) => void;
}

interface Live {
  log: EventLog;
  keys: IngestKeys;
  /** The harness's own cumulative cost reports (`cost.reported`), folded. */
  reported: ReportedCost;
  ingestor?: Ingestor;
  ingesting?: Promise<void>;
}

/** Owns every session: creation in tmux, signals from hooks, status, events, re-adoption. */
export class SessionManager {
  private live = new Map<string, Live>();
  /** Set at shutdown: an in-flight poll must not read a torn-down tmux as sessions exiting. */
  private closed = false;
  /** Sessions being launched, and when each launch finished: a pane list read before that
   * moment cannot know the new pane, so it must not declare the session gone. */
  private launching = new Set<string>();
  private launchedAt = new Map<string, number>();
  private readonly now: () => Date;
  private readonly log: (msg: string) => void;

  constructor(private readonly deps: SessionManagerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.log = deps.log ?? (() => {});
  }

  list(): SessionRecord[] {
    return this.deps.store.all();
  }

  usePolicies(p: PolicyPort): void {
    this.deps.policies = p;
  }

  useSandbox(s: SandboxPort): void {
    this.deps.sandbox = s;
  }

  /** Resolve an id or a name. Names prefer a live session, then the newest. */
  resolve(ref: string): SessionRecord {
    const byId = this.deps.store.get(ref);
    if (byId) return byId;
    const named = this.deps.store.all().filter((s) => s.name === ref);
    const pick = named.filter((s) => isLive(s.status)).pop() ?? named.pop();
    if (pick) return pick;
    const known = this.deps.store.all().filter((s) => isLive(s.status)).map((s) => `${s.name} (${s.id})`);
    throw new OmniError(
      `no session "${ref}"; ${known.length ? `live sessions: ${known.join(', ')}` : 'no live sessions (omni ls --all shows ended ones)'}`,
      'unknown_session',
      undefined,
      { known },
    );
  }

  async create(req: CreateSessionRequest): Promise<SessionRecord> {
    const adapter = this.deps.harnesses.get(req.harness);
    const binary = await requireBinary(adapter, req.env, req.binary);
    let st: fs.Stats;
    try {
      st = fs.statSync(req.cwd);
    } catch {
      throw new OmniError(`working directory ${req.cwd} does not exist`, 'bad_request');
    }
    if (!st.isDirectory()) throw new OmniError(`working directory ${req.cwd} is not a directory`, 'bad_request');
    const name = req.name ?? this.defaultName(adapter.name);
    const bad = validateSessionName(name);
    if (bad) throw new OmniError(`invalid session name "${name}": ${bad}`, 'invalid_name');
    const clash = this.deps.store.all().find((s) => s.name === name && isLive(s.status));
    if (clash) throw new OmniError(`a live session is already named "${name}" (${clash.id}); pick another --name`, 'name_taken');

    // Policies and sandbox settings are checked before anything starts: a bad file means no session.
    const policySnapshots = this.deps.policies?.prepare(req.policies ?? [], path.resolve(req.cwd)) ?? [];
    const sandbox = this.deps.sandbox?.settings(req.sandbox ?? []);

    let id = newSessionId();
    while (this.deps.store.get(id)) id = newSessionId();
    const sessionDir = this.deps.store.sessionDir(id);
    ensurePrivateDir(sessionDir);
    const ts = this.now().toISOString();
    const rec: SessionRecord = {
      id,
      name,
      harness: adapter.name,
      model: req.model,
      cwd: path.resolve(req.cwd),
      status: 'starting',
      createdAt: ts,
      updatedAt: ts,
      tmuxSession: id,
      command: [],
      ...(req.agent ? { agent: req.agent } : {}),
      ...(sandbox?.enabled ? { sandbox: true } : {}),
      lastSeq: 0,
    };
    this.deps.store.put(rec);
    this.deps.policies?.attach(rec, policySnapshots);
    await this.launch(rec, adapter, binary, req.env, req.args ?? [], undefined, sandbox?.enabled ? sandbox : undefined);
    if (req.prompt) this.sendWhenReady(rec, req.prompt);
    this.deps.store.put(rec);
    return rec;
  }

  /** The first prompt goes in once the harness is ready; a failure is logged as an event. */
  private sendWhenReady(rec: SessionRecord, text: string): void {
    void this.waitForStatus(rec, 'idle', 120_000)
      .then(() => this.send(rec, text))
      .catch((err: Error) => this.emit(rec, { type: 'error', data: { message: `could not deliver the agent's prompt: ${err.message}`, code: 'prompt_not_delivered' } }));
  }

  /** Restart an exited session on the harness's own resume, by the id it reported. */
  async resume(rec: SessionRecord, env: Record<string, string>, args: string[] = []): Promise<SessionRecord> {
    if (isLive(rec.status)) throw new OmniError(`session ${rec.name} (${rec.id}) is ${rec.status}, not ended; attach to it instead`, 'conflict');
    const adapter = this.deps.harnesses.get(rec.harness);
    if (!adapter.capabilities.resume) throw new OmniError(`${adapter.displayName} sessions cannot be resumed`, 'conflict');
    if (!rec.harnessSessionId) {
      throw new OmniError(`session ${rec.name} never reported its ${adapter.displayName} session id, so there is nothing to resume`, 'conflict');
    }
    const binary = await requireBinary(adapter, env);
    const clash = this.deps.store.all().find((s) => s.name === rec.name && s.id !== rec.id && isLive(s.status));
    if (clash) throw new OmniError(`a live session is already named "${rec.name}" (${clash.id})`, 'name_taken');
    let sandbox: SandboxSettings | undefined;
    if (rec.sandbox) {
      // A sandboxed session resumes in the sandbox it started with, never outside it.
      sandbox = this.deps.sandbox?.savedSettings(rec.id);
      if (!sandbox) throw new OmniError(`session ${rec.name} ran sandboxed but its sandbox settings are gone; start a new session`, 'conflict');
    }
    await this.deps.tmux.killSession(rec.tmuxSession).catch(() => {}); // a dead pane left by remain-on-exit
    rec.exitCode = undefined;
    rec.exitedAt = undefined;
    rec.paneId = undefined;
    rec.status = 'starting';
    rec.statusReason = undefined;
    rec.statusSource = 'daemon';
    this.deps.store.put(rec);
    await this.launch(rec, adapter, binary, env, args, { harnessSessionId: rec.harnessSessionId }, sandbox);
    return rec;
  }

  /** Prepare the harness (settings, hooks), write the launcher, and start it in tmux. */
  private async launch(
    rec: SessionRecord,
    adapter: HarnessAdapter,
    binary: BinaryInfo,
    env: Record<string, string>,
    extraArgs: string[],
    resume?: { harnessSessionId: string },
    sandbox?: SandboxSettings,
  ): Promise<void> {
    const id = rec.id;
    // Before the first await: from here until tmux has the pane, polls leave this session be.
    this.launching.add(id);
    try {
      await this.launchNow(rec, adapter, binary, env, extraArgs, resume, sandbox);
    } finally {
      this.launching.delete(id);
      this.launchedAt.set(id, Date.now());
    }
  }

  private async launchNow(
    rec: SessionRecord,
    adapter: HarnessAdapter,
    binary: BinaryInfo,
    env: Record<string, string>,
    extraArgs: string[],
    resume?: { harnessSessionId: string },
    sandbox?: SandboxSettings,
  ): Promise<void> {
    const id = rec.id;
    const sessionDir = this.deps.store.sessionDir(id);
    const sock = await this.deps.agentSocket.open(id);
    const hc = this.deps.hookClient;
    let sandboxed: Awaited<ReturnType<SandboxPort['begin']>> | undefined;
    if (sandbox) {
      if (!this.deps.sandbox) throw new OmniError('this daemon cannot sandbox sessions', 'sandbox_unavailable');
      try {
        sandboxed = await this.deps.sandbox.begin(rec, adapter, env, sandbox);
      } catch (err) {
        await this.deps.sandbox.close(id, { forget: true });
        await this.deps.agentSocket.close(id);
        this.setStatus(rec, 'failed', (err as Error).message, 'daemon');
        throw err;
      }
    }
    const spec = await adapter.prepareLaunch({
      session: rec,
      sessionDir,
      env: sandboxed?.env ?? env,
      ...(sandboxed ? { sandboxed: true } : {}),
      binary,
      extraArgs,
      resume,
      agentSocket: sock,
      hookClient: { node: hc.node, omniJs: hc.omniJs, omniHome: hc.omniHome },
      hooks: {
        command: (event, mode) =>
          `OMNI_HOME=${shQuote(hc.omniHome)} sh ${shQuote(hc.script)} ${shQuote(sock)} ${shQuote(event)} ${mode} ${shQuote(hc.node)} ${shQuote(hc.omniJs)}`,
        // bin/omni-statusline, the hook client's sibling.
        statusLine: (userCommand) =>
          `OMNI_HOME=${shQuote(hc.omniHome)} sh ${shQuote(path.join(path.dirname(hc.script), 'omni-statusline'))} ${shQuote(sock)} ${shQuote(hc.node)} ${shQuote(hc.omniJs)}${userCommand ? ` ${shQuote(userCommand)}` : ''}`,
      },
    });
    rec.command = [spec.command, ...spec.args];
    this.deps.store.put(rec);
    const live = this.openLive(rec);
    if (resume) this.append(rec, live, { type: 'session.resumed', data: { harnessSessionId: resume.harnessSessionId, command: rec.command } });
    else this.append(rec, live, { type: 'session.started', data: { harness: adapter.name, name: rec.name, cwd: rec.cwd, model: rec.model, command: rec.command } });
    if (sandboxed) this.append(rec, live, sandboxed.started);
    for (const note of spec.notes) this.log(`${id}: ${note}`);

    const launcher = path.join(sessionDir, 'launch.sh');
    writeFileAtomic(launcher, sandboxed ? sandboxed.script(spec) : launchScript({ ...filterEnv(env), ...spec.env }, spec.command, spec.args), 0o700);
    try {
      const pane = await this.deps.tmux.newSession({ name: id, windowName: rec.name, cwd: rec.cwd, command: `exec sh ${shQuote(launcher)}` });
      rec.paneId = pane.paneId;
      rec.panePid = pane.panePid;
    } catch (err) {
      try {
        fs.unlinkSync(launcher);
      } catch {
        /* the launcher removes itself once run */
      }
      this.setStatus(rec, 'failed', `tmux could not start the session: ${(err as Error).message}`, 'tmux');
      await this.deps.sandbox?.close(id, { forget: true });
      await this.deps.agentSocket.close(id);
      throw err;
    }
    this.deps.store.put(rec);
  }

  /** Rebuild state after a (re)start: reopen logs, re-adopt live panes, close out dead ones. */
  async adoptAll(): Promise<{ adopted: string[]; exited: string[] }> {
    const panes = await this.deps.tmux.listPanes();
    const bySession = new Map(panes.map((p) => [p.sessionName, p]));
    const adopted: string[] = [];
    const exited: string[] = [];
    for (const rec of this.deps.store.all()) {
      const live = this.openLive(rec);
      if (!isLive(rec.status)) continue;
      const pane = bySession.get(rec.tmuxSession);
      if (pane && !pane.dead) {
        await this.deps.agentSocket.open(rec.id);
        if (rec.sandbox) await this.deps.sandbox?.adopt(rec);
        rec.paneId = pane.paneId;
        rec.panePid = pane.panePid;
        this.append(rec, live, { type: 'session.adopted', data: { pane: pane.paneId } });
        this.startIngest(rec);
        adopted.push(rec.id);
      } else {
        await this.markExited(rec, pane ? pane.deadStatus : null, pane ? 'the harness exited while the daemon was down' : 'the tmux session is gone');
        exited.push(rec.id);
      }
    }
    return { adopted, exited };
  }

  /** One supervision tick: exits from tmux, first-run screens from the pane. */
  async poll(): Promise<void> {
    if (this.closed) return;
    const liveRecs = this.deps.store.all().filter((s) => isLive(s.status));
    if (liveRecs.length === 0) return;
    const listedAt = Date.now();
    const panes = new Map((await this.deps.tmux.listPanes()).map((p) => [p.sessionName, p]));
    for (const rec of liveRecs) {
      if (this.closed) return;
      if (this.launching.has(rec.id) || (this.launchedAt.get(rec.id) ?? 0) >= listedAt) continue;
      const pane = panes.get(rec.tmuxSession);
      if (!pane || pane.dead) {
        await this.markExited(rec, pane?.deadStatus ?? null, pane ? undefined : 'the tmux session is gone');
        continue;
      }
      const l = this.live.get(rec.id);
      if (l?.ingestor && !l.ingesting) void this.runIngest(rec.id);
      // Screens are looked for only while no structured signal has spoken (or the last
      // word came from the pane itself): hooks win over screen scraping.
      if (rec.status === 'starting' || rec.statusSource === 'pane') {
        const adapter = this.deps.harnesses.get(rec.harness);
        let text = '';
        try {
          text = await this.deps.tmux.capturePane(target(rec));
        } catch {
          continue;
        }
        // A hook may have spoken while the pane was read: structured signals win.
        if (rec.status !== 'starting' && rec.statusSource !== 'pane') continue;
        const screen = adapter.detectScreen(text);
        if (screen) this.setStatus(rec, screen.status, screen.reason, 'pane');
        else if (rec.statusSource === 'pane') this.setStatus(rec, 'starting', 'first-run screen passed', 'pane');
      }
    }
  }

  async handleHook(sessionId: string, event: string, payload: Record<string, unknown>, signal?: AbortSignal): Promise<HookReply> {
    const rec = this.deps.store.get(sessionId);
    if (!rec) return {};
    const adapter = this.deps.harnesses.get(rec.harness);
    return adapter.handleHook(event, payload, this.signalContext(rec, signal));
  }

  /** Paste text into the pane the way a person types it, submit, and check it was taken. */
  async send(rec: SessionRecord, text: string, opts: { submit?: boolean; verifyMs?: number; force?: boolean } = {}): Promise<{ accepted: boolean; verified: boolean; queued: boolean }> {
    if (!isLive(rec.status)) throw new OmniError(`session ${rec.name} (${rec.id}) has ${rec.status}; nothing to send to`, 'conflict');
    // Typed text would answer the harness's own dialog or first-run screen (a permission prompt
    // takes "1" or Enter). An omni approval is different: the harness is busy and queues input.
    if (rec.status === 'waiting' && rec.statusSource !== 'daemon' && !opts.force) {
      throw new OmniError(
        `session ${rec.name} is waiting on its own screen (${rec.statusReason ?? 'a dialog'}); typing would answer it. Attach to answer it, or send with --force`,
        'conflict',
      );
    }
    const adapter = this.deps.harnesses.get(rec.harness);
    const submit = opts.submit ?? true;
    const wasBusy = rec.status === 'running' || rec.status === 'waiting';
    const before = this.live.get(rec.id)?.log.lastSeq ?? rec.lastSeq;
    const accepted = this.waitForEvent(rec.id, (ev) => ev.seq > before && ev.type === 'message.user', opts.verifyMs ?? 10_000);
    const pane = target(rec);
    await this.deps.tmux.withPaneLock(pane, async () => {
      if (!wasBusy) await this.untilInputReady(pane, adapter.inputReady, 5_000);
      await this.deps.tmux.pasteText(pane, text, { bracketed: true });
      if (!submit) return;
      await sleep(adapter.submitDelayMs);
      await this.deps.tmux.sendKeys(pane, ['Enter']);
    });
    if (!submit) return { accepted: true, verified: false, queued: false };
    if (wasBusy) {
      // A busy harness queues typed input and reports it only when it takes it up.
      void accepted.catch(() => {});
      return { accepted: true, verified: false, queued: true };
    }
    try {
      await accepted;
      return { accepted: true, verified: true, queued: false };
    } catch {
      // One more Enter covers a paste that arrived while the input box was still settling.
      const retry = this.waitForEvent(rec.id, (ev) => ev.seq > before && ev.type === 'message.user', 5_000);
      await this.deps.tmux.withPaneLock(pane, () => this.deps.tmux.sendKeys(pane, ['Enter']));
      try {
        await retry;
        return { accepted: true, verified: true, queued: false };
      } catch {
        throw new OmniError(
          `${adapter.displayName} did not take the input in session ${rec.name} (status ${rec.status}${rec.statusReason ? `: ${rec.statusReason}` : ''}); attach to see the pane`,
          'not_accepted',
        );
      }
    }
  }

  /** Poll the pane until the harness draws its input box (or give up and type anyway). */
  private async untilInputReady(pane: string, ready: (text: string) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        if (ready(await this.deps.tmux.capturePane(pane))) return;
      } catch {
        return;
      }
      await sleep(50);
    }
  }

  async interrupt(rec: SessionRecord): Promise<{ idle: boolean }> {
    if (!isLive(rec.status)) throw new OmniError(`session ${rec.name} (${rec.id}) has ${rec.status}; nothing to interrupt`, 'conflict');
    const adapter = this.deps.harnesses.get(rec.harness);
    const pane = target(rec);
    const wasRunning = rec.status === 'running' || rec.status === 'waiting';
    await this.deps.tmux.withPaneLock(pane, () => this.deps.tmux.sendKeys(pane, adapter.interruptKeys));
    if (!wasRunning || !adapter.idleAfterInterrupt) return { idle: rec.status === 'idle' };
    // Watch the pane for the harness to settle, since no hook reports an interrupted turn.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      await sleep(150);
      if (rec.status === 'idle' || !isLive(rec.status)) return { idle: rec.status === 'idle' };
      let text = '';
      try {
        text = await this.deps.tmux.capturePane(pane);
      } catch {
        break;
      }
      if (adapter.idleAfterInterrupt(text)) {
        if (adapter.clearInputKeys?.length) await this.deps.tmux.withPaneLock(pane, () => this.deps.tmux.sendKeys(pane, adapter.clearInputKeys!));
        this.setStatus(rec, 'idle', 'interrupted', 'daemon');
        return { idle: true };
      }
    }
    return { idle: false };
  }

  async stop(rec: SessionRecord): Promise<SessionRecord> {
    if (!isLive(rec.status)) return rec;
    await this.deps.tmux.killSession(rec.tmuxSession).catch(() => {});
    await this.markExited(rec, null, 'stopped by omni stop');
    return rec;
  }

  /** Resolve when the session reaches `status` (now or later); reject if it ends first. */
  waitForStatus(rec: SessionRecord, status: SessionStatus, timeoutMs: number): Promise<SessionRecord> {
    const reached = (r: SessionRecord) => r.status === status;
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

  eventsFile(id: string): string {
    return this.deps.store.eventsFile(id);
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    for (const [id, l] of this.live) {
      l.log.close();
      l.keys.close();
      this.live.delete(id);
    }
    this.deps.store.flush();
  }

  // ---- internals ----

  private defaultName(harness: string): string {
    const taken = new Set(this.deps.store.all().map((s) => s.name));
    for (let n = 1; ; n++) if (!taken.has(`${harness}-${n}`)) return `${harness}-${n}`;
  }

  private openLive(rec: SessionRecord): Live {
    let l = this.live.get(rec.id);
    if (l) return l;
    ensurePrivateDir(this.deps.store.sessionDir(rec.id));
    // Totals are derived from the log (the index may lag it after a crash); the log is the truth.
    // reportedUsd too: Pi's per-message figures plus the last of Claude's running totals. They
    // are rebuilt in the same pass that reopens the log.
    rec.cost = undefined;
    const reported = new ReportedCost();
    const log = EventLog.open(this.deps.store.eventsFile(rec.id), rec.id, (ev) => {
      if (ev.type === 'usage') addUsage(rec, ev.data as UsageData);
      else if (ev.type === 'cost.reported') addReported(rec, reported.add(ev.data as EventDataMap['cost.reported']));
    });
    if (log.tornBytes) this.log(`${rec.id}: cut a torn last line (${log.tornBytes} bytes) from the event log`);
    rec.lastSeq = log.lastSeq;
    const keys = IngestKeys.open(path.join(this.deps.store.sessionDir(rec.id), 'ingested.keys'));
    l = { log, keys, reported };
    this.live.set(rec.id, l);
    return l;
  }

  private append(rec: SessionRecord, live: Live, ev: NewEvent): OmniEvent {
    const now = this.now();
    if (ev.type === 'usage' && this.deps.priceUsage) ev = { type: 'usage', data: this.deps.priceUsage(rec, ev.data, now) };
    const full = live.log.append(ev, now);
    if (ev.type === 'usage') addUsage(rec, ev.data);
    else if (ev.type === 'cost.reported') addReported(rec, live.reported.add(ev.data));
    rec.lastSeq = full.seq;
    rec.updatedAt = full.ts;
    this.deps.store.touch(rec);
    this.deps.bus.publish(full);
    if (ev.type === 'usage') {
      try {
        this.deps.onUsage?.(rec, ev.data);
      } catch (err) {
        this.log(`${rec.id}: onUsage: ${(err as Error).message}`);
      }
    }
    return full;
  }

  emit(rec: SessionRecord, ev: NewEvent): void {
    const live = this.openLive(rec);
    // A harness repeats its running total on every status update; only a change is news.
    if (ev.type === 'cost.reported' && !live.reported.changes(ev.data)) return;
    this.append(rec, live, ev);
  }

  setStatus(rec: SessionRecord, status: SessionStatus, reason: string | undefined, source: 'hook' | 'pane' | 'tmux' | 'daemon'): void {
    if (!isLive(rec.status) && isLive(status)) return; // an ended session stays ended
    if (rec.status === status && rec.statusReason === reason) return;
    const previous = rec.status;
    rec.status = status;
    rec.statusReason = reason;
    rec.statusSource = source;
    this.deps.store.put(rec);
    this.emit(rec, { type: 'session.status', data: { status, previous, ...(reason ? { reason } : {}), source } });
  }

  private async markExited(rec: SessionRecord, code: number | null, reason?: string): Promise<void> {
    if (!isLive(rec.status)) return;
    reason ??= this.deps.sandbox?.whyExited?.(rec, code);
    const l = this.live.get(rec.id);
    if (l?.ingestor) await this.runIngest(rec.id, true).catch(() => {});
    rec.exitCode = code;
    rec.exitedAt = this.now().toISOString();
    this.setStatus(rec, 'exited', reason, 'tmux');
    this.emit(rec, { type: 'session.exited', data: { code, ...(reason ? { reason } : {}) } });
    this.deps.store.put(rec);
    await this.deps.sandbox?.close(rec.id, { forget: true });
    await this.deps.agentSocket.close(rec.id);
  }

  private signalContext(rec: SessionRecord, signal?: AbortSignal): SignalContext {
    return {
      session: rec,
      emit: (ev) => this.emit(rec, ev),
      setStatus: (status, reason, source) => this.setStatus(rec, status, reason, source ?? 'hook'),
      update: (patch) => {
        const changed = Object.entries(patch).some(([k, v]) => v !== undefined && (rec as unknown as Record<string, unknown>)[k] !== v);
        if (!changed) return;
        Object.assign(rec, patch);
        this.deps.store.put(rec);
      },
      decide: async (req) => (this.deps.policies ? this.deps.policies.decide(rec, req, signal) : { verdict: 'none' }),
      ingest: () => this.startIngest(rec),
      flushIngest: (hint) => this.runIngest(rec.id, true, hint),
    };
  }

  private startIngest(rec: SessionRecord): void {
    const l = this.openLive(rec);
    if (!l.ingestor) {
      const adapter = this.deps.harnesses.get(rec.harness);
      l.ingestor = adapter.createIngestor(this.signalContext(rec), l.keys);
    }
    void this.runIngest(rec.id);
  }

  /** Ingestion runs one pass at a time per session; `flush` also emits held-back records. */
  private async runIngest(id: string, flush = false, hint?: FlushHint): Promise<void> {
    const l = this.live.get(id);
    if (!l?.ingestor) return;
    while (l.ingesting) await l.ingesting.catch(() => {});
    const ing = l.ingestor;
    l.ingesting = (async () => {
      await ing.poll();
      if (flush) await ing.flush(hint);
    })().catch((err) => this.log(`${id}: ingest failed: ${(err as Error).message}`));
    try {
      await l.ingesting;
    } finally {
      l.ingesting = undefined;
    }
  }

  private waitForEvent(session: string, pred: (ev: OmniEvent) => boolean, timeoutMs: number): Promise<OmniEvent> {
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

/** The harness binary on the caller's PATH (or `--bin`), or an error that says how to install it. */
async function requireBinary(adapter: HarnessAdapter, env: Record<string, string>, override?: string): Promise<BinaryInfo> {
  const binary = await adapter.findBinary({ ...env, ...(override ? { OMNI_BINARY_OVERRIDE: override } : {}) });
  if (binary) return binary;
  if (override) throw new OmniError(`--bin ${override}: no such executable (${adapter.displayName} binary)`, 'harness_missing', undefined, { harness: adapter.name });
  throw new OmniError(`${adapter.displayName} is not installed (no "${adapter.binaryName}" on PATH): ${adapter.installHint}`, 'harness_missing', undefined, { harness: adapter.name });
}

/** A pane id (%N) is an exact tmux target; the session name is the fallback. */
const target = (rec: SessionRecord) => rec.paneId ?? `=${rec.tmuxSession}:`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Variables that describe the caller's terminal or tmux must not leak into omni's pane. */
const TERMINAL_VARS = new Set(['TMUX', 'TMUX_PANE', 'TERM', 'TERM_PROGRAM', 'TERM_PROGRAM_VERSION', 'COLUMNS', 'LINES', 'WINDOWID', 'STY']);

export function filterEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (TERMINAL_VARS.has(k) || k.startsWith('OMNI_INTERNAL_') || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * The pane runs this script: it deletes itself (the environment may hold secrets and should not
 * stay on disk), then replaces itself with the harness under exactly the caller's environment
 * (`env -i`), keeping only the pane's TERM. Not TMUX/TMUX_PANE: with them a plain `tmux …` in
 * the agent reaches omni's own tmux server, whose commands run outside the pane's process tree.
 */
export function launchScript(env: Record<string, string>, command: string, args: string[]): string {
  const assigns = Object.entries(env)
    .map(([k, v]) => `  ${k}=${shQuote(v)} \\`)
    .join('\n');
  return [
    '#!/bin/sh',
    '# Generated by omni for one session; removes itself before starting the harness.',
    'rm -f "$0"',
    'exec env -i TERM="$TERM" \\',
    ...(assigns ? [assigns] : []),
    `  ${[command, ...args].map(shQuote).join(' ')}`,
    '',
  ].join('\n');
}
