import type { OmniClient } from '../../client/api.js';
import type { OmniEvent } from '../../core/events.js';
import type { DebbyExchange, DebbyRun, DebbyStartRequest } from '../../debby/types.js';
import type { DebbySource } from './store.js';


/** The Debby API (docs/DEBBY.md, docs/API.md): what the view reads and does, and the rest the commands call. */
export interface DebbyApi extends DebbySource {
  start(req: DebbyStartRequest): Promise<DebbyRun>;
  runs(): Promise<DebbyRun[]>;
  stop(run: string): Promise<DebbyRun>;
}

/**
 * The Debby API over the control socket, for the view and `omni debby …` alike. `cwd` picks
 * `latest` among the runs started here.
 */
export function clientDebbySource(c: OmniClient, cwd: string): DebbyApi {
  const at = (run: string, what = '') => `/v1/debby/${encodeURIComponent(run)}${what ? `/${what}` : ''}${run === 'latest' ? `?cwd=${encodeURIComponent(cwd)}` : ''}`;
  return {
    start: async (req) => (await c.request<{ run: DebbyRun }>('/v1/debby', { body: req })).run,
    runs: async () => (await c.request<{ runs: DebbyRun[] }>('/v1/debby')).runs,
    stop: async (run) => (await c.request<{ run: DebbyRun }>(at(run, 'stop'), { method: 'POST' })).run,
    run: async (ref) => (await c.request<{ run: DebbyRun }>(at(ref), { timeoutMs: 10_000 })).run,
    events: (signal) => c.stream<OmniEvent>('/v1/events', signal),
    heads: async (ids) => (await c.sessions(true)).sessions.filter((s) => ids.includes(s.id)).map((s) => ({ id: s.id, status: s.status })),
    headEvents: async (session, last) => {
      const out: OmniEvent[] = [];
      for await (const ev of c.stream<OmniEvent>(`/v1/sessions/${encodeURIComponent(session)}/events?last=${last}`)) out.push(ev);
      return out;
    },
    ask: (run, text, o = {}) => c.request<{ run?: DebbyRun; exchange?: DebbyExchange }>(at(run, 'ask'), { body: { text, ...(o.timeoutS ? { timeoutS: o.timeoutS } : {}) } }),
    debate: (run, rounds, o = {}) =>
      c.request<{ run?: DebbyRun; exchanges?: DebbyExchange[] }>(at(run, 'debate'), {
        body: { ...(rounds !== undefined ? { rounds } : {}), ...(o.synth ? { synth: o.synth } : {}), ...(o.timeoutS ? { timeoutS: o.timeoutS } : {}) },
      }),
  };
}
