import type { SessionStatus } from './events.js';

/** What omni knows about a session; persisted in the session index and served by the API. */
export interface SessionRecord {
  id: string;
  name: string;
  harness: string;
  model?: string;
  cwd: string;
  status: SessionStatus;
  /** Why the status is what it is, e.g. "first-run screen: trust dialog". */
  statusReason?: string;
  /** Where the status came from: a structured signal (hook) or a fallback (pane, tmux). */
  statusSource?: string;
  createdAt: string;
  updatedAt: string;
  exitedAt?: string;
  exitCode?: number | null;
  /** omni's tmux session name (always the id, so it never collides with a reused name). */
  tmuxSession: string;
  paneId?: string;
  panePid?: number;
  /** The harness's own session id, captured from its signals (for resume). */
  harnessSessionId?: string;
  transcriptPath?: string;
  /** argv the pane runs (environment not included: it may hold secrets). */
  command: string[];
  /** The session that started this one through omni's MCP tools (`omni_spawn`); absent for a root. */
  parent?: string;
  /** The session it was forked from (`omni fork`): `omni ls --tree` shows it under that one. */
  forkedFrom?: string;
  /** The git worktree omni made for it (a sub-agent with `worktree: true`, docs/AGENTS.md). */
  worktree?: SessionWorktree;
  /**
   * The first prompt (an agent spec's, or omni_spawn's) until the harness has taken it: kept in
   * the record so a daemon that dies before typing it leaves it for the next one.
   */
  pendingPrompt?: string;
  /** It may start sub-agents: its spec has `spawn: true` (the grant is in its directory, spawn.json). */
  spawn?: boolean;
  /** Running spend, from this session's usage events (kept by the daemon as they are logged). */
  cost?: SessionCost;
  /** Runs in omni's sandbox (settings in state/sessions/<id>/sandbox.json). */
  sandbox?: boolean;
  /** The agent spec it runs, if started with `omni run`. */
  agent?: { name: string; file: string };
  /** Labels to pick sessions by (`--tag`, `omni tag`, `omni send --tag`); sorted, no repeats. */
  tags?: string[];
  /**
   * The person's own tmux (from $TMUX/$TMUX_PANE of the shell that started or resumed the
   * session), where notifications go. Never passed to the agent.
   */
  callerTmux?: { socket: string; pane?: string };
  /**
   * The last prompt was blocked by policy (a deny, or an ask that was denied) and nothing ran
   * since: set with the `idle` it leaves, cleared as soon as the session runs again.
   */
  blocked?: PromptBlock;
  lastSeq: number;
  /**
   * Who is attached to its tmux session now, and how (`omni attach`: drive, `omni watch`: watch).
   * Not stored: GET /v1/sessions reads it from tmux (one list-clients) when a session is live.
   */
  clients?: AttachedClient[];
}

export interface AttachedClient {
  user: string;
  mode: 'watch' | 'drive';
  tty: string;
}

/**
 * A worktree omni made for a session: `git worktree add` of `repo` at `path` (under
 * $OMNI_HOME/worktrees, outside the checkout), on a new `branch` (`omni/<name>`) from `base`.
 */
export interface SessionWorktree {
  /** The main repository's top level (the lead's checkout, or the repo its worktree belongs to). */
  repo: string;
  path: string;
  branch: string;
  /** The commit the branch started from (a full sha). */
  base: string;
  /** The branch `base` was taken from, when it was one (the lead's branch, e.g. `main`): what "merged" is judged against. */
  baseRef?: string;
}

/** Which policy blocked a prompt, and why. */
export interface PromptBlock {
  policy?: string;
  reason: string;
}

const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** `<prefix>` and 8 letters and digits, none easy to mistake for another (no l, o, 0, 1). */
export function newId(prefix: string, random: () => number = Math.random): string {
  let s = prefix;
  for (let i = 0; i < 8; i++) s += ID_ALPHABET[Math.floor(random() * ID_ALPHABET.length)];
  return s;
}

export function newSessionId(random: () => number = Math.random): string {
  return newId('s_', random);
}

/** Names become part of commands and tmux targets: keep them plain. */
export function validateSessionName(name: string): string | undefined {
  if (!name) return 'a session name cannot be empty';
  if (name.length > 64) return 'a session name is at most 64 characters';
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) return 'a session name uses letters, digits, "-" and "_", starting with a letter or digit';
  if (/^s_[a-z0-9]+$/.test(name)) return 'a session name cannot look like a session id (s_…)';
  return undefined;
}

/** Tags are typed on command lines and shown in tables: short and plain, like names. */
export function validateTag(tag: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/.test(tag)) return `invalid tag "${tag}": a tag is 1-32 letters, digits, "-", "_" and ".", starting with a letter or digit`;
  return undefined;
}

/** `tags` after adding and removing some: sorted, no repeats. */
export function applyTags(tags: readonly string[] | undefined, add: readonly string[] = [], remove: readonly string[] = []): string[] {
  const set = new Set(tags ?? []);
  for (const t of add) set.add(t);
  for (const t of remove) set.delete(t);
  return [...set].sort();
}

/** Whether a session carries every one of `tags`. */
export function hasTags(rec: SessionRecord, tags: readonly string[]): boolean {
  return tags.every((t) => rec.tags?.includes(t));
}

export function isLive(status: SessionStatus): boolean {
  return status !== 'exited' && status !== 'failed';
}

/** Of several sessions (oldest first) a ref could mean: a live one first, then the newest. */
export function preferLive<T extends SessionRecord>(list: readonly T[]): T | undefined {
  return list.filter((s) => isLive(s.status)).pop() ?? list[list.length - 1];
}

/** A session by id, or by name (`preferLive`): how a ref is resolved everywhere. */
export function findSession<T extends SessionRecord>(list: readonly T[], ref: string): T | undefined {
  return list.find((s) => s.id === ref) ?? preferLive(list.filter((s) => s.name === ref));
}

export interface SessionCost {
  /** Sum of computedCostUsd over priced usage events. */
  computedUsd: number;
  /** What the harness itself reports (cumulative for the session), when it does. */
  reportedUsd?: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  messages: number;
  /** Models seen without a price: their spend is unknown, never counted as $0. */
  unpricedModels?: string[];
}
