/**
 * What a guest (another Unix user with a grant: docs/COLLABORATION.md) may ask of the control
 * API. Roles are cumulative: watch < drive < approve. Anything not listed is the owner's alone.
 */
export type ShareRole = 'watch' | 'drive' | 'approve';

export const SHARE_ROLES: readonly ShareRole[] = ['watch', 'drive', 'approve'];

export function roleAtLeast(have: ShareRole, need: ShareRole): boolean {
  return SHARE_ROLES.indexOf(have) >= SHARE_ROLES.indexOf(need);
}

/** The higher of two roles. */
export function maxRole(a: ShareRole, b: ShareRole): ShareRole {
  return roleAtLeast(a, b) ? a : b;
}

/**
 * A guest's rule for a request: `session` names the path segment that is a session ref (it is
 * resolved among the guest's granted sessions, to an id, before the grant is checked), `approval`
 * the one that is an approval id, `list` a route answered with the guest's sessions only.
 * `action` is the audit name of what changes something (a `guest.action` event).
 */
export type GuestRule =
  | { kind: 'session'; need: ShareRole; action?: string }
  | { kind: 'approval'; need: ShareRole; action: string }
  | { kind: 'list'; what: 'daemon' | 'sessions' | 'approvals' | 'harnesses' | 'cost' }
  | { kind: 'owner' };

const SESSION = '/v1/sessions/([^/]+)';
const TABLE: Array<[string, RegExp, GuestRule]> = [
  ['GET', /^\/v1\/daemon$/, { kind: 'list', what: 'daemon' }],
  ['GET', /^\/v1\/harnesses$/, { kind: 'list', what: 'harnesses' }],
  ['GET', /^\/v1\/sessions$/, { kind: 'list', what: 'sessions' }],
  ['GET', /^\/v1\/approvals$/, { kind: 'list', what: 'approvals' }],
  ['GET', /^\/v1\/cost$/, { kind: 'list', what: 'cost' }],
  ['GET', new RegExp(`^${SESSION}$`), { kind: 'session', need: 'watch' }],
  ['GET', new RegExp(`^${SESSION}/(screen|wait|events|policies)$`), { kind: 'session', need: 'watch' }],
  ['POST', new RegExp(`^${SESSION}/input$`), { kind: 'session', need: 'drive', action: 'send' }],
  ['POST', new RegExp(`^${SESSION}/interrupt$`), { kind: 'session', need: 'drive', action: 'interrupt' }],
  ['POST', /^\/v1\/approvals\/([^/]+)\/approve$/, { kind: 'approval', need: 'approve', action: 'approve' }],
  ['POST', /^\/v1\/approvals\/([^/]+)\/deny$/, { kind: 'approval', need: 'approve', action: 'deny' }],
];

/** The rule for a guest's request; `ref` is the session ref or approval id in the path, raw. */
export function guestRule(method: string, pathname: string): { rule: GuestRule; ref?: string } {
  for (const [m, re, rule] of TABLE) {
    if (m !== method) continue;
    const hit = re.exec(pathname);
    if (hit) return { rule, ...(hit[1] !== undefined ? { ref: hit[1] } : {}) };
  }
  return { rule: { kind: 'owner' } };
}
