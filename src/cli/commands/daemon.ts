import { daemonStatus, startDaemon, stopDaemon } from '../../client/daemon-control.js';
import { ExitCode } from '../../core/errors.js';
import { paths } from '../context.js';
import { printJson } from '../output.js';

export async function daemonStart(opts: { quiet?: boolean; json?: boolean }): Promise<number> {
  const r = await startDaemon(paths());
  if (opts.json) printJson(r);
  else if (!opts.quiet) process.stdout.write(r.started ? `omni daemon started (pid ${r.pid})\n` : `omni daemon already running (pid ${r.pid})\n`);
  return 0;
}

export async function daemonStop(opts: { json?: boolean }): Promise<number> {
  const r = await stopDaemon(paths());
  if (opts.json) printJson(r);
  else process.stdout.write(r.stopped ? `omni daemon stopped (pid ${r.pid}); sessions keep running in tmux\n` : 'omni daemon was not running\n');
  return 0;
}

export async function daemonStatusCommand(opts: { json?: boolean }): Promise<number> {
  const st = await daemonStatus(paths());
  if (opts.json) printJson(st);
  else if (st.running) process.stdout.write(`running: pid ${st.pid}, version ${st.version}, up ${st.uptimeSec}s, ${st.sessions} session(s)\nsocket ${st.socket}\n`);
  else process.stdout.write(`not running (socket ${st.socket})\n`);
  return st.running ? ExitCode.ok : ExitCode.daemonUnreachable;
}
