import type { OmniClient } from '../../client/api.js';
import { LOCAL_HOST, askHosts, mergeHostStreams, type ViewHost } from '../../client/all-hosts.js';
import { HostApprovals } from '../../client/host-approvals.js';
import type { OmniEvent } from '../../core/events.js';
import type { SessionRecord } from '../../core/session.js';
import type { DashboardActions } from './actions.js';
import type { DashboardSource } from './model.js';
import { clientActions, clientSource } from './source.js';

/**
 * The dashboard over several daemons (docs/REMOTE.md, "Every host at once"): this machine's and every host of
 * hosts.json. Sessions carry their `host` (shown as `devbox:name`); the event and approvals
 * streams are merged, each host reopened on its own when it drops; an action on a session goes
 * to the daemon it came from (ids are random, so one id names one session across hosts). A
 * host that is down is reported to `onHost` and never breaks the local view. New sessions start
 * on this machine.
 */
export class HostsDashboard {
  /** Which host each session (and approval) is on, learned from the lists and streams. */
  private readonly hostOf = new Map<string, string>();
  private readonly clients = new Map<string, OmniClient>();
  private readonly approvals: HostApprovals;

  constructor(
    private readonly hosts: readonly ViewHost[],
    private readonly opts: { timeoutMs: number; retryMs?: number; onHost?: (host: string, error: string | undefined) => void },
  ) {
    for (const h of hosts) if (h.client) this.clients.set(h.host, h.client);
    this.approvals = new HostApprovals(hosts, { retryMs: opts.retryMs, onHost: opts.onHost });
  }

  /** The daemon a session is on (this machine's for one never seen). */
  clientOf(sessionId: string): OmniClient {
    return this.clients.get(this.hostOf.get(sessionId) ?? LOCAL_HOST) ?? this.clients.get(LOCAL_HOST)!;
  }

  source(): DashboardSource {
    return {
      sessions: async (all) => {
        const { results, failures } = await askHosts(this.hosts, async (c, _h, ms) => (await c.sessions(Boolean(all), [], { timeoutMs: ms })).sessions, this.opts.timeoutMs);
        // The local daemon's failure is the dashboard's own error, as without hosts.
        const localDown = failures.find((f) => f.host === LOCAL_HOST);
        if (localDown) throw new Error(localDown.error);
        for (const f of failures) this.opts.onHost?.(f.host, f.error);
        for (const r of results) if (r.host !== LOCAL_HOST) this.opts.onHost?.(r.host, undefined);
        return results.flatMap(({ host, value }) => value.map((s): SessionRecord => (this.hostOf.set(s.id, host), { ...s, host }) as SessionRecord));
      },
      // A host's state is reported by the list and the approvals stream (not twice by this one).
      events: (signal) => mergeHostStreams<OmniEvent>(this.hosts, (c, host, s) => this.learn(host, c.stream<OmniEvent>('/v1/events', s)), signal, { retryMs: this.opts.retryMs }),
      approvals: (signal) => this.approvals.open(signal),
      pendingApprovals: async () => {
        const { results, failures } = await askHosts(this.hosts, async (c, host, ms) => (await c.approvals({ timeoutMs: ms })).approvals.map((a) => ({ ...a, host })), this.opts.timeoutMs);
        for (const f of failures) this.opts.onHost?.(f.host, f.error);
        return results.flatMap((r) => r.value);
      },
      budget: (id) => clientSource(this.clientOf(id)).budget!(id),
    };
  }

  /** Actions on a session go to its host; a new session starts here. */
  actions(caller: { env: Record<string, string>; cwd: string }): DashboardActions {
    // This shell's environment means nothing on another machine: a remote resume gets the remote daemon's.
    const on = (id: string) => clientActions(this.clientOf(id), this.hostOfSession(id) ? { env: {}, cwd: caller.cwd } : caller);
    const local = clientActions(this.clients.get(LOCAL_HOST)!, caller);
    return {
      screen: (id) => on(id).screen(id),
      send: (id, text) => on(id).send(id, text),
      interrupt: (id) => on(id).interrupt(id),
      stop: (id) => on(id).stop(id),
      resume: (id) => on(id).resume(id),
      rename: (id, name) => on(id).rename(id, name),
      create: (harness, name) => local.create(harness, name),
      harnesses: () => local.harnesses(),
    };
  }

  /** The host of the session `id` (undefined: this machine). */
  hostOfSession(id: string): string | undefined {
    const h = this.hostOf.get(id);
    return h && h !== LOCAL_HOST ? h : undefined;
  }

  private async *learn(host: string, events: AsyncIterable<OmniEvent>): AsyncGenerator<OmniEvent> {
    for await (const ev of events) {
      if (ev.session) this.hostOf.set(ev.session, host);
      yield ev;
    }
  }
}
