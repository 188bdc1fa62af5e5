import path from 'node:path';
import { OmniError } from '../core/errors.js';
import { ensurePrivateDir, readJsonFile, writeFileAtomic } from '../core/fsutil.js';
import type { OmniPaths } from '../core/paths.js';
import { OmniClient } from './api.js';
import { parseSshUrl, sshConnector } from './ssh.js';

/**
 * Remote hosts (docs/REMOTE.md): machines with omni installed, reached through the user's own
 * `ssh`, or another daemon's control socket on this machine (`unix:///path/omni.sock`, e.g. a
 * share another user gave). The ssh transport is src/client/ssh.ts.
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
  return clientFor(await findHost(paths, name), paths);
}

/** A client for one host entry. A remote daemon is never started from here (the bridge does that). */
export function clientFor(host: HostEntry, paths: OmniPaths): OmniClient {
  let url: URL;
  try {
    url = checkUrl(host.url);
  } catch (err) {
    throw new OmniError(`host ${host.name}: ${(err as Error).message}`, 'bad_request');
  }
  // Another daemon on this machine: never started from here; its tmux socket comes from it.
  if (url.protocol === 'unix:') return new OmniClient({ ...paths, socket: decodeURIComponent(url.pathname), foreign: `host ${host.name}` }, { label: `host ${host.name}` });
  return new OmniClient(paths, { connect: sshConnector(host, paths), label: `host ${host.name}` });
}

/** A host's name: a word for `--host` and the HOST column (`local` is this machine's). */
export function checkHostName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new OmniError(`bad host name ${JSON.stringify(name)}: letters, digits, '.', '_' and '-', starting with a letter or digit`, 'bad_request');
  if (name === 'local') throw new OmniError('"local" names this machine; pick another host name', 'bad_request');
  return name;
}

/** `ssh://[user@]host[:port]` or `unix:///path/omni.sock`, parsed; anything else says what is expected. */
export function checkUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OmniError(`not a URL: ${raw} (expected ssh://[user@]host[:port] or unix:///path/omni.sock)`, 'bad_request');
  }
  if (url.protocol === 'ssh:') parseSshUrl(raw);
  else if (url.protocol === 'unix:') {
    if (url.host || !url.pathname.startsWith('/') || url.pathname === '/') throw new OmniError(`${raw}: expected unix:///absolute/path/omni.sock`, 'bad_request');
  } else throw new OmniError(`${raw}: only ssh:// and unix:// hosts are understood`, 'bad_request');
  return url;
}

function saveHosts(paths: OmniPaths, hosts: HostEntry[]): void {
  ensurePrivateDir(paths.configDir);
  writeFileAtomic(hostsFile(paths), JSON.stringify({ hosts }, null, 2) + '\n');
}

/** `omni hosts add`: a new entry (a name already taken is an error: rm it first). */
export async function addHost(paths: OmniPaths, entry: HostEntry): Promise<HostEntry> {
  checkHostName(entry.name);
  checkUrl(entry.url);
  if (entry.home !== undefined && !entry.home.startsWith('/')) throw new OmniError(`--home ${entry.home}: give an absolute path on the remote host`, 'bad_request');
  const hosts = await loadHosts(paths);
  const same = hosts.find((h) => h.name === entry.name);
  if (same) throw new OmniError(`a host named ${entry.name} exists already (${same.url}); omni hosts rm ${entry.name} first`, 'conflict');
  const clean: HostEntry = { name: entry.name, url: entry.url, ...(entry.omni ? { omni: entry.omni } : {}), ...(entry.home ? { home: entry.home } : {}) };
  saveHosts(paths, [...hosts, clean]);
  return clean;
}

/** `omni hosts rm`: the entry removed (its sessions keep running there). */
export async function removeHost(paths: OmniPaths, name: string): Promise<HostEntry> {
  const hosts = await loadHosts(paths);
  const gone = hosts.find((h) => h.name === name);
  if (!gone) throw new OmniError(`no host named ${name}${hosts.length ? `; known hosts: ${hosts.map((h) => h.name).join(', ')}` : ''}`, 'not_found');
  saveHosts(paths, hosts.filter((h) => h !== gone));
  return gone;
}

/** The entry named `name` (an unknown name says which exist). */
export async function findHost(paths: OmniPaths, name: string): Promise<HostEntry> {
  const hosts = await loadHosts(paths);
  const host = hosts.find((h) => h.name === name);
  if (!host) {
    const known = hosts.map((h) => h.name);
    throw new OmniError(`no host named ${name}; ${known.length ? `known hosts: ${known.join(', ')}` : 'none added yet'} (omni hosts add NAME ssh://user@host)`, 'not_found');
  }
  return host;
}

/**
 * The local daemon and every configured host, for views that show them all (`ls --all-hosts`,
 * the dashboard, approvals, status-line). `host` is undefined for the local daemon.
 */
export async function allHostClients(paths: OmniPaths, local: OmniClient): Promise<Array<{ host?: string; client: OmniClient }>> {
  const hosts = await loadHosts(paths);
  return [{ client: local }, ...hosts.map((h) => ({ host: h.name, client: clientFor(h, paths) }))];
}
