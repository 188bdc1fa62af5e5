import type { SessionWorktree } from '../core/session.js';
import type { GitRunner } from '../worktree/git.js';

/** One branch to merge, as the command line named it. */
export interface MergeItem {
  /** What was named: a session id or name, or a branch. */
  ref: string;
  /** The local branch to merge (`omni/coder-1`). */
  branch: string;
  /** The session that owns the branch, when there is one. */
  session?: { id: string; name: string; live: boolean };
  /** That session's worktree (its uncommitted work is committed first when the session has ended). */
  worktree?: SessionWorktree;
}

export type MergeOutcomeKind = 'merged' | 'conflict' | 'check_failed' | 'skipped';

export interface MergeOutcome {
  ref: string;
  session?: string;
  branch: string;
  outcome: MergeOutcomeKind;
  /** Why it was skipped, or what else happened (its uncommitted work was committed first, nothing new). */
  reason?: string;
  /** conflict: the files git could not merge. */
  files?: string[];
  /** conflict: git's message; check_failed: the tail of the check's output. */
  output?: string;
  /** Whether its session was sent a message saying why it did not merge (absent: no session owns it). */
  told?: boolean;
  /** merged: the integration HEAD after it. */
  commit?: string;
  /** The sha of the commit that saved an ended session's uncommitted work before the merge. */
  savedCommit?: string;
}

export interface MergeResult {
  into: string;
  /** The refs that merged, in order. */
  merged: string[];
  outcomes: MergeOutcome[];
  /** The target branch was moved to the result. */
  updated: boolean;
  /** The target's tip before, and the result (equal when nothing merged). */
  from: string;
  to: string;
  /** Why the target was not updated although something merged. */
  notUpdated?: { reason: 'no_terminal' | 'declined' | 'git_refused'; message: string };
}

export interface CheckResult {
  exitCode: number;
  /** stdout and stderr, interleaved. */
  output: string;
}

/** What the queue needs from the world; all of it passed in (tests substitute each). */
export interface MergeDeps {
  git: GitRunner;
  now: () => Date;
  /** Run the check command (`sh -c CMD`) in `cwd`. */
  check: (command: string, cwd: string) => Promise<CheckResult>;
  /** Send `text` to a live session as a message (the daemon's input route). */
  notify: (sessionId: string, text: string) => Promise<void>;
  /** One progress line (the CLI writes it to stderr). */
  progress: (line: string) => void;
  /** Ask a person to confirm the update (only called on a TTY without --yes). */
  confirm: (question: string) => Promise<boolean>;
}

export interface MergeOptions {
  /** The main repository's top level. */
  repo: string;
  /** The target branch (short name). */
  into: string;
  items: MergeItem[];
  /** Shell command run after each branch, in the integration worktree. */
  check?: string;
  /** Where integration worktrees go: $OMNI_HOME/merge. */
  workRoot: string;
  /** Update the target without asking. */
  yes?: boolean;
  /** A person is at a terminal to confirm. */
  interactive: boolean;
  /** Stop between branches (Ctrl-C): the integration worktree is still removed, the target not moved. */
  signal?: AbortSignal;
}
