import type { NewEvent } from '../core/events.js';
import type { SessionRecord, SessionWorktree } from '../core/session.js';
import type { DiffStat } from '../polly/types.js';
import type { SandboxLayer } from '../sandbox/settings.js';
import type { ChildStartRequest } from './child-start.js';
import type { SendResult } from './pane-io.js';
import type { PolicyRefInput } from './policy-service.js';
import type { PollyStore } from './polly-store.js';
import type { TurnAnswer } from './turns.js';

/** Real git, as the Polly service needs it (polly-wiring.ts builds it on src/worktree). */
export interface PollyGit {
  /** The top level of the checkout `cwd` is in; throws (a clear message) when it is in none. */
  topLevel(cwd: string): Promise<string>;
  /** The branch `cwd` is on, or the commit when HEAD is detached. */
  base(cwd: string): Promise<string>;
  /** The worker's whole change against its base, cut at `maxBytes`. */
  diff(wt: SessionWorktree, maxBytes: number): Promise<{ diff: string; truncated: boolean }>;
  stat(wt: SessionWorktree): Promise<DiffStat>;
  /** Commit whatever is uncommitted in the worktree on its branch; the new sha, or undefined if it was clean. */
  commitPending(wt: SessionWorktree, message: string): Promise<string | undefined>;
}

/** The lead's spec (agents/polly.yaml): its harness, model, policies and sandbox. */
export interface LeadSpec {
  harness: string;
  model?: string;
  policies: PolicyRefInput[];
  sandbox?: SandboxLayer;
  file?: string;
}

/** What the Polly service is built on (polly-wiring.ts passes the daemon's parts in). */
export interface PollyDeps {
  store: PollyStore;
  sessions: {
    get(id: string): SessionRecord | undefined;
    all(): SessionRecord[];
    send(rec: SessionRecord, text: string): Promise<SendResult>;
    stop(rec: SessionRecord): Promise<SessionRecord>;
  };
  /** The composer's one way of starting a session (child-start.ts). */
  startChild(req: ChildStartRequest): Promise<{ rec: SessionRecord; worktree?: SessionWorktree }>;
  /** The end of the first turn after seq `from`, read from the log first (Turns.waitTurnEnd: a restart resumes). */
  turnEnd(id: string, from: number, signal: AbortSignal): Promise<TurnAnswer>;
  lastSeq(rec: SessionRecord): number;
  emit(rec: SessionRecord, ev: NewEvent): void;
  harnessNames(): string[];
  vendorOf(harness: string, model?: string): string;
  git: PollyGit;
  leadSpec(): LeadSpec;
  /** The policy sets the daemon attaches to workers and reviewers (src/polly/policies.ts). */
  policies: { worker: PolicyRefInput[]; reviewer: PolicyRefInput[] };
  log(msg: string): void;
  now?(): Date;
}

/** What a reviewer gets inline at most. */
export const REVIEW_DIFF_MAX_BYTES = 64 * 1024;
