import type { OmniClient } from '../../client/api.js';
import type { OmniEvent } from '../../core/events.js';
import type { SessionRecord } from '../../core/session.js';
import type { DashboardActions } from './actions.js';
import { budgetFromPolicies } from './budget.js';
import type { DashboardSource } from './store.js';

/** The dashboard's data from the daemon: the list, `/v1/events`, the approvals stream, policies. */
export function clientSource(c: OmniClient): DashboardSource {
  return {
    sessions: async (all) => (await c.sessions(Boolean(all))).sessions,
    events: (signal) => c.stream<OmniEvent>('/v1/events', signal),
    approvals: (signal) => c.approvalsStream(signal),
    pendingApprovals: async () => (await c.approvals()).approvals,
    budget: async (id) => budgetFromPolicies(await c.request<unknown>(`/v1/sessions/${encodeURIComponent(id)}/policies`, { timeoutMs: 5000 })),
  };
}

/**
 * The dashboard's actions: the endpoints `omni send|interrupt|stop|resume|rename` and
 * `omni <harness> -d` call. `env` and `cwd` are the dashboard's shell's, as those commands send theirs.
 */
export function clientActions(c: OmniClient, caller: { env: Record<string, string>; cwd: string }): DashboardActions {
  const at = (id: string, what: string) => `/v1/sessions/${encodeURIComponent(id)}/${what}`;
  return {
    screen: async (id) => (await c.request<{ text: string }>(at(id, 'screen'), { timeoutMs: 5000 })).text,
    send: (id, text) => c.request<{ queued: boolean }>(at(id, 'input'), { body: { text, submit: true } }),
    interrupt: (id) => c.request(at(id, 'interrupt'), { method: 'POST' }),
    stop: (id) => c.request(at(id, 'stop'), { method: 'POST' }),
    resume: (id) => c.request(at(id, 'resume'), { body: { env: caller.env, args: [] } }),
    rename: (id, name) => c.request(at(id, 'rename'), { body: { name } }),
    create: async (harness, name) =>
      (await c.request<{ session: SessionRecord }>('/v1/sessions', { body: { harness, cwd: caller.cwd, env: caller.env, ...(name ? { name } : {}), args: [] } })).session,
    harnesses: async () => (await c.request<{ harnesses: Array<{ name: string }> }>('/v1/harnesses')).harnesses.map((h) => h.name),
  };
}
