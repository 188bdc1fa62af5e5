import { addHost, clientFor, findHost, loadHosts, removeHost } from '../../client/hosts.js';
import { ExitCode, OmniError } from '../../core/errors.js';
import { paths } from '../context.js';
import { printJson } from '../json-output.js';

/** `omni hosts add|ls|rm|test` (docs/REMOTE.md). */
export async function hostsAdd(name: string, url: string, opts: { omni?: string; home?: string; json?: boolean }): Promise<number> {
  const entry = await addHost(paths(), { name, url, omni: opts.omni, home: opts.home });
  if (opts.json) printJson(entry);
  else process.stdout.write(`added host ${entry.name} (${entry.url}); check it with: omni hosts test ${entry.name}\n`);
  return 0;
}

export async function hostsLs(opts: { json?: boolean }): Promise<number> {
  const hosts = await loadHosts(paths());
  if (opts.json) {
    printJson({ hosts });
    return 0;
  }
  if (!hosts.length) {
    process.stdout.write('no hosts (omni hosts add NAME ssh://user@host)\n');
    return 0;
  }
  const rows = [['NAME', 'URL', 'OMNI', 'HOME'], ...hosts.map((h) => [h.name, h.url, h.omni ?? 'omni', h.home ?? '-'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ') + '\n');
  return 0;
}

export async function hostsRm(name: string): Promise<number> {
  const gone = await removeHost(paths(), name);
  process.stdout.write(`removed host ${gone.name} (${gone.url}); its sessions keep running there\n`);
  return 0;
}

/** One request over the transport: is the host's daemon there, which version, how long it took. */
export async function hostsTest(name: string, opts: { json?: boolean }): Promise<number> {
  const p = paths();
  const host = await findHost(p, name);
  const t0 = performance.now();
  try {
    const info = await clientFor(host, p).request<{ version: string; pid: number; sessions: number }>('/v1/daemon', { timeoutMs: 60_000 });
    const latencyMs = Math.round(performance.now() - t0);
    if (opts.json) printJson({ host: host.name, url: host.url, ok: true, version: info.version, sessions: info.sessions, latencyMs });
    else process.stdout.write(`ok: host ${host.name} (${host.url}): omni daemon ${info.version}, ${info.sessions} session(s), ${latencyMs} ms\n`);
    return 0;
  } catch (err) {
    if (!opts.json || !(err instanceof OmniError)) throw err;
    printJson({ host: host.name, url: host.url, ok: false, error: err.message, latencyMs: Math.round(performance.now() - t0) });
    return ExitCode.daemonUnreachable;
  }
}
