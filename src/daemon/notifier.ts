import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { OmniEvent } from '../core/events.js';
import { findOnPath } from '../core/fsutil.js';
import { oneLine } from '../core/status-text.js';
import type { SessionRecord } from '../core/session.js';
import type { NotifyChannel, NotifyConfig, NotifyKind } from './notify-config.js';

/**
 * Tells the person when a session needs them (an omni approval, the harness's own dialog) or
 * is done (a finished turn, an exit): a message and the bell on their own tmux (the one they
 * started the session from, `SessionRecord.callerTmux`), and a desktop notification where the
 * machine has one (`notify-send`, `osascript`). It listens to the event bus and changes nothing.
 */

export interface Notice {
  kind: NotifyKind;
  session: SessionRecord;
  /** Short, for a title: "omni: build asks". */
  title: string;
  /** The rest: what and how to answer. */
  body: string;
}

/** `omni stop` ends a session because a person asked: no need to tell them. */
const STOPPED_BY_PERSON = 'stopped by omni stop';
/** The same dialog notice for the same session again within this long is dropped (a flapping screen). */
const REPEAT_MS = 5000;
/** How long the tmux message stays on the status line. */
const MESSAGE_MS = 5000;

/** What an event is worth telling, if anything. Pure: the notifier's whole policy. */
export function noticeFor(ev: OmniEvent, rec: SessionRecord): Notice | undefined {
  const n = (kind: NotifyKind, title: string, body: string): Notice => ({ kind, session: rec, title: `omni: ${rec.name} ${title}`, body });
  if (ev.type === 'approval.requested') {
    const d = ev.data as OmniEvent<'approval.requested'>['data'];
    return n('approval', 'asks', `${d.reason ?? 'a policy asks for a decision'} (omni approve ${d.id} / omni deny ${d.id})`);
  }
  if (ev.type === 'session.status') {
    const d = ev.data as OmniEvent<'session.status'>['data'];
    // An omni ask is told by its approval.requested, which carries the id.
    if (d.status === 'waiting' && !d.reason?.startsWith('approval ap_')) return n('dialog', 'needs you', d.reason ?? 'the harness waits for an answer');
    if (d.status === 'idle' && d.previous === 'running') return n('idle', 'finished its turn', `omni attach ${rec.name}`);
    if (d.status === 'failed') return n('exited', 'failed', d.reason ?? 'it could not start');
    return undefined;
  }
  if (ev.type === 'session.exited') {
    const d = ev.data as OmniEvent<'session.exited'>['data'];
    if (d.reason === STOPPED_BY_PERSON) return undefined;
    return n('exited', 'exited', `${d.code === null ? 'ended' : `exit code ${d.code}`}${d.reason ? `: ${d.reason}` : ''}`);
  }
  return undefined;
}

/** $TMUX ("socket,pid,index") and $TMUX_PANE of the shell that ran omni, if it runs in tmux. */
export function callerTmux(env: Record<string, string | undefined>): SessionRecord['callerTmux'] {
  const tmux = env.TMUX;
  if (!tmux) return undefined;
  const socket = tmux.split(',').slice(0, -2).join(',') || tmux;
  if (!path.isAbsolute(socket)) return undefined;
  const pane = env.TMUX_PANE && /^%\d+$/.test(env.TMUX_PANE) ? env.TMUX_PANE : undefined;
  return { socket, ...(pane ? { pane } : {}) };
}

export interface NotifierDeps {
  /** Read when there is something to tell, so config.yaml edits apply without a restart. */
  config: () => NotifyConfig;
  session: (id: string) => SessionRecord | undefined;
  /** omni's own tmux server: never "the user's". */
  ownTmuxSocket: string;
  /** Runs a program without a shell; resolves with its stdout. */
  exec?: (file: string, args: string[]) => Promise<string>;
  writeTty?: (tty: string, data: string) => void;
  env?: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
  now?: () => number;
  log: (msg: string) => void;
}

export class Notifier {
  /** Per session, its last dialog notice and when (one entry a session: no growth). */
  private lastDialog = new Map<string, Record<string, number>>();
  private readonly exec: (file: string, args: string[]) => Promise<string>;

  constructor(private readonly deps: NotifierDeps) {
    this.exec = deps.exec ?? run;
  }

  /** The bus listener. Never throws, never waits: channels run in the background. */
  onEvent(ev: OmniEvent): void {
    const rec = this.deps.session(ev.session);
    if (!rec) return;
    const notice = noticeFor(ev, rec);
    if (!notice) return;
    let channels: NotifyChannel[];
    try {
      channels = this.deps.config().events[notice.kind];
    } catch (err) {
      this.deps.log(`notify: ${(err as Error).message}`);
      return;
    }
    if (!channels.length) return;
    if (notice.kind === 'dialog') {
      const now = (this.deps.now ?? Date.now)();
      if (now - (this.lastDialog.get(rec.id)?.[notice.body] ?? -Infinity) < REPEAT_MS) return;
      this.lastDialog.set(rec.id, { [notice.body]: now });
    }
    void this.deliver(notice, channels);
  }

  /** Resolves when every channel has had its try (tests wait on it through `onEvent`'s effects). */
  async deliver(notice: Notice, channels: NotifyChannel[]): Promise<void> {
    const target = notice.session.callerTmux;
    const tmux = target && target.socket !== this.deps.ownTmuxSocket ? target : undefined;
    const jobs: Array<Promise<unknown>> = [];
    if (tmux && channels.includes('message')) jobs.push(this.message(tmux, `${notice.title}: ${notice.body}`));
    if (tmux && channels.includes('bell')) jobs.push(this.bell(tmux));
    if (channels.includes('desktop')) jobs.push(this.desktop(notice));
    const results = await Promise.allSettled(jobs);
    for (const r of results) if (r.status === 'rejected') this.deps.log(`notify ${notice.session.id} ${notice.kind}: ${(r.reason as Error).message}`);
  }

  private async message(t: { socket: string; pane?: string }, text: string): Promise<void> {
    // tmux expands #… in a message: double it so a reason prints as written.
    const msg = oneLine(text, 200).replaceAll('#', '##');
    const args = ['-S', t.socket, 'display-message', '-d', String(MESSAGE_MS)];
    try {
      await this.exec('tmux', [...args, ...(t.pane ? ['-t', t.pane] : []), msg]);
    } catch (err) {
      if (!t.pane) throw err;
      await this.exec('tmux', [...args, msg]); // the pane omni ran from is gone: any client
    }
  }

  /** A BEL on the pane's terminal: tmux flags the window and rings the person's terminal as configured. */
  private async bell(t: { socket: string; pane?: string }): Promise<void> {
    const tty = (await this.exec('tmux', ['-S', t.socket, 'display-message', '-p', ...(t.pane ? ['-t', t.pane] : []), '#{pane_tty}'])).trim();
    if (!tty.startsWith('/dev/')) throw new Error(`no pane tty for the bell (${tty || 'empty'})`);
    (this.deps.writeTty ?? writeTty)(tty, '\x07');
  }

  private async desktop(n: Notice): Promise<void> {
    const platform = this.deps.platform ?? process.platform;
    const env = this.deps.env ?? process.env;
    const body = oneLine(n.body, 300);
    if (platform === 'darwin') {
      const osascript = findOnPath('osascript', env.PATH);
      // argv, not an interpolated script: nothing in a reason can break out of the string.
      if (osascript) await this.exec(osascript, ['-e', 'on run argv', '-e', 'display notification (item 2 of argv) with title (item 1 of argv)', '-e', 'end run', n.title, body]);
      return;
    }
    const notifySend = findOnPath('notify-send', env.PATH);
    if (notifySend) await this.exec(notifySend, ['--app-name=omni', n.kind === 'approval' || n.kind === 'dialog' ? '--urgency=critical' : '--urgency=normal', n.title, body]);
  }
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 5000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} ${args.slice(0, 3).join(' ')}: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

function writeTty(tty: string, data: string): void {
  // O_NOCTTY: writing a bell must never make the daemon own the person's terminal.
  const fd = fs.openSync(tty, fs.constants.O_WRONLY | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
  try {
    fs.writeSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
}
