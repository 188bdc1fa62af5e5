/** The uniform event stream (DESIGN.md "Sessions and the uniform event stream"; docs/EVENTS.md). */

export type SessionStatus = 'starting' | 'running' | 'waiting' | 'idle' | 'exited' | 'failed';

export const SESSION_STATUSES: readonly SessionStatus[] = ['starting', 'running', 'waiting', 'idle', 'exited', 'failed'];

export type ToolKind = 'shell' | 'read' | 'write' | 'edit' | 'web' | 'mcp' | 'other';

export interface UsageData {
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reportedCostUsd?: number;
  computedCostUsd?: number;
  /** Set (instead of computedCostUsd) when the price book has no price for the model: never $0. */
  unpriced?: true;
  /** Of cacheWriteTokens, those written with the 1-hour TTL (priced apart where the source does). */
  cacheWrite1hTokens?: number;
  /** Who billed it, when the harness says (Pi's provider); else inferred from harness and model. */
  provider?: string;
  source: string;
  messageId?: string;
}

/** Event payloads by type. `data` shapes are the contract; add fields, never rename. */
export interface EventDataMap {
  'session.started': { harness: string; name: string; cwd: string; model?: string; command: string[] };
  'session.status': { status: SessionStatus; previous?: SessionStatus; reason?: string; source: 'hook' | 'pane' | 'tmux' | 'daemon' };
  'session.adopted': { pane: string; previousDaemonPid?: number };
  'session.resumed': { harnessSessionId: string; command: string[] };
  'session.renamed': { name: string; previous: string };
  /** A fork's first event after session.started (`omni fork`): the session it was forked from. */
  'session.forked': { from: string; fromName: string; harnessSessionId: string; worktree?: string };
  /** In the source's log: a fork of it was started. */
  'session.fork': { to: string; toName: string };
  'message.user': { text: string; via?: string };
  'message.assistant': { text: string; messageId?: string; model?: string };
  'text.delta': { text: string };
  'tool.call': { callId: string; tool: string; kind: ToolKind; input: unknown };
  'tool.result': { callId: string; tool?: string; ok: boolean; output: unknown };
  'policy.decision': { phase: string; verdict: string; policy?: string; reason?: string; callId?: string };
  'approval.requested': { id: string; phase: string; reason?: string; policy?: string };
  'approval.resolved': { id: string; verdict: string; by: string; via: string; scope?: string; reason?: string; guest?: { user: string; uid: number } };
  /** An approval verb refused because of who asked (an agent's process, or no way to tell). */
  'approval.refused': { id: string; verb: string; why: string; pid?: number; from?: string };
  usage: UsageData;
  /**
   * The harness's own running cost of its session (Claude's statusLine `cost.total_cost_usd`),
   * logged when it changes. Cumulative per harness session: a new harnessSessionId starts over.
   */
  'cost.reported': { totalUsd: number; source: string; harnessSessionId?: string; model?: string };
  'session.exited': { code: number | null; reason?: string };
  /** A sandboxed session started: what it can reach and which secrets its proxy holds (names only). */
  'sandbox.started': { backend: 'bwrap' | 'seatbelt'; writable: string[]; allow: string[]; unknown: 'deny' | 'ask'; secrets: string[]; modelEndpoints: string[] };
  /**
   * One request through the session's egress proxy: never header values, query strings or
   * bodies. `secrets` names what was injected.
   */
  'egress.request': { scheme: string; host: string; port: number; method: string; path: string; verdict: 'allow' | 'deny'; status?: number; reason?: string; secrets?: string[]; ms?: number };
  /** In a parent's log: a sub-agent it started (omni_spawn) finished a turn and is idle. */
  'child.idle': { child: string; name: string; harness: string; status: SessionStatus };
  /** In a parent's log: a sub-agent it started has ended. */
  'child.exited': { child: string; name: string; harness: string; status: SessionStatus; exitCode?: number };
  /** In a Polly lead's log: the lead's plan was accepted (tasks) or refused (errors) (docs/POLLY.md). */
  'polly.plan': { run: string; accepted: boolean; tasks?: number; errors?: string[] };
  /** In a Polly lead's log: a task changed status. */
  'polly.task': { run: string; task: string; status: string; previous?: string; round?: number; reason?: string; session?: string };
  /** In a Polly lead's log: a reviewer's verdict on a task, parsed and stored. */
  'polly.review': { run: string; task: string; round: number; verdict: 'approve' | 'changes'; reviewer: string; vendor: string; findings: number };
  /** In each Debby head's log: an exchange started or ended (docs/DEBBY.md). */
  'debby.exchange': { run: string; n: number; kind: 'ask' | 'critique' | 'synthesis'; round?: number; state: 'started' | 'done' };
  error: { message: string; code?: string };
  // Sharing and hand-off (docs/COLLABORATION.md)
  /** `omni send`: who typed it (the Unix user behind the connection, the owner too), before it is typed. */
  'input.sent': { by: string; uid?: number; text: string; submit: boolean; guest?: true };
  /** Something a guest (another Unix user with a grant) did to this session. */
  'guest.action': { user: string; uid: number; action: string; role: string; approval?: string; text?: string };
  /** The owner gave a Unix user a role on this session (`omni share`). */
  'share.granted': { user: string; uid: number; role: string; previous?: string };
  /** The owner took it back (`omni share rm`). */
  'share.revoked': { user: string; uid: number; role: string };
}

export type EventType = keyof EventDataMap;

export interface OmniEvent<T extends EventType = EventType> {
  seq: number;
  ts: string;
  session: string;
  type: T;
  data: EventDataMap[T];
}

export type NewEvent = { [K in EventType]: { type: K; data: EventDataMap[K] } }[EventType];
