import path from 'node:path';
import { OmniError } from '../core/errors.js';
import { readJsonFile } from '../core/fsutil.js';
import type { OmniPaths } from '../core/paths.js';
import { OmniClient } from './api.js';

/**
 * Remote hosts (docs/REMOTE.md): machines with omni installed, reached through the user's own
 * `ssh`, or another daemon's control socket on this machine (`unix:///path/omni.sock`, e.g. a
 * share another user gave). The ssh transport is filled by the remote-hosts part (issue 17).
 */
export interface HostEntry {
  /** The name used with `--host` and shown in the HOST column. */
  name: string;
  /** `ssh://[user@]host[:port]` (or a Host alias of ~/.ssh/config: `ssh://devbox`), or `unix:///path/omni.sock`. */
  url: string;
  /** The remote `omni` command (default `omni`). */
  omni?: string;
  /** The remote OMNI_HOME, when not the default. */
  home?: string;
}

export function hostsFile(paths: OmniPaths): string {
  return path.join(paths.configDir, 'hosts.json');
}

/** The hosts of `omni hosts add` ($configDir/hosts.json), in the order they were added. */
export async function loadHosts(paths: OmniPaths): Promise<HostEntry[]> {
  const file = hostsFile(paths);
  const data = readJsonFile<{ hosts?: HostEntry[] }>(file);
  if (data === undefined) return [];
  if (!Array.isArray(data.hosts)) throw new OmniError(`${file}: expected {"hosts": [...]}`, 'bad_request');
  return data.hosts;
}

/** A client whose requests reach host `name`'s daemon (an unknown name says which exist). */
export async function hostClient(name: string, paths: OmniPaths): Promise<OmniClient> {
  const hosts = await loadHosts(paths);
  const host = hosts.find((h) => h.name === name);
  if (!host) {
    const known = hosts.map((h) => h.name);
    throw new OmniError(`no host named ${name}; ${known.length ? `known hosts: ${known.join(', ')}` : 'none added yet'} (omni hosts add NAME ssh://user@host)`, 'not_found');
  }
  return clientFor(host, paths);
}

/** A client for one host entry. A remote daemon is never started from here (the bridge does that). */
export function clientFor(host: HostEntry, paths: OmniPaths): OmniClient {
  const url = new URL(host.url);
  if (url.protocol === 'unix:') return new OmniClient({ ...paths, socket: decodeURIComponent(url.pathname) });
  throw new OmniError(`host ${host.name}: ${url.protocol}// hosts are not implemented yet`, 'error');
}

/**
 * The local daemon and every configured host, for views that show them all (`ls --all-hosts`,
 * the dashboard, approvals, status-line). `host` is undefined for the local daemon.
 */
export async function allHostClients(paths: OmniPaths, local: OmniClient): Promise<Array<{ host?: string; client: OmniClient }>> {
  const hosts = await loadHosts(paths);
  return [{ client: local }, ...hosts.map((h) => ({ host: h.name, client: clientFor(h, paths) }))];
}
