import type { ToolKind, UsageData } from '../core/events.js';
import type { ParsedShell } from './shell.js';

/**
 * The policy model (docs/POLICIES.md). A policy sees one subject at a phase and returns a
 * verdict (allow, deny with a reason the agent sees, ask a human) or no opinion, plus state
 * updates. Policies never read harness payloads: adapters normalize a tool call first
 * (NormalizedToolCall); the raw `input` rides along only for rule files and events.
 */
export type Phase = 'prompt' | 'tool_call' | 'tool_result' | 'usage' | 'egress' | 'mcp';
export const PHASES: readonly Phase[] = ['prompt', 'tool_call', 'tool_result', 'usage', 'egress', 'mcp'];

export type VerdictKind = 'allow' | 'deny' | 'ask';
export type Level = 'session' | 'agent' | 'global';
/** Evaluation order: the most specific level first. */
export const LEVELS: readonly Level[] = ['session', 'agent', 'global'];

/** What an adapter says of one tool call, in harness-neutral terms (filled from its own schema). */
export interface NormalizedToolCall {
  kind: ToolKind;
  /** For kind `shell`: the script it runs (an argv array quoted back into a script so the parser sees wrappers). */
  script?: string;
  /** Paths named by the input, as written (relative, `~`…): resolved by the policy layer against `cwd`. */
  paths?: { read: string[]; write: string[] };
  /** Where the call runs when the harness says so (Claude's hook payload `cwd`; Codex's `workdir`). */
  cwd?: string;
  /** For a web fetch. */
  url?: string;
  /** A search tool given no path searches its cwd (Claude's Grep/Glob/LS): the adapter says so. */
  searchesCwd?: boolean;
}

/** A request for a policy decision, already normalized by the adapter. */
export type DecisionRequest =
  | { phase: 'tool_call'; callId: string; tool: string; input: unknown; call: NormalizedToolCall }
  | { phase: 'tool_result'; callId: string; tool: string; input: unknown; call: NormalizedToolCall; ok: boolean; output: unknown }
  /** `key` identifies the prompt so a hook retried after a daemon restart joins the same ask. */
  | { phase: 'prompt'; text: string; key?: string }
  /** A request through a sandboxed session's egress proxy (after TLS termination). */
  | { phase: 'egress'; scheme: 'http' | 'https'; host: string; port: number; method: string; path: string; model?: boolean }
  /** A call of one of omni's own MCP tools (omni_spawn, …) by the session (src/daemon/composer.ts). */
  | { phase: 'mcp'; tool: string; args: Record<string, unknown> };

export type Verdict = { verdict: 'allow' | 'deny' | 'ask' | 'none'; reason?: string; policy?: string };

export interface ToolSubject {
  name: string;
  kind: ToolKind;
  callId: string;
  /** As the harness sent it: rule files match on it and events show it; policies read the fields below. */
  input: unknown;
  /** Absolute: where the call runs (the adapter's `cwd` resolved against the session's), else the session's cwd. Relative shell paths resolve against it. */
  cwd: string;
  /** For kind `shell`: the script, as the adapter read it. Undefined for a shell call whose script it could not read. */
  script?: string;
  /** Every command a shell tool call would run (the parsed `script`). */
  shell?: ParsedShell;
  /** For a web fetch: the URL. */
  url?: string;
  /** Absolute paths the call reads and writes, from the input and from parsed shell commands. */
  reads: string[];
  writes: string[];
}

export interface PolicySubject {
  phase: Phase;
  session: { id: string; name: string; harness: string; cwd: string; agent?: string };
  prompt?: { text: string };
  tool?: ToolSubject;
  result?: { ok: boolean; output: unknown };
  /**
   * At `usage`: one usage event as logged (priced), with the spending session's running total.
   * `session` is set when the event is another session's (a day or tree budget is told of
   * every session's spend, so it can stop a generation in flight anywhere in its scope).
   */
  usage?: UsageData & { sessionCostUsd?: number; session?: string };
  /** `model`: the request goes to one of the session's model endpoints (its harness's model API, as the daemon knows it). */
  egress?: { host: string; port?: number; method?: string; path?: string; scheme?: 'http' | 'https'; model?: boolean };
  /** At `mcp`: the omni tool called, its arguments, and the caller's place in the session tree. */
  mcp?: McpSubject;
  /** Spend so far, filled by the daemon at every phase (budgets: builtins/cost-budget.ts). */
  spend?: SpendView;
}

export interface McpSubject {
  tool: string;
  args: Record<string, unknown>;
  tree: {
    /** Sessions this one started (ended ones included). */
    children: number;
    /** Its live descendants. */
    live: number;
    /** Its depth in the tree: a root session is 0, its children 1. */
    depth: number;
  };
}

/** Computed spend (tokens × the price book); unpriced models are listed, never counted as $0. */
export interface Spend {
  usd: number;
  unpricedModels: string[];
}

export interface SpendView {
  /** This session. */
  session: Spend;
  /** This session and its descendants (SessionRecord.parent). */
  tree: Spend;
  /** Every session since local midnight (the daemon's cost ledger); `date` is YYYY-MM-DD. */
  day: Spend & { date: string };
  /**
   * What this session's last few model messages cost (priced ones, oldest first, at most
   * RECENT_MESSAGES): what a budget projects the next one from. Empty until one is metered
   * (also after a daemon restart).
   */
  recentMessagesUsd?: number[];
}

/** How many of a session's recent message costs the daemon keeps for `SpendView.recentMessagesUsd`. */
export const RECENT_MESSAGES = 3;

/** Per-session policy state, shared by the session's policies (one can set what another tests). */
export interface StateView {
  hasLabel(name: string): boolean;
  labels(): string[];
  counter(name: string): number;
  inSet(set: string, value: string): boolean;
  set(set: string): ReadonlySet<string>;
}

export type StateUpdate =
  | { op: 'label'; name: string }
  | { op: 'unlabel'; name: string }
  | { op: 'incr'; name: string; by?: number }
  | { op: 'reset'; name: string }
  | { op: 'add'; set: string; values: string[] }
  | { op: 'remove'; set: string; values: string[] };

export interface PolicyDecision {
  /** Omitted: no opinion. */
  verdict?: VerdictKind;
  reason?: string;
  /** Applied only if the action goes ahead: at once when it does, on approval for an ask. */
  updates?: StateUpdate[];
  /**
   * With a deny at `tool_call`/`tool_result`: the session must not go on (a spending limit). A
   * denied tool call is answered by another model message, so the daemon also interrupts the
   * generation in flight, as it does for a deny at `usage`.
   */
  stop?: boolean;
  /**
   * For an ask, what "approve for the rest of the session" covers: later asks of this policy
   * with the same key are allowed without asking. Default: the tool name (or the phase).
   */
  grantKey?: string;
}

export interface Policy {
  name: string;
  /** Phases this policy looks at; it is skipped for the others. */
  phases: readonly Phase[];
  /** Where it came from, for errors and audit (a file:line, or "builtin"). */
  source?: string;
  /** For a builtin: its name and validated parameters (shown by `omni policy ls`, budgets in the dashboard). */
  builtin?: { name: string; params: Record<string, unknown> };
  evaluate(subject: PolicySubject, state: StateView): PolicyDecision | Promise<PolicyDecision>;
}

export interface LoadedPolicy {
  policy: Policy;
  level: Level;
}

export interface PolicyVote {
  policy: string;
  level: Level;
  verdict: VerdictKind | 'error';
  reason?: string;
  /** An ask answered by an earlier "approve for the rest of the session". */
  granted?: boolean;
}

export interface EngineResult {
  verdict: VerdictKind | 'none';
  /** The reason the agent or the person sees: the deny's, or the asks' joined. */
  reason?: string;
  /** The policy that decided (deny), or those that asked. */
  policies: string[];
  votes: PolicyVote[];
  asks: Array<{ policy: string; reason?: string; grantKey: string }>;
  /** To apply if the action goes ahead. */
  updates: StateUpdate[];
  /** The deny asks the daemon to stop the session too (PolicyDecision.stop). */
  stop?: boolean;
}
