import type { OmniClient } from '../../client/api.js';
import type { OmniEvent } from '../../core/events.js';
import type { PollyRun, PollyStartRequest } from '../../polly/types.js';

/**
 * The Polly API (docs/POLLY.md, docs/API.md) as the CLI and the board use it. One interface so
 * the board's tests inject a fake and the commands share the calls.
 */
export interface PollyApi {
  start(req: PollyStartRequest): Promise<PollyRun>;
  runs(): Promise<PollyRun[]>;
  /** `ref`: a run id or `latest` (the newest run of `cwd`'s repository, else the newest). */
  run(ref: string, cwd?: string): Promise<PollyRun>;
  /** The run as stopped (undefined if the daemon answers without it). */
  stop(run: string): Promise<PollyRun | undefined>;
  approve(run: string, task: string, note?: string): Promise<unknown>;
  sendBack(run: string, task: string, note: string): Promise<unknown>;
  merged(run: string, task: string, commit: string): Promise<unknown>;
  /** Every session's events as they happen (`GET /v1/events`; no backlog). */
  events(signal: AbortSignal): AsyncIterable<OmniEvent>;
}

export function clientPolly(c: OmniClient): PollyApi {
  const at = (run: string, rest = '') => `/v1/polly/${encodeURIComponent(run)}${rest}`;
  const task = (run: string, t: string, verb: string) => at(run, `/tasks/${encodeURIComponent(t)}/${verb}`);
  return {
    start: async (req) => (await c.request<{ run: PollyRun }>('/v1/polly', { body: req })).run,
    runs: async () => (await c.request<{ runs: PollyRun[] }>('/v1/polly')).runs,
    run: async (ref, cwd) => (await c.request<{ run: PollyRun }>(at(ref, cwd ? `?${new URLSearchParams({ cwd })}` : ''), { timeoutMs: 15_000 })).run,
    stop: async (run) => (await c.request<{ run?: PollyRun }>(at(run, '/stop'), { method: 'POST', body: {} })).run,
    approve: (run, t, note) => c.request(task(run, t, 'approve'), { body: note ? { note } : {} }),
    sendBack: (run, t, note) => c.request(task(run, t, 'send-back'), { body: { note } }),
    merged: (run, t, commit) => c.request(task(run, t, 'merged'), { body: { commit } }),
    events: (signal) => c.stream<OmniEvent>('/v1/events', signal),
  };
}
