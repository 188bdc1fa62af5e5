import path from 'node:path';
import { LOCAL_HOST, withTimeout, type ViewHost } from '../../client/all-hosts.js';
import { ensurePrivateDir, readJsonFile, writeFileAtomic } from '../../core/fsutil.js';
import type { OmniPaths } from '../../core/paths.js';
import { fetchStatusLine, type HostStatus, type StatusLineData } from './status-line-data.js';

/**
 * `omni status-line` with hosts (docs/REMOTE.md, "Every host at once"): the local figures and every host's, the
 * remote ones read at most every `cacheMs` (a tmux status bar asks every few seconds; an ssh
 * round trip each time would cost more than the line is worth). The cache is a small file under
 * run/: each host's last answer and when it came. A host that does not answer within the
 * timeout shows as `HOST off` and is asked again on the next call.
 */

export const STATUS_HOSTS_CACHE_MS = 10_000;

type Cache = Record<string, { at: number; data: StatusLineData }>;

export function statusCacheFile(paths: OmniPaths): string {
  return path.join(paths.runDir, 'status-line-hosts.json');
}

export async function fetchAllHosts(hosts: readonly ViewHost[], paths: OmniPaths, opts: { timeoutMs: number; cacheMs?: number; now?: number }): Promise<StatusLineData> {
  const now = opts.now ?? Date.now();
  const cacheMs = opts.cacheMs ?? STATUS_HOSTS_CACHE_MS;
  const file = statusCacheFile(paths);
  const cache: Cache = readCache(file);
  let wrote = false;
  const per = await Promise.all(
    hosts.map(async (h): Promise<HostStatus> => {
      if (!h.client) return { host: h.host, running: false, error: h.error };
      const hit = cache[h.host];
      if (h.host !== LOCAL_HOST && hit && now - hit.at >= 0 && now - hit.at < cacheMs) return { host: h.host, ...hit.data };
      // fetchStatusLine bounds the local socket's requests; an ssh host's transport is bounded here too.
      const data = await withTimeout(fetchStatusLine(h.client, opts.timeoutMs), opts.timeoutMs + 250, opts.timeoutMs).catch((err: unknown) => ({ running: false, error: err instanceof Error ? err.message : String(err) }));
      if (h.host !== LOCAL_HOST) {
        cache[h.host] = { at: now, data };
        wrote = true;
      }
      return { host: h.host, ...data };
    }),
  );
  if (wrote) {
    try {
      ensurePrivateDir(paths.runDir);
      writeFileAtomic(file, JSON.stringify(cache));
    } catch {
      // A status line never fails for its cache.
    }
  }
  return combineStatus(per);
}

/** The cache, or none when it is missing or unreadable (a status line never fails for it). */
function readCache(file: string): Cache {
  try {
    const c = readJsonFile<Cache>(file);
    return c && typeof c === 'object' && !Array.isArray(c) ? c : {};
  } catch {
    return {};
  }
}

/** The totals over the hosts that answered, with each host's own figures in `hosts`. */
export function combineStatus(per: readonly HostStatus[]): StatusLineData {
  const up = per.filter((h) => h.running && !h.error);
  const sum = (f: (h: HostStatus) => number | undefined) => up.reduce((n, h) => n + (f(h) ?? 0), 0);
  const spent = up.filter((h) => h.spendUsd !== undefined);
  // Nothing answered: the local daemon's word (off, or its error), as without hosts.
  if (!up.length) {
    const { host: _h, ...local } = per.find((h) => h.host === LOCAL_HOST) ?? { host: LOCAL_HOST, running: false };
    return { ...local, hosts: [...per] };
  }
  return {
    running: true,
    asks: sum((h) => h.asks),
    sessions: sum((h) => h.sessions),
    waiting: sum((h) => h.waiting),
    ...(spent.length ? { spendUsd: Math.round(sum((h) => h.spendUsd) * 1e9) / 1e9 } : {}),
    ...(up.some((h) => h.unpriced) ? { unpriced: true } : {}),
    hosts: [...per],
  };
}
