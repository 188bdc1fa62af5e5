import { ExitCode, OmniError } from '../core/errors.js';
import type { OmniPaths } from '../core/paths.js';
import type { OmniClient } from './api.js';
import { clientFor, loadHosts, type HostEntry } from './hosts.js';

/**
 * Views across hosts (docs/REMOTE.md, "Every host at once"): `omni ls --all-hosts`, the dashboard, the approvals
 * view and status-line ask the local daemon and every host of hosts.json at once. One host that
 * is down, slow or misconfigured never hides the others: its failure is returned beside their
 * answers, and each host gets its own time limit.
 */

/** What the local daemon is called in the HOST column and the `host` field (`--host local` aims at it too). */
export const LOCAL_HOST = 'local';

/** A host to ask: its client, or why there is none (a hosts.json entry this omni cannot reach yet). */
export interface ViewHost {
  host: string;
  client?: OmniClient;
  error?: string;
}

/**
 * The local daemon first, then every configured host in hosts.json order. A hosts.json that
 * cannot be read is one failed "host" (`hosts.json`): the local view still works.
 */
export async function viewHosts(paths: OmniPaths, local: OmniClient): Promise<ViewHost[]> {
  const out: ViewHost[] = [{ host: LOCAL_HOST, client: local }];
  let hosts: HostEntry[];
  try {
    hosts = await loadHosts(paths);
  } catch (err) {
    return [...out, { host: 'hosts.json', error: errorText(err) }];
  }
  for (const h of hosts) {
    try {
      out.push({ host: h.name, client: clientFor(h, paths) });
    } catch (err) {
      out.push({ host: h.name, error: errorText(err) });
    }
  }
  return out;
}

export interface HostResult<T> {
  host: string;
  value: T;
}

export interface HostFailure {
  host: string;
  error: string;
}

/** Every host's answer to `ask` (in host order), and the hosts that gave none within `timeoutMs`. */
export async function askHosts<T>(hosts: readonly ViewHost[], ask: (c: OmniClient, host: string, timeoutMs: number) => Promise<T>, timeoutMs: number): Promise<{ results: HostResult<T>[]; failures: HostFailure[] }> {
  const settled = await Promise.all(
    hosts.map(async (h): Promise<HostResult<T> | HostFailure> => {
      if (!h.client) return { host: h.host, error: h.error ?? 'no client' };
      try {
        // The request is given the limit too, so that it is ended (a pending one keeps the CLI alive).
        return { host: h.host, value: await withTimeout(ask(h.client, h.host, timeoutMs), timeoutMs + 250, timeoutMs) };
      } catch (err) {
        return { host: h.host, error: errorText(err) };
      }
    }),
  );
  return {
    results: settled.filter((r): r is HostResult<T> => 'value' in r),
    failures: settled.filter((r): r is HostFailure => 'error' in r),
  };
}

/**
 * `p`, or a daemon_unreachable error after `ms` ("no answer within `limit` ms": the limit the
 * request itself was given, this being a backstop for a transport that does not keep it).
 */
export function withTimeout<T>(p: Promise<T>, ms: number, limit = ms): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return p;
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new OmniError(`no answer within ${limit} ms`, 'daemon_unreachable', ExitCode.daemonUnreachable)), ms);
    t.unref?.();
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

/** The one line a view prints on stderr for a host that did not answer. */
export function failureLine(f: HostFailure): string {
  return `${f.host}: unreachable: ${f.error.replace(/\s+/g, ' ').trim()}`;
}

/** A positive number of milliseconds from an option or the environment, else `fallback`. */
export function msOption(value: string | number | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Why a host failed; the client's hint to start the daemon is about this machine's, so it goes. */
export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).replace(/; start it with: omni daemon start$/, '');

/**
 * One stream over every host's (`open`), until `signal` aborts: a host whose stream ends or
 * fails is reported to `onHost` and reopened after `retryMs` on its own, the others go on
 * (`onHost(host, undefined)` on its first item again). Items keep the order each host sent them in.
 */
export async function* mergeHostStreams<T>(
  hosts: readonly ViewHost[],
  open: (c: OmniClient, host: string, signal: AbortSignal) => AsyncIterable<T>,
  outer: AbortSignal,
  opts: { retryMs?: number; onHost?: (host: string, error: string | undefined) => void } = {},
): AsyncGenerator<T> {
  const stop = linked(outer);
  const signal = stop.signal;
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  const follow = async (h: ViewHost) => {
    if (!h.client) return opts.onHost?.(h.host, h.error ?? 'no client');
    while (!signal.aborted) {
      let error = 'the stream ended';
      let first = true;
      try {
        for await (const item of open(h.client, h.host, signal)) {
          if (first) opts.onHost?.(h.host, undefined);
          first = false;
          queue.push(item);
          wake?.();
        }
      } catch (err) {
        if (signal.aborted) return;
        error = errorText(err);
      }
      opts.onHost?.(h.host, error);
      await sleepUnless(opts.retryMs ?? 2000, signal);
    }
  };
  signal.addEventListener('abort', () => wake?.(), { once: true });
  void Promise.all(hosts.map(follow));
  try {
    while (!signal.aborted) {
      const item = queue.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    stop.abort(); // the reader stopped: close every host's stream
  }
}

/** A controller that aborts with `outer` too (so a merged stream can close its hosts' streams on its own). */
export function linked(outer: AbortSignal): AbortController {
  const c = new AbortController();
  if (outer.aborted) c.abort();
  else outer.addEventListener('abort', () => c.abort(), { once: true });
  return c;
}

/** Wait `ms`, or less if `signal` aborts (its listener removed either way: retries run for hours). */
export function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
