import { spawnSync } from 'node:child_process';
import { OmniError } from '../../core/errors.js';
import type { SessionRecord } from '../../core/session.js';
import { createTmuxRunner } from '../../tmux/runner.js';
import { Tmux } from '../../tmux/tmux.js';
import { client, paths } from '../context.js';

export async function attachCommand(ref: string): Promise<number> {
  // A remote host's session is attached to by the remote omni, over `ssh -t`.
  const remote = await (await import('./remote-attach.js')).sshHost();
  if (remote) return (await import('./remote-attach.js')).remoteTty(remote, ['attach', ref]);
  const c = await client();
  const { session } = await c.session(ref);
  // A watch guest has no access to the owner's tmux: say what it can do instead of tmux's "permission denied".
  if (c.paths.foreign) {
    const d = await c.request<{ guest?: { user: string; grants: Array<{ session: string; role: string }> } }>('/v1/daemon');
    const role = d.guest?.grants.find((g) => g.session === session.id)?.role;
    if (role === 'watch') throw new OmniError(`${d.guest!.user} has the watch role on ${session.name}: omni watch ${session.name} shows it (attaching needs drive)`, 'forbidden');
  }
  return attachSession(session);
}

/**
 * `omni watch`. Our own daemon: attach read-only; tmux drops the watcher's keys (bar detach),
 * so none reach the agent. Another user's daemon (a share, a unix:// host): the screen drawn
 * from the daemon (screen-watch.ts), with no tmux access at all.
 */
export async function watchCommand(ref: string): Promise<number> {
  const remote = await (await import('./remote-attach.js')).sshHost();
  if (remote) return (await import('./remote-attach.js')).remoteTty(remote, ['watch', ref]);
  const c = await client();
  const { session } = await c.session(ref);
  if (c.paths.foreign) {
    if (session.status === 'exited' || session.status === 'failed') {
      throw new OmniError(`session ${session.name} (${session.id}) has ${session.status}; nothing to watch (omni events ${session.name} shows what happened)`, 'conflict');
    }
    return (await import('./screen-watch.js')).screenWatch(c, session);
  }
  return attachSession(session, { readOnly: true });
}

/**
 * Attach this terminal to the session's tmux session on omni's own server. From inside the
 * user's tmux this nests a client (TMUX unset for it); the outer prefix goes to the user's
 * tmux, so the inner one is reached by pressing the prefix twice (e.g. C-b C-b d detaches).
 */
export async function attachSession(session: SessionRecord, opts: { readOnly?: boolean } = {}): Promise<number> {
  if (session.status === 'exited' || session.status === 'failed') {
    throw new OmniError(`session ${session.name} (${session.id}) has ${session.status}; nothing to attach to (omni events ${session.name} shows what happened)`, 'conflict');
  }
  if (!process.stdin.isTTY) throw new OmniError(`omni ${opts.readOnly ? 'watch' : 'attach'} needs a terminal`, 'bad_request');
  return attachTmuxSession(session.tmuxSession, { ...opts, socket: await daemonTmuxSocket() });
}

/**
 * The tmux socket of the daemon this command talks to: another user's (a share: --socket,
 * --owner) says where its tmux listens (GET /v1/daemon `tmuxSocket`); ours is in our paths.
 */
export async function daemonTmuxSocket(): Promise<string> {
  const c = await client();
  if (!c.paths.foreign) return c.paths.tmuxSocket;
  return (await c.request<{ tmuxSocket: string }>('/v1/daemon')).tmuxSocket;
}

/** Attach this terminal to tmux session `name` on omni's own server (a nested client inside the user's tmux). */
export function attachTmuxSession(name: string, opts: { readOnly?: boolean; socket?: string } = {}): number {
  const p = paths();
  const tmuxSocket = opts.socket ?? p.tmuxSocket;
  const tmux = new Tmux({ runner: createTmuxRunner({ socketPath: tmuxSocket, configPath: p.tmuxConf }), socketPath: tmuxSocket, configPath: p.tmuxConf });
  const a = tmux.attachArgs(name, { insideTmux: Boolean(process.env.TMUX), ...(opts.readOnly ? { readOnly: true } : {}) });
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(a.env)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const r = spawnSync(a.command, a.args, { stdio: 'inherit', env });
  if (r.error) throw new OmniError(`could not run tmux: ${r.error.message}`, 'error');
  return r.status ?? 0;
}
