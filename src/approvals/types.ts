import type { Phase } from '../policy/types.js';

/** How a person answered an ask. */
export type ApprovalVia = 'cli' | 'tui' | 'popup' | 'api';
export type ApprovalScope = 'once' | 'session';
/** `cancelled`: the agent stopped waiting (interrupted, or its hook was killed) before anyone answered. */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'cancelled';

/**
 * An ask held in the daemon until a person answers (docs/POLICIES.md, docs/API.md). Persisted,
 * so a restarted daemon still has it and the hook that is waiting still gets its answer.
 */
export interface Approval {
  id: string; // ap_…
  session: string;
  sessionName: string;
  /** Set by views that show several hosts (never by the daemon): the host it is pending on (docs/REMOTE.md, "Every host at once"). */
  host?: string;
  harness: string;
  phase: Phase;
  /** The policies that asked, and their reasons. */
  policies: string[];
  reason: string;
  /** What is being asked about, for display. */
  request: {
    tool?: string;
    kind?: string;
    /** The shell command line, for shell tools. */
    command?: string;
    paths?: string[];
    prompt?: string;
    host?: string;
    /** An egress request: `METHOD scheme://host[:port]/path` (no query). */
    url?: string;
    input?: unknown;
  };
  /** Identifies the request so a retried hook joins the same approval (e.g. the tool call id). */
  key: string;
  createdAt: string;
  status: ApprovalStatus;
  resolution?: {
    verdict: 'approve' | 'deny' | 'cancel';
    scope: ApprovalScope;
    by: string;
    via: ApprovalVia;
    at: string;
    reason?: string;
    /** Answered by a guest (another Unix user with a grant: docs/COLLABORATION.md). */
    guest?: { user: string; uid: number };
  };
}

/** Items of the approvals stream (`GET /v1/approvals?follow=1`). */
export type ApprovalStreamItem =
  | { type: 'snapshot'; approvals: Approval[] }
  | { type: 'requested'; approval: Approval }
  | { type: 'resolved'; approval: Approval };
