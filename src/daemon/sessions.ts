import fs from 'node:fs';
import path from 'node:path';
import type { NewEvent, SessionStatus } from '../core/events.js';
import { OmniError } from '../core/errors.js';
import { ensurePrivateDir } from '../core/fsutil.js';
import type { SpawnGrant } from '../agents/grant.js';
import { applyTags, isLive, newSessionId, preferLive, validateSessionName, validateTag, type SessionRecord, type SessionWorktree } from '../core/session.js';
import { BinaryVersions } from '../harnesses/binary.js';
import type { HarnessRegistry } from '../harnesses/registry.js';
import type { HookReply } from '../harnesses/types.js';
import type { SandboxLayer } from '../sandbox/settings.js';
import type { SandboxSettings } from '../sandbox/types.js';
import type { HarnessSessions } from './harness-sessions.js';
import { Launcher, requireBinary } from './launcher.js';
import type { PaneIO, SendOptions, SendResult } from './pane-io.js';
import type { PolicyRefInput, PolicySnapshot } from './policy-service.js';
import type { AgentSocketPort, HookClientPaths, PolicyPort, SandboxPort, TmuxPort } from './ports.js';
import type { SessionLog } from './session-log.js';
import type { SessionStore } from './store.js';
import { SuperviseLoop } from './supervise-loop.js';
import { Supervisor } from './supervisor.js';
import { callerTmux } from './notifier.js';
import { limitsPolicy, saveGrant } from './spawn-grants.js';
import { readEventLines } from './event-reader.js';

export type { PolicyPort, SandboxPort, TmuxPort } from './ports.js';

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
  /** `--tag`: labels to pick the session by later. */
  tags?: string[];
  /** The session that starts this one (omni_spawn). */
  parent?: string;
  /** What it may start (a spec with `spawn: true`): kept as spawn.json, its `env` as spawn-env.json. */
  spawn?: SpawnGrant;
  /** A worktree the caller already made for it (omni_spawn): `cwd` is its path. */
  worktree?: SessionWorktree;
  /** The id to use (omni_spawn picks it first: the worktree is named after it). */
  id?: string;
  /** A fork (`omni fork`, fork.ts): the harness forks the source's conversation; it keeps the source's policies and sandbox. */
  fork?: ForkOrigin;
}

/** Where a fork comes from, and what it inherits (fork.ts reads them off the source). */
export interface ForkOrigin {
  from: SessionRecord;
  harnessSessionId: string;
  sourceSessionDir: string;
  policies: PolicySnapshot[];
  /** The source's sandbox settings, when it ran sandboxed. */
  sandbox?: SandboxSettings;
}

export interface SessionManagerDeps {
  store: SessionStore;
  tmux: TmuxPort;
  harnesses: HarnessRegistry;
  /** The parts the policy and sandbox services use too, so they are built first and passed in. */
  events: SessionLog;
  panes: PaneIO;
  hooks: HarnessSessions;
  policies: PolicyPort;
  sandbox: SandboxPort;
  agentSocket: AgentSocketPort;
  hookClient: HookClientPaths;
  now?: () => Date;
  log?: (msg: string) => void;
}

/**
 * Every session, as the control API sees it: resolves names, creates and resumes sessions, and
 * hands the rest to its parts — the log (session-log.ts), the launch (launcher.ts), pane
 * input (pane-io.ts), supervision (supervisor.ts) and the adapter instances (harness-sessions.ts).
 */
export class SessionManager {
  private readonly launcher: Launcher;
  private readonly supervisor: Supervisor;
  private readonly now: () => Date;
  /** `--version` probes, remembered while the daemon runs (a CLI can take a second to answer). */
  private readonly versions = new BinaryVersions();
  /** Started by `supervise` (the daemon); absent in tests that drive the parts directly. */
  private loop: SuperviseLoop | undefined;

  constructor(private readonly deps: SessionManagerDeps) {
    this.now = deps.now ?? (() => new Date());
    const log = deps.log ?? (() => {});
    const { store, tmux, events, sandbox, agentSocket } = deps;
    this.launcher = new Launcher({ store, tmux, events, sandbox, agentSocket, hookClient: deps.hookClient, log });
    this.supervisor = new Supervisor({ store, tmux, harnesses: deps.harnesses, events, hooks: deps.hooks, launcher: this.launcher, sandbox, agentSocket, now: this.now, withdrawAsks: (rec, why) => deps.policies.withdraw?.(rec, why) });
  }

  list(): SessionRecord[] {
    return this.deps.store.all();
  }

  /** Resolve an id or a name. Names prefer a live session, then the newest. */
  resolve(ref: string): SessionRecord {
    const pick = this.deps.store.get(ref) ?? preferLive(this.deps.store.all().filter((s) => s.name === ref));
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
    const binary = await requireBinary(adapter, req.env, this.versions, req.binary);
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
    const tags = checkTags(req.tags ?? []);

    // Policies and sandbox settings are checked before anything starts: a bad file means no session.
    // A spec's spawn `limits` are an agent-level spawn_bounds policy of the session.
    const limits = req.spawn ? limitsPolicy(req.spawn, `${req.agent?.file ?? 'spawn grant'} limits`) : undefined;
    const policySnapshots = [...(req.fork?.policies ?? []), ...this.deps.policies.prepare([...(req.policies ?? []), ...(limits ? [limits] : [])], path.resolve(req.cwd))];
    const sandbox = req.fork ? (req.fork.sandbox ?? { ...this.deps.sandbox.settings([]), enabled: false }) : this.deps.sandbox.settings(req.sandbox ?? []);

    if (req.id && this.deps.store.get(req.id)) throw new OmniError(`session id ${req.id} is taken`, 'conflict');
    let id = req.id ?? newSessionId();
    while (this.deps.store.get(id)) id = newSessionId();
    ensurePrivateDir(this.deps.store.sessionDir(id));
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
      ...(sandbox.enabled ? { sandbox: true } : {}),
      ...(tags.length ? { tags: applyTags([], tags) } : {}),
      ...(req.parent ? { parent: req.parent } : {}),
      ...(req.fork ? { forkedFrom: req.fork.from.id } : {}),
      ...(req.worktree ? { worktree: req.worktree } : {}),
      ...(req.spawn ? { spawn: true } : {}),
      ...(req.prompt ? { pendingPrompt: req.prompt } : {}),
      ...withCallerTmux(req.env),
      lastSeq: 0,
    };
    if (req.spawn) saveGrant(this.deps.store.sessionDir(id), req.spawn, req.env);
    this.deps.store.put(rec);
    this.deps.policies.attach(rec, policySnapshots);
    const fork = req.fork ? { from: req.fork.from, harnessSessionId: req.fork.harnessSessionId, sourceSessionDir: req.fork.sourceSessionDir } : undefined;
    await this.launcher.launch(rec, { adapter, binary, env: req.env, extraArgs: req.args ?? [], sandbox: sandbox.enabled ? sandbox : undefined, ...(fork ? { fork } : {}) });
    this.launched(rec);
    this.deliverPending(rec);
    this.deps.store.put(rec);
    return rec;
  }

  /** Restart an exited session on the harness's own resume, by the id it reported. */
  async resume(rec: SessionRecord, env: Record<string, string>, args: string[] = []): Promise<SessionRecord> {
    if (isLive(rec.status)) throw new OmniError(`session ${rec.name} (${rec.id}) is ${rec.status}, not ended; attach to it instead`, 'conflict');
    const adapter = this.deps.harnesses.get(rec.harness);
    if (!adapter.capabilities.resume) throw new OmniError(`${adapter.displayName} sessions cannot be resumed`, 'conflict');
    if (!rec.harnessSessionId) {
      throw new OmniError(`session ${rec.name} never reported its ${adapter.displayName} session id, so there is nothing to resume`, 'conflict');
    }
    const binary = await requireBinary(adapter, env, this.versions);
    const clash = this.deps.store.all().find((s) => s.name === rec.name && s.id !== rec.id && isLive(s.status));
    if (clash) throw new OmniError(`a live session is already named "${rec.name}" (${clash.id})`, 'name_taken');
    let sandbox: SandboxSettings | undefined;
    if (rec.sandbox) {
      // A sandboxed session resumes in the sandbox it started with, never outside it.
      sandbox = this.deps.sandbox.savedSettings(rec.id);
      if (!sandbox) throw new OmniError(`session ${rec.name} ran sandboxed but its sandbox settings are gone; start a new session`, 'conflict');
    }
    await this.deps.tmux.killSession(rec.tmuxSession).catch(() => {}); // a dead pane left by remain-on-exit
    rec.exitCode = undefined;
    rec.exitedAt = undefined;
    rec.paneId = undefined;
    rec.status = 'starting';
    rec.statusReason = undefined;
    rec.statusSource = 'daemon';
    rec.callerTmux = withCallerTmux(env).callerTmux; // notifications follow the person who resumed it
    this.deps.store.put(rec);
    await this.launcher.launch(rec, { adapter, binary, env, extraArgs: args, resume: { harnessSessionId: rec.harnessSessionId }, sandbox });
    this.launched(rec);
    return rec;
  }

  /** Add and remove tags (any session, live or ended: they are how it is found later). */
  setTags(rec: SessionRecord, change: { add?: string[]; remove?: string[] }): SessionRecord {
    const tags = applyTags(rec.tags, checkTags(change.add ?? []), change.remove ?? []);
    if (tags.length) rec.tags = tags;
    else delete rec.tags;
    rec.updatedAt = this.now().toISOString();
    this.deps.store.put(rec);
    return rec;
  }

  /** Rebuild state after a (re)start: reopen logs, re-adopt live panes, close out dead ones. */
  async adoptAll(): Promise<{ adopted: string[]; exited: string[] }> {
    const done = await this.supervisor.adoptAll();
    // A first prompt the last daemon did not get typed in (it died first) is typed now, unless
    // the log shows the harness took it (the daemon died between the prompt and noting it).
    for (const id of done.adopted) {
      const rec = this.deps.store.get(id);
      if (!rec?.pendingPrompt) continue;
      if (await promptLogged(this.deps.store.eventsFile(id), rec.pendingPrompt)) this.clearPending(rec, rec.pendingPrompt);
      else this.deliverPending(rec);
    }
    return done;
  }

  /** Type the session's pending first prompt once it is ready, and forget it once taken. */
  private deliverPending(rec: SessionRecord): void {
    const text = rec.pendingPrompt;
    if (text) this.deps.panes.sendWhenReady(rec, text, () => this.clearPending(rec, text));
  }

  private clearPending(rec: SessionRecord, text: string): void {
    if (rec.pendingPrompt !== text) return;
    delete rec.pendingPrompt;
    this.deps.store.put(rec);
  }

  /**
   * Start watching the sessions (supervise-loop.ts): tmux's hooks wake a check, a slow safety
   * poll runs every `safetyMs`, screens are read only while a session needs it.
   */
  supervise(opts: { safetyMs: number; afterCheck?: () => void }): void {
    this.loop?.stop();
    this.loop = new SuperviseLoop({
      check: () => this.supervisor.check(),
      screens: () => this.supervisor.screens(),
      tmux: this.deps.tmux,
      safetyMs: opts.safetyMs,
      ...(opts.afterCheck ? { afterCheck: opts.afterCheck } : {}),
      ...(this.deps.log ? { log: this.deps.log } : {}),
    });
    this.loop.start();
  }

  handleHook(sessionId: string, event: string, payload: Record<string, unknown>, signal?: AbortSignal): Promise<HookReply> {
    return this.deps.hooks.handleHook(sessionId, event, payload, signal);
  }

  /** Paste text into the pane the way a person types it, submit, and check it was taken. */
  send(rec: SessionRecord, text: string, opts: SendOptions = {}): Promise<SendResult> {
    // Typed keys change the screen (a first-run screen answered with --force): a session still
    // read from its screen is read again at once, not after its backoff.
    return this.deps.panes.send(rec, text, { ...opts, gated: this.deps.policies.gates(rec, 'prompt') }).finally(() => this.rereadScreen(rec));
  }

  interrupt(rec: SessionRecord): Promise<{ idle: boolean }> {
    return this.deps.panes.interrupt(rec);
  }

  async stop(rec: SessionRecord): Promise<SessionRecord> {
    if (!isLive(rec.status)) return rec;
    await this.deps.tmux.killSession(rec.tmuxSession).catch(() => {});
    await this.supervisor.markExited(rec, null, 'stopped by omni stop');
    return rec;
  }

  /** A new name for a session (any status); a live session's name stays unique. Logs `session.renamed`. */
  rename(rec: SessionRecord, name: string): SessionRecord {
    const bad = validateSessionName(name);
    if (bad) throw new OmniError(`invalid session name "${name}": ${bad}`, 'invalid_name');
    if (name === rec.name) return rec;
    const clash = this.deps.store.all().find((s) => s.name === name && s.id !== rec.id && isLive(s.status));
    if (clash) throw new OmniError(`a live session is already named "${name}" (${clash.id})`, 'name_taken');
    const previous = rec.name;
    rec.name = name;
    this.deps.store.put(rec);
    this.deps.events.emit(rec, { type: 'session.renamed', data: { name, previous } });
    return rec;
  }

  /** What the session's pane shows now (the visible screen; plain text, or with its SGR escapes): a dashboard's preview, a guest's `omni watch`. */
  async screen(rec: SessionRecord, opts: { escapes?: boolean } = {}): Promise<string> {
    if (!isLive(rec.status)) throw new OmniError(`session ${rec.name} (${rec.id}) has ${rec.status}; it has no screen (omni events ${rec.name} shows what happened)`, 'conflict');
    return this.deps.tmux.capturePane(rec.paneId ?? `=${rec.tmuxSession}:`, opts.escapes ? { escapes: true } : {});
  }

  /** Resolve when the session reaches `status` (one of them; now or later); reject if it ends first. */
  waitForStatus(rec: SessionRecord, status: SessionStatus | readonly SessionStatus[], timeoutMs: number): Promise<SessionRecord> {
    return this.deps.events.waitForStatus(rec, status, timeoutMs);
  }

  eventsFile(id: string): string {
    return this.deps.store.eventsFile(id);
  }

  emit(rec: SessionRecord, ev: NewEvent): void {
    this.deps.events.emit(rec, ev);
  }

  async shutdown(): Promise<void> {
    this.loop?.stop();
    this.supervisor.stop();
    this.deps.hooks.closeAll();
    this.deps.events.closeAll();
    this.deps.store.flush();
  }

  private rereadScreen(rec: SessionRecord): void {
    this.supervisor.wakeScreens(rec.id);
    this.loop?.wakeScreens();
  }

  /** A pane now runs the session: wait on its server's hooks, read its first screens. */
  private launched(rec: SessionRecord): void {
    this.supervisor.wakeScreens(rec.id);
    this.loop?.started();
    // A pane that died before the waiter was listening is caught by this look.
    this.loop?.hint();
  }

  private defaultName(harness: string): string {
    const taken = new Set(this.deps.store.all().map((s) => s.name));
    for (let n = 1; ; n++) if (!taken.has(`${harness}-${n}`)) return `${harness}-${n}`;
  }
}

function checkTags(tags: string[]): string[] {
  for (const t of tags) {
    const bad = validateTag(t);
    if (bad) throw new OmniError(bad, 'bad_request');
  }
  return tags;
}

/** The person's own tmux, as a record field (absent when omni was run outside tmux). */
function withCallerTmux(env: Record<string, string>): { callerTmux?: SessionRecord['callerTmux'] } {
  const t = callerTmux(env);
  return t ? { callerTmux: t } : {};
}

/** Whether a session's log holds a `message.user` with exactly `text` (a short log: its first prompt). */
async function promptLogged(file: string, text: string): Promise<boolean> {
  for await (const batch of readEventLines(file)) {
    for (const line of batch) {
      if (line.type !== 'message.user') continue;
      try {
        if ((JSON.parse(line.text) as { data?: { text?: string } }).data?.text === text) return true;
      } catch {
        /* a torn line */
      }
    }
  }
  return false;
}
