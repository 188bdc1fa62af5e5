import type { OmniClient } from '../client/api.js';
import { connect } from '../client/daemon-control.js';
import { resolvePaths, type OmniPaths } from '../core/paths.js';

export function paths(): OmniPaths {
  return resolvePaths(process.env);
}

/**
 * A client of the daemon this command is aimed at: a remote host's (OMNI_HOST, `--host`: over
 * the user's ssh, src/client/hosts.ts), another user's (OMNI_SOCKET / OMNI_OWNER, resolved by
 * resolvePaths: never started from here), or the user's own, started on first need.
 */
export async function client(): Promise<OmniClient> {
  const host = process.env.OMNI_HOST;
  if (host && host !== 'local') return (await import('../client/hosts.js')).hostClient(host, paths());
  return connect(paths());
}
