/**
 * The policies Polly's sessions run under (docs/POLLY.md "Policies"), as the session create
 * request takes them (`CreateSessionRequest.policies`: a builtin's name, or a policy file's
 * text). Data only: the daemon attaches them when it starts the lead, a worker or a reviewer.
 *
 * - lead and reviewers work in the person's own checkout (the repo root): they write no file
 *   and git may only read there (`no_merge_push` with `read_only`), so they cannot commit,
 *   check out, stash or reset the person's work, let alone merge or push.
 * - workers commit in their own worktree: `no_merge_push` (no push, merge, pull, moving other
 *   branches) and `blast_radius` (no force-push or rm -rf of what matters; asks before deploys).
 *
 * agents/polly.yaml names agents/policies/polly-read-only.yaml, which holds READ_ONLY_TEXT's
 * policies (a test keeps the two the same).
 */

/** One policy reference, the shape of `PolicyRefInput` (src/daemon/policy-service.ts). */
export interface PollyPolicyRef {
  ref: string;
  source?: string;
  text?: string;
  level: 'agent';
}

/** no_merge_push with git read-only, and every write denied: a session that changes nothing. */
export const READ_ONLY_TEXT = `policies:
  - use: no_merge_push
    description: git may only read; no merge, push or ref moves
    with: { read_only: true }
  - use: ask_on_write
    name: writes_denied
    description: this session writes no files
    with: { verdict: deny }
`;

const readOnly: PollyPolicyRef = { ref: 'polly_read_only', source: 'polly:read-only', text: READ_ONLY_TEXT, level: 'agent' };

export const POLLY_POLICIES: Readonly<Record<'lead' | 'worker' | 'reviewer', readonly PollyPolicyRef[]>> = {
  lead: [readOnly],
  worker: [
    { ref: 'no_merge_push', level: 'agent' },
    { ref: 'blast_radius', level: 'agent' },
  ],
  reviewer: [readOnly],
};

/** A fresh copy for a request body (the constants stay untouched). */
export function pollyPolicies(role: 'lead' | 'worker' | 'reviewer'): PollyPolicyRef[] {
  return POLLY_POLICIES[role].map((p) => ({ ...p }));
}
