import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { until } from './omni.js';

/**
 * "The user's own tmux" for notification tests: a tmux server of its own (not omni's) with a
 * client attached to it from a second server standing in for the terminal, so display-message
 * has a status line to show on (read back with capture-pane) and a bell has a client to ring.
 * Every bell on the user's server is counted by an alert-bell hook; a fake `notify-send` first
 * on PATH records each call's argv, one JSON array a line.
 */
export interface UserTmux {
  socket: string;
  pane: string;
  /** $TMUX and $TMUX_PANE, as a shell in the user's pane has them. */
  env: Record<string, string>;
  /** What the person's terminal shows (the user's tmux with its status line). */
  screen(): Promise<string>;
  bells(): number;
  notifySends(): string[][];
  /** A directory to put first on PATH: it holds the fake notify-send. */
  binDir: string;
  close(): Promise<void>;
}

export async function startUserTmux(dir: string): Promise<UserTmux> {
  const socket = path.join(dir, 'user.sock');
  const term = path.join(dir, 'term.sock');
  const bellFile = path.join(dir, 'bells');
  const sendFile = path.join(dir, 'notify-send.log');
  const binDir = path.join(dir, 'ubin');
  fs.mkdirSync(binDir, { recursive: true });
  fs.writeFileSync(
    path.join(binDir, 'notify-send'),
    `#!${process.execPath}\nrequire('fs').appendFileSync(${JSON.stringify(sendFile)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`,
    { mode: 0o755 },
  );
  const env = { ...process.env, TMUX: '', TMUX_PANE: '' } as Record<string, string>;
  const tmux = (sock: string, args: string[]) => execa('tmux', ['-S', sock, '-f', '/dev/null', ...args], { env });
  await tmux(socket, ['new-session', '-d', '-s', 'user', '-x', '120', '-y', '20']);
  await tmux(socket, ['set-hook', '-g', 'alert-bell', `run-shell "echo bell >> ${bellFile}"`]);
  await tmux(term, ['new-session', '-d', '-s', 'term', '-x', '120', '-y', '20', `env -u TMUX tmux -S ${socket} attach -t user`]);
  await until(async () => (await tmux(socket, ['list-clients'])).stdout.trim() !== '', 5000, 'a client on the user tmux');
  const pane = (await tmux(socket, ['display-message', '-p', '-t', 'user', '#{pane_id}'])).stdout.trim();
  const pid = (await tmux(socket, ['display-message', '-p', '#{pid}'])).stdout.trim();
  const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  return {
    socket,
    pane,
    env: { TMUX: `${socket},${pid},0`, TMUX_PANE: pane },
    screen: async () => (await tmux(term, ['capture-pane', '-p', '-t', 'term'])).stdout,
    bells: () => lines(bellFile).length,
    notifySends: () => lines(sendFile).map((l) => JSON.parse(l) as string[]),
    binDir,
    async close() {
      await execa('tmux', ['-S', term, 'kill-server'], { reject: false });
      await execa('tmux', ['-S', socket, 'kill-server'], { reject: false });
    },
  };
}
