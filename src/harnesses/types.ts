import type { NewEvent, SessionStatus } from '../core/events.js';
import type { SessionRecord } from '../core/session.js';
import type { DecisionRequest, NormalizedToolCall, Verdict } from '../policy/types.js';

/** Policy types the adapters speak; they live with the policy model (src/policy/types.ts). */
export type { DecisionRequest, NormalizedToolCall, Verdict };

/**
 * One adapter per harness behind this interface. Everything harness-specific (flags, config
 * files, hook payload shapes, transcript formats, screens) lives in the adapter; the daemon
 * only sees uniform events, statuses and decisions.
 */

/** Declared per adapter; the conformance suite checks it against the real CLI. */
export interface Capabilities {
  interactive: boolean;
  headless: boolean;
  toolEvents: boolean;
  deny: boolean;
  heldAsk: boolean;
  costSource: 'reported' | 'tokens' | 'none';
  interrupt: boolean;
  resume: boolean;
  fork: boolean;
}

export interface BinaryInfo {
  path: string;
  version?: string;
}

/** `<bin> --version`, remembered by whoever owns the probe (BinaryVersions in binary.ts). */
export interface VersionProbe {
  of(file: string, env: Record<string, string>): Promise<string | undefined>;
}

/** How a hook command reaches the daemon: the adapter asks for one per hook event. */
export interface HookWiring {
  /**
   * A shell command the harness runs for `event`. `gate` hooks block on the daemon's decision
   * and fail closed (exit 2 with a reason) when the daemon cannot be reached; `observe` hooks
   * report and fail open.
   */
  command(event: string, mode: 'gate' | 'observe'): string;
  /**
   * A status line command (Claude Code's `statusLine`): forwards the JSON it gets on stdin to
   * the daemon as the observed hook event `StatusLine`, then runs `userCommand` (the user's own
   * status line, a shell command) with the same stdin and prints its output. Absent in tests
   * that wire hooks only.
   */
  statusLine?(userCommand?: string): string;
}

export interface LaunchContext {
  session: Pick<SessionRecord, 'id' | 'name' | 'cwd' | 'model'>;
  /** Private 0700 directory for this session's generated files. */
  sessionDir: string;
  /** The environment of the `omni` command that asked for the session. */
  env: Record<string, string>;
  binary: BinaryInfo;
  extraArgs: string[];
  hooks: HookWiring;
  /** The session's agent socket, for harnesses whose plugin talks to it directly (Pi). */
  agentSocket: string;
  /** What a plugin needs to start a stopped daemon, as bin/omni-hook does. */
  hookClient: { node: string; omniJs: string; omniHome: string };
  /** Set when restarting an exited session on the harness's own resume. */
  resume?: { harnessSessionId: string };
  /**
   * Set when starting a new session as a fork of another (`omni fork`): the harness's own fork of
   * `harnessSessionId` (a new harness session with the same history). `sourceSessionDir` is the
   * source omni session's private directory (where the adapter's own notes on it are, e.g. Pi's
   * session file). Only asked of adapters with `capabilities.fork`.
   */
  fork?: { harnessSessionId: string; sourceSessionDir: string };
  /**
   * Set when the session runs in omni's sandbox (docs/SANDBOX.md). `env` then already holds
   * placeholders for model credentials; the harness's own sandbox must stay off (a sandbox
   * cannot be nested inside omni's).
   */
  sandboxed?: boolean;
  /**
   * Set when the session may start sub-agents (`spawn: true`): omni's MCP server bound to this
   * session's agent socket (`node bin/omni.js mcp --agent-socket <sock>`), for the adapter to
   * wire in as the stdio MCP server `omni` (Pi, which has no MCP client, registers the tools itself).
   */
  mcp?: { command: string; args: string[]; env: Record<string, string> };
}

/**
 * What a harness needs inside omni's sandbox. Everything else of $HOME is hidden, every other
 * variable is dropped, and only the model endpoints are reachable without a rule.
 */
export interface SandboxNeeds {
  /** Variable names (or `PREFIX_*`) the harness reads. Known secrets never pass regardless. */
  env: string[];
  /** Files and folders it writes (its state: sessions, transcripts, settings). */
  writable: string[];
  /** Files and folders it must read in otherwise hidden trees. */
  readable: string[];
  /** Its model API base URLs: allowed through the egress proxy without a rule. */
  modelEndpoints: string[];
  /**
   * Model credentials in the caller's environment that the proxy adds to requests to the model
   * endpoints instead: the variable holds a placeholder inside the sandbox.
   */
  modelCredentials: Array<{ env: string; header: string; value: string; /** Default: every model endpoint. */ endpoints?: string[] }>;
  /** Variables the harness reads a CA bundle path from (beyond the usual SSL_CERT_FILE & co.): set to omni's CA + system roots. */
  caEnv?: string[];
}

export interface LaunchSpec {
  command: string;
  args: string[];
  /** Variables added to (or overriding) the caller's environment. */
  env: Record<string, string>;
  /** Human-readable notes about what was prepared (shown with --verbose, logged). */
  notes: string[];
  /** Files omni generated that the harness reads (its settings, an extension): readable inside a sandbox. */
  generated?: string[];
}

/** What the adapter gets while handling a signal for one session. */
export interface SignalContext {
  session: Readonly<SessionRecord>;
  emit(ev: NewEvent): void;
  setStatus(status: SessionStatus, reason?: string, source?: 'hook' | 'pane'): void;
  update(patch: Partial<Pick<SessionRecord, 'harnessSessionId' | 'transcriptPath' | 'model'>>): void;
  /** Ask the daemon's policy engine; resolves once decided (an ask waits for a human). */
  decide(req: DecisionRequest): Promise<Verdict>;
  /** Start (or restart after adoption) transcript / log ingestion for this session. */
  ingest(): void;
  /** Read the harness log to the end and emit held-back records (end of a turn). */
  flushIngest(hint?: FlushHint): Promise<void>;
}

/** What a hook command prints and exits with. */
export interface HookReply {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

/** Incremental ingestion of a harness's own log (transcript, rollout). */
export interface Ingestor {
  /** Read whatever is new; emits events through the context. Safe to call often. */
  poll(): Promise<void>;
  /** End of turn / exit: emit anything held back (e.g. usage of the last message). */
  flush(hint?: FlushHint): Promise<void>;
  /**
   * The files and directories whose change means "poll me" (the log being read now; a
   * directory also reports writes to the files in it). The daemon watches them and polls on a
   * change, re-asking after every pass; a path that does not exist yet is retried then. Without
   * it, or for what a watch misses, the daemon's slow safety poll still calls `poll`.
   */
  watchPaths?(): string[];
}

/**
 * A harness may signal the end of a turn before its log has the turn's last record (Claude
 * fires Stop before the transcript row lands). The hint says what to wait for, briefly.
 */
export interface FlushHint {
  lastText?: string;
  /** The hook names no reply (Copilot's agentStop): read until the log shows the turn's end. */
  turnEnd?: boolean;
  timeoutMs?: number;
}

/** A first-run or blocking screen recognised on the pane (the fallback signal). */
export interface ScreenMatch {
  status: SessionStatus;
  reason: string;
}

export interface HarnessAdapter {
  readonly name: string;
  /** Versions and credentials, for `omni doctor`. */
  readonly doctor?: import('./doctor-types.js').HarnessDoctor;
  readonly displayName: string;
  readonly binaryName: string;
  readonly installHint: string;
  readonly capabilities: Capabilities;
  /** `versions` caches `--version` probes (the daemon's lives as long as it does). */
  findBinary(env: Record<string, string>, versions?: VersionProbe): Promise<BinaryInfo | null>;
  prepareLaunch(ctx: LaunchContext): Promise<LaunchSpec>;
  /** What it needs inside omni's sandbox; `env` is the caller's environment. Absent: it cannot be sandboxed. */
  sandboxNeeds?(env: Record<string, string>, cwd: string): SandboxNeeds;
  /**
   * One tool call in harness-neutral terms (kind, shell script, paths, cwd, url), from the
   * harness's own tool names and input schemas. Pure: no session needed, so `omni policy test`
   * can evaluate policies without an agent. `hookCwd`: the cwd the hook payload reports, if any.
   */
  normalizeToolCall(tool: string, input: unknown, hookCwd?: string): NormalizedToolCall;
  /** Who bills a model when the usage names no provider (a price-book provider id); absent: unknown. */
  provider?(model: string): string | undefined;
  /**
   * Who made the model behind a session (`anthropic`, `openai`, …): Polly routes a worker's diff
   * to a reviewer of another vendor. `model`: the session's model when one was named.
   */
  vendor(model?: string): string;
  /**
   * The per-session half: what one session needs while it runs (log readers, turn ids). The
   * daemon opens one per session on its first signal and closes it when the session ends.
   */
  open(session: Readonly<SessionRecord>): HarnessSession;
  /** Recognise first-run / blocking screens in pane text while no structured signal says otherwise. */
  detectScreen(paneText: string): ScreenMatch | undefined;
  /**
   * True when the pane shows the harness ready to take typed input. Structured "ready" signals
   * can come a little before the input box is drawn, and keys sent then are lost.
   */
  inputReady(paneText: string): boolean;
  /**
   * After an interrupt: the pane shows the harness idle again (some harnesses send no signal
   * for an interrupted turn). Optional: without it the status waits for the next signal.
   */
  idleAfterInterrupt?(paneText: string): boolean;
  /**
   * Keys that clear `typed` (what `inputText` read, '' when unknown) from the input box, e.g.
   * what an interrupt left there (Claude puts the prompt back). Pressed until the box reads empty.
   */
  clearInputKeys?(typed: string): string[];
  /**
   * The harness puts a prompt its hook blocked back in its input box (Claude Code does; Codex
   * and Pi leave the box empty), where the next typed prompt would be appended to it. omni then
   * presses `clearInputKeys(typed)` until `inputText` says the box is empty.
   */
  readonly restoresBlockedPrompt?: boolean;
  /** The text in the input box ('' when empty); undefined when no input box is drawn. */
  inputText?(paneText: string): string | undefined;
  /** Keys that stop the current generation the way a person would. */
  readonly interruptKeys: string[];
  /**
   * A pause between the interrupt keys, sent one at a time (OpenCode reads two Escapes that
   * arrive together as one key, but interrupts on a second press). Absent: sent at once.
   */
  readonly interruptKeyGapMs?: number;
  /** How long to wait between pasting input and pressing Enter. */
  readonly submitDelayMs: number;
  /**
   * How long `omni send` waits for the prompt to be reported (message.user) before it presses
   * Enter once more and then gives up. Default 10 s; OpenCode hands a new session's first prompt
   * to its plugins 10–20 s after Enter on a loaded machine.
   */
  readonly promptAckMs?: number;
}

/** One session's adapter instance: hooks and ingestion for that session, and its state. */
export interface HarnessSession {
  handleHook(event: string, payload: Record<string, unknown>, ctx: SignalContext): Promise<HookReply>;
  /** The reader of the harness's own log, made once when ingestion starts (undefined: it has none). */
  createIngestor(ctx: SignalContext, seen: IngestCursor): Ingestor | undefined;
  /** The session ended or the daemon stops: let go of what it holds. */
  close(): void;
}

/** What the daemon remembers of ingestion so a restart neither loses nor repeats events. */
export interface IngestCursor {
  /** Keys (e.g. transcript row uuids) already turned into events. */
  has(key: string): boolean;
  add(key: string): void;
}
