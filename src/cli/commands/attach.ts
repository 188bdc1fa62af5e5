import { spawnSync } from 'node:child_process';
import { OmniError } from '../../core/errors.js';
import type { SessionRecord } from '../../core/session.js';
import { createTmuxRunner } from '../../tmux/runner.js';
import { Tmux } from '../../tmux/tmux.js';
import { client, paths } from '../context.js';

export async function attachCommand(ref: string): Promise<number> {
  const { session } = await (await client()).session(ref);
  return attachSession(session);
}

/** `omni watch`: attach read-only; tmux drops the watcher's keys (bar detach), so none reach the agent. */
export async function watchCommand(ref: string): Promise<number> {
  const { session } = await (await client()).session(ref);
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
  return attachTmuxSession(session.tmuxSession, opts);
}

/** Attach this terminal to tmux session `name` on omni's own server (a nested client inside the user's tmux). */
export function attachTmuxSession(name: string, opts: { readOnly?: boolean } = {}): number {
  const p = paths();
  const tmux = new Tmux({ runner: createTmuxRunner({ socketPath: p.tmuxSocket, configPath: p.tmuxConf }), socketPath: p.tmuxSocket, configPath: p.tmuxConf });
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
