import type { Approval, ApprovalScope, ApprovalStreamItem, ApprovalVia } from '../approvals/types.js';
import type { OmniClient } from './api.js';
import { LOCAL_HOST, errorText, linked, sleepUnless, type ViewHost } from './all-hosts.js';

/**
 * The approvals streams of several hosts as one (the approvals view and the dashboard across
 * hosts): every approval carries its `host`; a `snapshot` is all hosts' pending asks together,
 * sent again whenever one host's snapshot arrives or one host drops (its asks leave the list
 * until it answers again). A host whose stream fails is reopened after `retryMs`, on its own:
 * the others go on. Answers go to the host the approval came from.
 */
export class HostApprovals {
  private readonly hostOf = new Map<string, string>();
  private readonly clients = new Map<string, OmniClient>();

  constructor(
    private readonly hosts: readonly ViewHost[],
    private readonly opts: { retryMs?: number; onHost?: (host: string, error: string | undefined) => void } = {},
  ) {
    for (const h of hosts) if (h.client) this.clients.set(h.host, h.client);
  }

  /** The client an approval's answer goes to (the local daemon for one never seen). */
  clientFor(id: string): OmniClient | undefined {
    return this.clients.get(this.hostOf.get(id) ?? LOCAL_HOST) ?? this.clients.get(LOCAL_HOST);
  }

  /** The store's actions (ApprovalActions), each answer sent to its approval's host. */
  actions(via: ApprovalVia, nonce?: string) {
    const to = (id: string) => {
      const c = this.clientFor(id);
      if (!c) throw new Error(`no client for the host of ${id}`);
      return c;
    };
    return {
      approve: (id: string, scope: ApprovalScope) => to(id).approve(id, { scope, via, ...(nonce ? { nonce } : {}) }),
      deny: (id: string, reason?: string) => to(id).deny(id, { reason, via, ...(nonce ? { nonce } : {}) }),
    };
  }

  /** `a` with its host, which its answer will go to. */
  tag(host: string, a: Approval): Approval {
    this.hostOf.set(a.id, host);
    return { ...a, host };
  }

  /** One stream over every host, until `outer` aborts or the reader stops (which closes the hosts' streams). */
  async *open(outer: AbortSignal): AsyncGenerator<ApprovalStreamItem> {
    const stop = linked(outer);
    const signal = stop.signal;
    const pending = new Map<string, Approval[]>();
    const queue: ApprovalStreamItem[] = [];
    let wake: (() => void) | undefined;
    const push = (item: ApprovalStreamItem) => {
      queue.push(item);
      wake?.();
    };
    const snapshot = () => push({ type: 'snapshot', approvals: this.hosts.flatMap((h) => pending.get(h.host) ?? []) });
    const follow = async (h: ViewHost) => {
      if (!h.client) return this.opts.onHost?.(h.host, h.error ?? 'no client');
      while (!signal.aborted) {
        let error: string | undefined;
        try {
          for await (const item of h.client.approvalsStream(signal)) {
            if (item.type === 'snapshot') {
              pending.set(h.host, item.approvals.map((a) => this.tag(h.host, a)));
              this.opts.onHost?.(h.host, undefined);
              snapshot();
              continue;
            }
            const a = this.tag(h.host, item.approval);
            const rest = (pending.get(h.host) ?? []).filter((x) => x.id !== a.id);
            pending.set(h.host, item.type === 'requested' && a.status === 'pending' ? [...rest, a] : rest);
            push({ ...item, approval: a });
          }
          error = 'the stream ended';
        } catch (err) {
          if (signal.aborted) return;
          error = errorText(err);
        }
        pending.delete(h.host);
        this.opts.onHost?.(h.host, error);
        snapshot();
        await sleepUnless(this.opts.retryMs ?? 2000, signal);
      }
    };
    signal.addEventListener('abort', () => wake?.(), { once: true });
    void Promise.all(this.hosts.map(follow));
    try {
      while (!signal.aborted) {
        const item = queue.shift();
        if (item) {
          yield item;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      stop.abort();
    }
  }
}
