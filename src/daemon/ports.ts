import type { NewEvent } from '../core/events.js';
import type { SessionRecord } from '../core/session.js';
import type { DecisionRequest, HarnessAdapter, LaunchSpec, Verdict } from '../harnesses/types.js';
import type { SandboxLayer } from '../sandbox/settings.js';
import type { SandboxSettings } from '../sandbox/types.js';
import type { PolicyRefInput, PolicySnapshot } from './policy-service.js';

/**
 * What the session parts need of the services around them, as narrow interfaces: tests pass
 * small fakes, and no part reaches for more than it uses.
 */

/** The slice of the tmux layer the session parts need (real tmux in tests, always). */
export interface TmuxPort {
  newSession(opts: { name: string; windowName?: string; cwd: string; command: string; width?: number; height?: number }): Promise<{ paneId: string; panePid: number }>;
  listPanes(): Promise<Array<{ sessionName: string; paneId: string; panePid: number; dead: boolean; deadStatus: number | null; deadSignal?: number | null }>>;
  /** Block until omni's tmux hooks signal `channel` or the server goes (supervise-loop.ts). */
  waitFor?(channel: string, signal?: AbortSignal): Promise<'woken' | 'gone' | 'aborted'>;
  /** The server's pid, undefined when none runs (a session gone with its server is said so; supervise-loop.ts nudges its reaper). */
  serverPid?(): Promise<number | undefined>;
  capturePane(target: string, opts?: { escapes?: boolean }): Promise<string>;
  pasteText(target: string, text: string, opts?: { bracketed?: boolean }): Promise<void>;
  sendKeys(target: string, keys: string[]): Promise<void>;
  killSession(name: string): Promise<void>;
  /** Serialize writes to one pane: two sends must never interleave their keystrokes. */
  withPaneLock<T>(target: string, fn: () => Promise<T>): Promise<T>;
}

/** The policy side (PolicyService in the daemon). Required: without it nothing could answer a gate. */
export interface PolicyPort {
  prepare(inputs: PolicyRefInput[], cwd: string): PolicySnapshot[];
  attach(rec: SessionRecord, snapshots: PolicySnapshot[]): void;
  decide(rec: SessionRecord, req: DecisionRequest, signal?: AbortSignal): Promise<Verdict>;
  /** Whether any policy of the session decides at `phase` (then every decision there is logged). */
  gates(rec: SessionRecord, phase: DecisionRequest['phase']): boolean;
  /** The session ended: withdraw the asks it still holds, saying why. */
  withdraw?(rec: SessionRecord, why: string): void;
}

/** The sandbox side (SandboxService in the daemon). */
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

/** Opens / closes the per-session agent socket (AgentEndpoints); `open` returns its path. */
export interface AgentSocketPort {
  open(id: string): Promise<string>;
  close(id: string): Promise<void>;
}

/** Absolute paths the hook command needs. */
export interface HookClientPaths {
  script: string;
  node: string;
  omniJs: string;
  omniHome: string;
}
