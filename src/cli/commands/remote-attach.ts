import { spawnSync } from 'node:child_process';
import type { HostEntry } from '../../client/hosts.js';
import { sshArgv, sshBinary } from '../../client/ssh.js';
import { OmniError } from '../../core/errors.js';
import { paths } from '../context.js';

/**
 * The ssh host `--host` names, or undefined when the command is aimed at this machine (or at a
 * unix:// host, whose tmux is reached locally).
 */
export async function sshHost(): Promise<HostEntry | undefined> {
  const name = process.env.OMNI_HOST;
  if (!name || name === 'local') return undefined;
  const host = await (await import('../../client/hosts.js')).findHost(paths(), name);
  return host.url.startsWith('ssh:') ? host : undefined;
}

/**
 * `omni attach --host h ref` (and watch): `ssh -t host -- omni attach ref` on this terminal, so
 * the remote tmux client draws here and the keys go there (the remote omni does the attaching).
 */
export function remoteTty(host: HostEntry, argv: string[]): number {
  if (!process.stdin.isTTY) throw new OmniError(`omni ${argv[0]} needs a terminal`, 'bad_request');
  const r = spawnSync(sshBinary(), sshArgv(host, paths(), argv, { tty: true }), { stdio: 'inherit' });
  if (r.error) throw new OmniError(`could not run ssh: ${r.error.message}`, 'error');
  return r.status ?? 0;
}
