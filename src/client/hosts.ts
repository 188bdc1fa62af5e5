import { OmniError } from '../core/errors.js';
import type { OmniPaths } from '../core/paths.js';
import type { OmniClient } from './api.js';

/**
 * Remote hosts (docs/REMOTE.md): machines with omni installed, reached through the user's own
 * `ssh`. CONTRACT for issue 17 — the remote-transport part fills this file.
 */
export interface HostEntry {
  /** The name used with `--host` and shown in the HOST column. */
  name: string;
  /** `ssh://[user@]host[:port]`, or a Host alias of ~/.ssh/config (`ssh://devbox`). */
  url: string;
  /** The remote `omni` command (default `omni`). */
  omni?: string;
  /** The remote OMNI_HOME, when not the default. */
  home?: string;
}

/** The hosts of `omni hosts add`, from $OMNI_HOME (config dir). */
export async function loadHosts(_paths: OmniPaths): Promise<HostEntry[]> {
  throw new OmniError('remote hosts are not implemented yet', 'error');
}

/** A client whose requests reach host `name`'s daemon over ssh (an unknown name says which exist). */
export async function hostClient(_name: string, _paths: OmniPaths): Promise<OmniClient> {
  throw new OmniError('remote hosts are not implemented yet', 'error');
}

/**
 * The local daemon and every configured host, for views that show them all (`ls --all-hosts`,
 * the dashboard, approvals, status-line). `host` is undefined for the local daemon.
 */
export async function allHostClients(_paths: OmniPaths): Promise<Array<{ host?: string; client: OmniClient }>> {
  throw new OmniError('remote hosts are not implemented yet', 'error');
}
