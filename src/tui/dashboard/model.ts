import type { Approval, ApprovalStreamItem } from '../../approvals/types.js';
import type { OmniEvent, SessionStatus } from '../../core/events.js';
import { sessionTree, treeRows } from '../../core/session-tree.js';
import type { SessionRecord } from '../../core/session.js';
import type { ConnectionState, StatusMessage } from '../approvals/store.js';
import type { Budget, Spend } from './budget.js';
import type { DashboardActions, Preview } from './actions.js';

/** The dashboard's types (its source, rows, snapshot) and how a session record becomes a row. */

export type { ConnectionState, StatusMessage } from '../approvals/store.js';
export type { DashboardActions, Preview } from './actions.js';

/** Where the data comes from (OmniClient in the CLI, in-memory iterables in tests). */
export interface DashboardSource {
  /** Live sessions (`GET /v1/sessions`); ended ones too with `all`. */
  sessions(all?: boolean): Promise<SessionRecord[]>;
  /** Every session's live events (`GET /v1/events`). */
  events(signal: AbortSignal): AsyncIterable<OmniEvent>;
  /** A snapshot of pending approvals, then requests and resolutions. */
  approvals(signal: AbortSignal): AsyncIterable<ApprovalStreamItem>;
  /** Pending approvals once (the non-TTY snapshot). */
  pendingApprovals?(): Promise<Approval[]>;
  /** A session's budget, if it has one and the daemon says (undefined: plain spend). */
  budget?(sessionId: string): Promise<Budget | undefined>;
}

export interface DashboardRow {
  id: string;
  name: string;
  /** The host it runs on, when not this machine (views across hosts: docs/REMOTE.md, "Every host at once"). */
  host?: string;
  harness: string;
  model?: string;
  status: SessionStatus;
  statusReason?: string;
  createdAt: string;
  parent?: string;
  /** Under its lead (in the rows shown): how deep (a child 1), and the `├─ `/`└─ ` that draws it; unset on a root. */
  depth?: number;
  treePrefix?: string;
  /** The session's tags, when the daemon keeps them (a filter matches `tag:NAME`). */
  tags?: string[];
  spend: Spend;
  budget?: Budget;
  /** What the budget is measured against: this session's spend, or its tree's; unset for a day budget. */
  budgetSpendUsd?: number;
  /** Pending asks of this session. */
  asks: number;
  /** The last event counted in this row. */
  lastSeq: number;
}

export interface DashboardSnapshot {
  /** Live sessions (and ended ones with `showEnded`) that match the filter, oldest first. */
  readonly rows: readonly DashboardRow[];
  /** How many rows there are before the filter. */
  readonly unfiltered: number;
  /** The filter line: words that must all match (name, id, harness, status, model, `tag:T`). */
  readonly filter: string;
  readonly showEnded: boolean;
  /** Sessions marked for a broadcast (ids, in row order); actions go to them instead of the selected one. */
  readonly marked: readonly string[];
  /** The selected session's screen. */
  readonly preview: Preview | undefined;
  /** Harness names for the new-session picker, once asked for. */
  readonly harnesses: readonly string[] | undefined;
  /** The dashboard has actions (and a preview); without them it only watches. */
  readonly canAct: boolean;
  /** An action is under way (its name). */
  readonly busy: string | undefined;
  /** Pending asks across sessions, oldest first. */
  readonly asks: readonly Approval[];
  /** Index into `rows`; -1 when empty. */
  readonly selected: number;
  readonly selectedId: string | undefined;
  /** Computed spend over the rows (see spendUsd). */
  readonly totalUsd: number;
  /** True once the sessions list arrived. */
  readonly loaded: boolean;
  readonly events: ConnectionState;
  readonly approvals: ConnectionState;
  /** The last failure talking to the daemon (a stream or the list), cleared when it works again. */
  readonly error: string | undefined;
  readonly message: StatusMessage | undefined;
  /** Hosts of hosts.json that cannot be read just now, with why (their sessions are not in `rows`). */
  readonly hostErrors?: ReadonlyArray<{ host: string; error: string }>;
}

export interface DashboardStoreOptions {
  source: DashboardSource;
  /** Wait this long before reopening a stream that ended or broke. */
  retryMs?: number;
  /** Also refetch the list and budgets this often while following (0: only when needed). */
  refreshMs?: number;
  /** Send, stop, rename, preview…: without them the dashboard only watches. */
  actions?: DashboardActions;
  /** Re-read the selected session's screen this often while following (0: never). */
  previewMs?: number;
}

export type StreamName = 'events' | 'approvals';

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
export const isAbort = (err: unknown) => (err as { name?: string } | null)?.name === 'AbortError';
export const round = (usd: number) => Math.round(usd * 1e9) / 1e9;

function tagsOf(rec: SessionRecord): { tags?: string[] } {
  const tags = (rec as { tags?: unknown }).tags;
  return Array.isArray(tags) && tags.length ? { tags: tags.map(String) } : {};
}

export function rowFrom(rec: SessionRecord, prev: DashboardRow | undefined): DashboardRow {
  // The budget is fetched apart (policies); everything else is the record's.
  const c = rec.cost;
  const reportedUsd = c?.reportedUsd;
  // Set by the source across hosts (hosts-source.ts); `local` is this machine.
  const host = (rec as { host?: unknown }).host;
  return {
    id: rec.id,
    name: rec.name,
    ...(typeof host === 'string' && host !== 'local' ? { host } : {}),
    harness: rec.harness,
    ...(rec.model ? { model: rec.model } : {}),
    status: rec.status,
    ...(rec.statusReason ? { statusReason: rec.statusReason } : {}),
    createdAt: rec.createdAt,
    ...(rec.parent ? { parent: rec.parent } : {}),
    ...tagsOf(rec),
    spend: {
      computedUsd: c?.computedUsd ?? 0,
      ...(reportedUsd !== undefined ? { reportedUsd } : {}),
      unpricedModels: [...(c?.unpricedModels ?? [])],
      messages: c?.messages ?? 0,
    },
    ...(prev?.budget ? { budget: prev.budget } : {}),
    asks: 0,
    lastSeq: rec.lastSeq ?? 0,
  };
}


/**
 * The rows in tree order: roots oldest first, each lead's children (oldest first) right under
 * it, drawn with their prefix. Over the rows shown: a child whose lead is filtered out (or
 * ended, with ended sessions hidden) is a root here.
 */
export function treeOrder(rows: readonly DashboardRow[]): DashboardRow[] {
  return treeRows(sessionTree(rows)).map(({ node, prefix }) => {
    const { depth: _d, treePrefix: _p, ...row } = node.item;
    return node.depth ? { ...row, depth: node.depth, treePrefix: prefix } : row;
  });
}
