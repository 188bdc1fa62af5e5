import type { OmniClient } from '../client/api.js';
import { LOCAL_HOST, viewHosts, type ViewHost } from '../client/all-hosts.js';
import { client, paths } from './context.js';

/**
 * The daemons a view (dashboard, approvals, status-line) shows: the user's own and every host
 * of hosts.json. A view aimed at one daemon (`--host`, `--socket`, `--owner`) shows that one
 * only, as before. `local`: the client for the user's own daemon (status-line never starts it).
 */
export async function viewClients(local?: OmniClient): Promise<ViewHost[]> {
  const env = process.env;
  const aimed = (env.OMNI_HOST && env.OMNI_HOST !== LOCAL_HOST) || env.OMNI_SOCKET || env.OMNI_OWNER;
  if (aimed) return [{ host: env.OMNI_HOST || LOCAL_HOST, client: local ?? (await client()) }];
  return viewHosts(paths(), local ?? (await client()));
}
