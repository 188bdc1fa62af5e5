import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { tmuxConfig, type TmuxSettings } from './config.js';
import { isNoServerError, TmuxError } from './errors.js';
import type { TmuxRunResult, TmuxRunner } from './runner.js';
import { KeyedSerialQueue } from './serial.js';

export interface TmuxOptions {
  runner: TmuxRunner;
  socketPath: string;
  configPath: string;
  /** Only used by attachArgs (the runner has its own). */
  tmuxBin?: string;
  /** Share one queue with other writers (e.g. the daemon) so their writes serialize too. */
  queue?: KeyedSerialQueue;
}

export interface NewSessionOptions {
  name: string;
  /** The window's name (omni shows the session's human name there). */
  windowName?: string;
  cwd: string;
  /** One shell string; tmux runs it with default-shell -c. */
  command: string;
  env?: Record<string, string>;
  width?: number;
  height?: number;
}

export interface PaneInfo {
  sessionName: string;
  paneId: string;
  panePid: number;
  dead: boolean;
  /**
   * Exit status once dead and exited normally; null while alive or when killed by a signal.
   * dead with deadStatus and deadSignal both null means "exited, status not known yet": tmux
   * sees the pty close before it reaps the process. Poll again.
   */
  deadStatus: number | null;
  /** Signal number when the process was killed by one; null otherwise. */
  deadSignal: number | null;
  currentCommand: string;
  width: number;
  height: number;
}

export interface AttachCommand {
  command: string;
  args: string[];
  /** Overrides for the child env; an undefined value means "remove this variable". */
  env: Record<string, string | undefined>;
}

// tmux silently rewrites '.' and ':' to '_' (so "a.b" becomes "a_b"): refuse them instead of
// creating a session under a name we would never find again. We also refuse leading '=' and
// whitespace/control characters (target syntax and our tab-separated list format).
const SESSION_NAME = /^(?!=)[^.:\s\p{Cc}]{1,64}$/u;

export function isValidSessionName(name: string): boolean {
  return SESSION_NAME.test(name);
}

// send-keys arguments travel in one client->server message capped at ~16 KB; stay well under.
const LITERAL_CHUNK_BYTES = 8000;

const LIST_FORMAT = [
  '#{session_name}',
  '#{pane_id}',
  '#{pane_pid}',
  '#{pane_dead}',
  '#{pane_dead_status}',
  '#{pane_dead_signal}',
  '#{pane_width}',
  '#{pane_height}',
  '#{pane_current_command}',
].join('\t');

/** One attached client (`list-clients`): whose, on what tty, read-only (`attach -r`) or not. */
export interface ClientInfo {
  session: string;
  readOnly: boolean;
  uid?: number;
  user: string;
  tty: string;
}

const CLIENT_FORMAT = ['#{client_session}', '#{client_readonly}', '#{client_uid}', '#{client_user}', '#{client_tty}'].join('\t');

function parseClientLine(line: string): ClientInfo {
  const [session = '', ro, uid, user = '', tty = ''] = line.split('\t');
  const n = Number(uid);
  return { session, readOnly: ro === '1', ...(uid && Number.isInteger(n) ? { uid: n } : {}), user, tty };
}

export class Tmux {
  readonly socketPath: string;
  readonly configPath: string;
  private readonly runner: TmuxRunner;
  private readonly tmuxBin: string;
  private readonly queue: KeyedSerialQueue;

  constructor(opts: TmuxOptions) {
    this.runner = opts.runner;
    this.socketPath = opts.socketPath;
    this.configPath = opts.configPath;
    this.tmuxBin = opts.tmuxBin ?? 'tmux';
    this.queue = opts.queue ?? new KeyedSerialQueue();
  }

  /**
   * Write the config the server starts with, and load it into a server already running (one
   * that outlived the daemon keeps its sessions, and would keep an old config too).
   */
  async writeConfig(settings?: TmuxSettings): Promise<void> {
    await mkdir(dirname(this.configPath), { recursive: true, mode: 0o700 });
    await writeFile(this.configPath, tmuxConfig(settings), { mode: 0o600 });
    // mode only applies when the file is created; fix up a pre-existing file too.
    await chmod(this.configPath, 0o600);
    const res = await this.runner.run(['source-file', this.configPath]);
    if (res.exitCode !== 0 && !isNoServerError(res.stderr)) throw new TmuxError(`tmux source-file failed: ${res.stderr.trim()}`, { args: ['source-file', this.configPath] });
  }

  async newSession(opts: NewSessionOptions): Promise<{ paneId: string; panePid: number }> {
    if (!isValidSessionName(opts.name)) {
      throw new TmuxError(`invalid tmux session name: ${JSON.stringify(opts.name)}`, { args: [] });
    }
    const envArgs = Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const out = await this.exec([
      'new-session', '-d', '-s', opts.name, ...(opts.windowName ? ['-n', opts.windowName] : []), '-c', opts.cwd,
      '-x', String(opts.width ?? 200), '-y', String(opts.height ?? 50),
      ...envArgs,
      '-P', '-F', '#{pane_id} #{pane_pid}',
      '--', opts.command,
    ]);
    const [paneId, pid] = out.stdout.trim().split(' ');
    if (!paneId || !pid) throw new TmuxError(`unexpected new-session output: ${out.stdout}`, { args: [] });
    // Also set per window, in case the server was started with another config (or the user
    // changed the global): a dead agent's last screen must survive.
    await this.setOption(paneId, 'remain-on-exit', 'on', { window: true });
    return { paneId, panePid: Number(pid) };
  }

  async hasSession(name: string): Promise<boolean> {
    // '=' forces an exact match; a bare name is prefix-matched ("a" would find "ab").
    const res = await this.runner.run(['has-session', '-t', `=${name}`]);
    return res.exitCode === 0;
  }

  /** All panes on omni's server; [] when no server is running. */
  async listPanes(): Promise<PaneInfo[]> {
    const panes = await this.listPanesOnce();
    if (!panes.some(statusPending)) return panes;
    // tmux built with libutempter (Debian/Ubuntu) can lose a SIGCHLD: a pane then stays
    // "dead, no status" with an unreaped zombie until some other child exits (tmux#311).
    // Re-sending SIGCHLD to the server makes it reap and record the status.
    await this.nudgeReaper();
    await new Promise((r) => setTimeout(r, 10));
    return this.listPanesOnce();
  }

  private async listPanesOnce(): Promise<PaneInfo[]> {
    const res = await this.runner.run(['list-panes', '-a', '-F', LIST_FORMAT]);
    if (res.exitCode !== 0) {
      if (isNoServerError(res.stderr)) return [];
      throw this.error(['list-panes'], res);
    }
    return res.stdout.split('\n').filter(Boolean).map(parsePaneLine);
  }

  private async nudgeReaper(): Promise<void> {
    const res = await this.runner.run(['display-message', '-p', '#{pid}']);
    const pid = Number(res.stdout.trim());
    if (res.exitCode !== 0 || !Number.isInteger(pid) || pid <= 0) return;
    try {
      process.kill(pid, 'SIGCHLD');
    } catch {
      // Server gone or not ours to signal: the status stays pending, callers poll again.
    }
  }

  /** Plain text of the pane; `start` (e.g. -2000) also includes that many history lines; `escapes` keeps colours and attributes (SGR). */
  async capturePane(target: string, opts: { start?: number; escapes?: boolean } = {}): Promise<string> {
    const range = opts.start !== undefined ? ['-S', String(opts.start)] : [];
    const out = await this.exec(['capture-pane', '-p', ...(opts.escapes ? ['-e'] : []), '-t', target, ...range]);
    return out.stdout.replace(/\s+$/, '');
  }

  /**
   * Paste through a tmux buffer. Text goes via stdin, so there is no command-size limit.
   * With `bracketed`, tmux wraps the paste in ESC[200~ … ESC[201~ only if the app enabled
   * bracketed paste mode; otherwise it is typed plainly. tmux turns "\n" into "\r".
   */
  async pasteText(target: string, text: string, opts: { bracketed?: boolean } = {}): Promise<void> {
    const buffer = `omni-${randomBytes(6).toString('hex')}`;
    await this.exec(['load-buffer', '-b', buffer, '-'], text);
    const flags = (opts.bracketed ?? true) ? ['-p'] : [];
    try {
      await this.exec(['paste-buffer', ...flags, '-d', '-b', buffer, '-t', target]);
    } catch (err) {
      // -d only deletes on success; do not leave the text behind on the server.
      await this.runner.run(['delete-buffer', '-b', buffer]).catch(() => undefined);
      throw err;
    }
  }

  /** Key names (Enter, C-c, Escape, …), interpreted by tmux. */
  async sendKeys(target: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.exec(['send-keys', '-t', target, ...keys]);
  }

  /** Literal text, no key-name lookup; chunked to stay under tmux's command size limit. */
  async sendLiteral(target: string, text: string): Promise<void> {
    for (const chunk of chunkUtf8(text, LITERAL_CHUNK_BYTES)) {
      await this.exec(['send-keys', '-t', target, '-l', '--', chunk]);
    }
  }

  /** Idempotent: a missing session or server is not an error. */
  async killSession(name: string): Promise<void> {
    const res = await this.runner.run(['kill-session', '-t', `=${name}`]);
    if (res.exitCode !== 0 && !isNoServerError(res.stderr) && !/can't find session/.test(res.stderr)) {
      throw this.error(['kill-session', name], res);
    }
  }

  /** Idempotent: no server running is not an error. Resolves once the server is gone. */
  /** The tmux server's pid, or undefined when no server runs on the socket. */
  async serverPid(): Promise<number | undefined> {
    const res = await this.runner.run(['display-message', '-p', '#{pid}']);
    const pid = Number(res.stdout.trim());
    return res.exitCode === 0 && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** Client ttys attached to a session (for popups). */
  async listClients(session: string): Promise<string[]> {
    const res = await this.runner.run(['list-clients', '-t', `=${session}:`, '-F', '#{client_tty}']);
    if (res.exitCode !== 0) return [];
    return res.stdout.split('\n').filter(Boolean);
  }

  /** Every client attached to the server (one call, for `omni ls`); [] when no server runs. */
  async listAllClients(): Promise<ClientInfo[]> {
    const res = await this.runner.run(['list-clients', '-F', CLIENT_FORMAT]);
    if (res.exitCode !== 0) {
      if (isNoServerError(res.stderr)) return [];
      throw this.error(['list-clients'], res);
    }
    return res.stdout.split('\n').filter(Boolean).map(parseClientLine);
  }

  /**
   * Show a popup running `command` on one attached client. display-popup holds the tmux
   * command until the popup closes, so this resolves when the person is done with it.
   */
  async displayPopup(client: string, command: string, opts: { title?: string; width?: string; height?: string; env?: Record<string, string> } = {}): Promise<void> {
    await this.runner.run([
      'display-popup', '-c', client, '-E',
      '-w', opts.width ?? '80%', '-h', opts.height ?? '50%',
      ...(opts.title ? ['-T', opts.title] : []),
      // tmux ≥ 3.3; kept out of the command line, which any user can read in ps.
      ...Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
      command,
    ]);
  }

  /**
   * Block until `channel` is signalled (`wait-for -S`, which omni's tmux.conf hooks do when a
   * pane dies or a session closes) or the server goes away. A signal sent while nobody waited
   * is kept by tmux, so the next wait returns at once: no hint is lost between two waits.
   * 'gone': no server (or it died meanwhile); 'woken': signalled; 'aborted': `signal` fired.
   */
  async waitFor(channel: string, signal?: AbortSignal): Promise<'woken' | 'gone' | 'aborted'> {
    const res = await this.runner.run(['wait-for', channel], signal ? { signal } : {});
    if (signal?.aborted) return 'aborted';
    return res.exitCode === 0 ? 'woken' : 'gone';
  }

  async killServer(): Promise<void> {
    const res = await this.runner.run(['kill-server']);
    if (res.exitCode !== 0 && !isNoServerError(res.stderr)) throw this.error(['kill-server'], res);
    // kill-server returns before the server has exited; a command sent meanwhile reaches
    // the dying server and fails. Wait (briefly) so the next new-session starts a fresh one.
    for (let i = 0; i < 100; i++) {
      const probe = await this.runner.run(['list-sessions']);
      if (probe.exitCode !== 0 && isNoServerError(probe.stderr)) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async setOption(target: string, name: string, value: string, opts: { window?: boolean } = {}): Promise<void> {
    await this.exec(['set-option', ...(opts.window ? ['-w'] : []), '-t', target, name, value]);
  }

  /** Expand a tmux format (e.g. '#{pane_dead}') against a target. */
  async displayMessage(target: string, format: string): Promise<string> {
    const out = await this.exec(['display-message', '-p', '-t', target, format]);
    return out.stdout.replace(/\n$/, '');
  }

  /**
   * Command to attach a terminal to a session. From inside the user's tmux, TMUX must be unset
   * for the child or tmux refuses ("sessions should be nested with care").
   */
  attachArgs(name: string, opts: { insideTmux: boolean; readOnly?: boolean }): AttachCommand {
    return {
      command: this.tmuxBin,
      // -r: a read-only client (tmux drops its keys, bar detach; `omni watch`).
      args: ['-S', this.socketPath, '-f', this.configPath, 'attach-session', ...(opts.readOnly ? ['-r'] : []), '-t', `=${name}`],
      env: opts.insideTmux ? { TMUX: undefined, TMUX_PANE: undefined } : {},
    };
  }

  /**
   * Run fn with exclusive write access to target. Write methods do not lock on their own
   * (so sequences can be composed without deadlock); wrap each paste+Enter sequence.
   */
  withPaneLock<T>(target: string, fn: () => Promise<T>): Promise<T> {
    return this.queue.run(target, fn);
  }

  private async exec(args: string[], input?: string): Promise<TmuxRunResult> {
    const res = await this.runner.run(args, input !== undefined ? { input } : {});
    if (res.exitCode !== 0) throw this.error(args, res);
    return res;
  }

  private error(args: string[], res: TmuxRunResult): TmuxError {
    const detail = res.stderr.trim() || `exit code ${res.exitCode}`;
    return new TmuxError(`tmux ${args[0] ?? ''} failed: ${detail}`, { args, stderr: res.stderr, exitCode: res.exitCode });
  }
}

/** Dead but tmux has not reaped the process yet (normally a brief window after pty EOF). */
function statusPending(p: PaneInfo): boolean {
  return p.dead && p.deadStatus === null && p.deadSignal === null;
}

function parsePaneLine(line: string): PaneInfo {
  const [sessionName = '', paneId = '', pid, dead, status, signal, width, height, ...cmd] = line.split('\t');
  return {
    sessionName,
    paneId,
    panePid: Number(pid),
    dead: dead === '1',
    deadStatus: status ? Number(status) : null,
    deadSignal: signal ? Number(signal) : null,
    currentCommand: cmd.join('\t'),
    width: Number(width),
    height: Number(height),
  };
}

/** Split text into pieces of at most maxBytes UTF-8 bytes, never inside a code point. */
export function chunkUtf8(text: string, maxBytes: number): string[] {
  const chunks: string[] = [];
  let current = '';
  let size = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (size + n > maxBytes && current) {
      chunks.push(current);
      current = '';
      size = 0;
    }
    current += ch;
    size += n;
  }
  if (current) chunks.push(current);
  return chunks;
}
