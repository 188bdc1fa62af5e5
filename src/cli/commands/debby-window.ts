import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OmniError } from '../../core/errors.js';
import { shQuote } from '../../core/fsutil.js';
import { viewSessionName } from '../../debby/heads.js';
import type { DebbyRun } from '../../debby/types.js';
import { createTmuxRunner } from '../../tmux/runner.js';
import { Tmux } from '../../tmux/tmux.js';
import { paths } from '../context.js';
import { attachTmuxSession } from './attach.js';

const OMNI_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'omni.js');

/**
 * The Debby view in a window of omni's tmux server: a tmux session `debby-<n>` running
 * `omni debby view <run>` (made once; opening it again attaches to the same one), then this
 * terminal goes there the way `omni attach` goes to a session: switch-client from inside omni's
 * own tmux, a new client otherwise (nested inside the person's own tmux). The heads keep their
 * own tmux sessions (`omni attach debby-1-claude`).
 */
export async function openDebbyWindow(run: DebbyRun): Promise<number> {
  const p = paths();
  const tmux = new Tmux({ runner: createTmuxRunner({ socketPath: p.tmuxSocket, configPath: p.tmuxConf }), socketPath: p.tmuxSocket, configPath: p.tmuxConf });
  const name = viewSessionName(run);
  if (!(await tmux.hasSession(name))) {
    const command = `${shQuote(process.execPath)} ${shQuote(OMNI_JS)} debby view ${shQuote(run.id)}`;
    const env: Record<string, string> = { OMNI_HOME: p.home };
    if (process.env.PATH) env.PATH = process.env.PATH;
    const { paneId } = await tmux.newSession({ name, windowName: `debby ${run.id}`, cwd: run.cwd, command, env, width: process.stdout.columns || 200, height: process.stdout.rows || 50 });
    // Unlike an agent's pane, the view's has nothing to keep once it quits: the window closes.
    await tmux.setOption(paneId, 'remain-on-exit', 'off', { window: true });
  }
  const inOmniTmux = process.env.TMUX?.split(',')[0] === p.tmuxSocket;
  if (inOmniTmux) {
    const r = spawnSync('tmux', ['-S', p.tmuxSocket, 'switch-client', '-t', `=${name}`], { stdio: 'inherit' });
    if (r.error) throw new OmniError(`could not run tmux: ${r.error.message}`, 'error');
    return r.status ?? 0;
  }
  return attachTmuxSession(name);
}
