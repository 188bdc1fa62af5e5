import type { Approval } from '../../approvals/types.js';
import { compareApprovals, describeRequest, formatAge, oneLine } from '../../tui/approvals/format.js';
import { makeChalk, table } from '../output.js';

/** The listing for pipes and scripts: ID, SESSION, POLICY, REQUEST, AGE (and STATUS with --all). */
export function formatApprovalsTable(approvals: readonly Approval[], now: number, all = false, withHost = false): string {
  if (!approvals.length) return all ? 'no approvals' : 'no pending approvals';
  const c = makeChalk();
  const head = all ? ['ID', 'SESSION', 'POLICY', 'REQUEST', 'AGE', 'STATUS'] : ['ID', 'SESSION', 'POLICY', 'REQUEST', 'AGE'];
  const rows = [withHost ? ['HOST', ...head] : head];
  for (const a of [...approvals].sort(compareApprovals)) {
    const row = [...(withHost ? [a.host ?? ''] : []), a.id, a.sessionName, a.policies.join(',') || '-', oneLine(describeRequest(a).text, 80), formatAge(a.createdAt, now)];
    if (all) row.push(a.status === 'pending' ? 'pending' : `${a.status}${a.resolution ? ` (${a.resolution.via})` : ''}`);
    rows.push(row);
  }
  return table(rows, c);
}
