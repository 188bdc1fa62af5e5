import type { OmniClient } from '../../client/api.js';
import type { OmniEvent } from '../../core/events.js';
import type { DebbyExchange, DebbyRun } from '../../debby/types.js';
import type { DebbySource } from './store.js';

const at = (run: string, what = '') => `/v1/debby/${encodeURIComponent(run)}${what ? `/${what}` : ''}`;

/**
 * The Debby view's data and actions from the daemon (docs/API.md): the same endpoints
 * `omni debby ask|debate|show` call. `cwd` picks `latest` among the runs started here.
 */
export function clientDebbySource(c: OmniClient, cwd: string): DebbySource {
  return {
    run: async (ref) => (await c.request<{ run: DebbyRun }>(ref === 'latest' ? `${at(ref)}?cwd=${encodeURIComponent(cwd)}` : at(ref), { timeoutMs: 10_000 })).run,
    events: (signal) => c.stream<OmniEvent>('/v1/events', signal),
    heads: async (ids) => (await c.sessions(true)).sessions.filter((s) => ids.includes(s.id)).map((s) => ({ id: s.id, status: s.status })),
    headEvents: async (session, last) => {
      const out: OmniEvent[] = [];
      for await (const ev of c.stream<OmniEvent>(`/v1/sessions/${encodeURIComponent(session)}/events?last=${last}`)) out.push(ev);
      return out;
    },
    ask: (run, text) => c.request<{ run?: DebbyRun; exchange?: DebbyExchange }>(at(run, 'ask'), { body: { text } }),
    debate: (run, rounds) => c.request<{ run?: DebbyRun; exchanges?: DebbyExchange[] }>(at(run, 'debate'), { body: rounds ? { rounds } : {} }),
  };
}
