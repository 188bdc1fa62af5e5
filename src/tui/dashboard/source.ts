import type { OmniClient } from '../../client/api.js';
import type { OmniEvent } from '../../core/events.js';
import { budgetFromPolicies } from './budget.js';
import type { DashboardSource } from './store.js';

/** The dashboard's data from the daemon: the list, `/v1/events`, the approvals stream, policies. */
export function clientSource(c: OmniClient): DashboardSource {
  return {
    sessions: async () => (await c.sessions(false)).sessions,
    events: (signal) => c.stream<OmniEvent>('/v1/events', signal),
    approvals: (signal) => c.approvalsStream(signal),
    pendingApprovals: async () => (await c.approvals()).approvals,
    budget: async (id) => budgetFromPolicies(await c.request<unknown>(`/v1/sessions/${encodeURIComponent(id)}/policies`, { timeoutMs: 5000 })),
  };
}
