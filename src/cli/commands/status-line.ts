import { OmniClient } from '../../client/api.js';
import { resolvePaths } from '../../core/paths.js';
import { fetchStatusLine, formatStatusLine } from './status-line-data.js';
export { fetchStatusLine, formatStatusLine, type HostStatus, type StatusLineData } from './status-line-data.js';

/** `omni status-line` (the data and the line itself: status-line-data.ts). */
export async function statusLineCommand(opts: { json?: boolean; tmux?: boolean; timeout?: string | number } = {}): Promise<number> {
  const ms = Number(opts.timeout ?? 1500);
  const timeoutMs = Number.isFinite(ms) && ms > 0 ? ms : 1500;
  const paths = resolvePaths(process.env);
  const local = new OmniClient(paths);
  // Every host of hosts.json too, when there are any (docs/REMOTE.md, "Every host at once").
  const hosts = await (await import('../view-hosts.js')).viewClients(local).catch(() => []);
  const data = hosts.length > 1 ? await (await import('./status-line-hosts.js')).fetchAllHosts(hosts, paths, { timeoutMs }) : await fetchStatusLine(local, timeoutMs);
  process.stdout.write((opts.json ? JSON.stringify(data) : formatStatusLine(data, { tmux: opts.tmux })) + '\n');
  return 0;
}
