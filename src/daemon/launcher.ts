import fs from 'node:fs';
import path from 'node:path';
import { OmniError } from '../core/errors.js';
import { shQuote, writeFileAtomic } from '../core/fsutil.js';
import type { SessionRecord } from '../core/session.js';
import type { BinaryInfo, HarnessAdapter, VersionProbe } from '../harnesses/types.js';
import type { SandboxSettings } from '../sandbox/types.js';
import type { AgentSocketPort, HookClientPaths, SandboxPort, TmuxPort } from './ports.js';
import type { SessionLog } from './session-log.js';
import type { SessionStore } from './store.js';

export interface LauncherDeps {
  store: SessionStore;
  tmux: TmuxPort;
  events: SessionLog;
  sandbox: SandboxPort;
  agentSocket: AgentSocketPort;
  hookClient: HookClientPaths;
  log: (msg: string) => void;
}

export interface LaunchRequest {
  adapter: HarnessAdapter;
  binary: BinaryInfo;
  env: Record<string, string>;
  extraArgs: string[];
  resume?: { harnessSessionId: string };
  /** `omni fork`: the harness forks `harnessSessionId` of session `from` (SessionManager.create). */
  fork?: { from: SessionRecord; harnessSessionId: string; sourceSessionDir: string };
  sandbox?: SandboxSettings;
}

/**
 * Starting a harness in tmux: the agent socket, the sandbox, the adapter's launch spec, the
 * self-deleting launch script, the pane. Remembers which sessions are mid-launch so the
 * supervisor does not read a pane list older than the pane as the session being gone.
 */
export class Launcher {
  private launching = new Set<string>();
  private launchedAt = new Map<string, number>();

  constructor(private readonly deps: LauncherDeps) {}

  async launch(rec: SessionRecord, req: LaunchRequest): Promise<void> {
    const id = rec.id;
    // Before the first await: from here until tmux has the pane, polls leave this session be.
    this.launching.add(id);
    try {
      await this.launchNow(rec, req);
    } finally {
      this.launching.delete(id);
      this.launchedAt.set(id, performance.now());
    }
  }

  /** True while a pane list read at `listedAt` (performance.now()) cannot know the session's pane yet. */
  settling(id: string, listedAt: number): boolean {
    return this.launching.has(id) || (this.launchedAt.get(id) ?? 0) >= listedAt;
  }

  /** The session ended: nothing about its launch matters any more. */
  forget(id: string): void {
    this.launchedAt.delete(id);
  }

  private async launchNow(rec: SessionRecord, { adapter, binary, env, extraArgs, resume, fork, sandbox }: LaunchRequest): Promise<void> {
    const { store, events, agentSocket } = this.deps;
    const id = rec.id;
    const sessionDir = store.sessionDir(id);
    const sock = await agentSocket.open(id);
    const hc = this.deps.hookClient;
    let sandboxed: Awaited<ReturnType<SandboxPort['begin']>> | undefined;
    if (sandbox) {
      try {
        sandboxed = await this.deps.sandbox.begin(rec, adapter, env, sandbox);
      } catch (err) {
        await this.deps.sandbox.close(id, { forget: true });
        await agentSocket.close(id);
        events.setStatus(rec, 'failed', (err as Error).message, 'daemon');
        throw err;
      }
    }
    const spec = await adapter.prepareLaunch({
      session: rec,
      sessionDir,
      env: sandboxed?.env ?? env,
      ...(sandboxed ? { sandboxed: true } : {}),
      binary,
      extraArgs,
      resume,
      ...(fork ? { fork: { harnessSessionId: fork.harnessSessionId, sourceSessionDir: fork.sourceSessionDir } } : {}),
      agentSocket: sock,
      ...(rec.spawn ? { mcp: { command: hc.node, args: [hc.omniJs, 'mcp', '--agent-socket', sock], env: { OMNI_HOME: hc.omniHome } } } : {}),
      hookClient: { node: hc.node, omniJs: hc.omniJs, omniHome: hc.omniHome },
      hooks: {
        command: (event, mode) =>
          `OMNI_HOME=${shQuote(hc.omniHome)} sh ${shQuote(hc.script)} ${shQuote(sock)} ${shQuote(event)} ${mode} ${shQuote(hc.node)} ${shQuote(hc.omniJs)}`,
        // bin/omni-statusline, the hook client's sibling.
        statusLine: (userCommand) =>
          `OMNI_HOME=${shQuote(hc.omniHome)} sh ${shQuote(path.join(path.dirname(hc.script), 'omni-statusline'))} ${shQuote(sock)} ${shQuote(hc.node)} ${shQuote(hc.omniJs)}${userCommand ? ` ${shQuote(userCommand)}` : ''}`,
      },
    });
    rec.command = [spec.command, ...spec.args];
    store.put(rec);
    if (resume) events.emit(rec, { type: 'session.resumed', data: { harnessSessionId: resume.harnessSessionId, command: rec.command } });
    else events.emit(rec, { type: 'session.started', data: { harness: adapter.name, name: rec.name, cwd: rec.cwd, model: rec.model, command: rec.command } });
    if (fork) {
      // The fork's harness log starts with the source's history: what the source already logged
      // (and billed) is not logged again (ingestion skips the keys it has seen).
      copyIfAbsent(path.join(fork.sourceSessionDir, 'ingested.keys'), path.join(sessionDir, 'ingested.keys'));
      events.emit(rec, { type: 'session.forked', data: { from: fork.from.id, fromName: fork.from.name, harnessSessionId: fork.harnessSessionId, ...(rec.worktree ? { worktree: rec.worktree.path } : {}) } });
      events.emit(fork.from, { type: 'session.fork', data: { to: rec.id, toName: rec.name } });
    }
    if (sandboxed) events.emit(rec, sandboxed.started);
    for (const note of spec.notes) this.deps.log(`${id}: ${note}`);

    const launcher = path.join(sessionDir, 'launch.sh');
    writeFileAtomic(launcher, sandboxed ? sandboxed.script(spec) : launchScript({ ...filterEnv(env), ...spec.env }, spec.command, spec.args), 0o700);
    try {
      const pane = await this.deps.tmux.newSession({ name: id, windowName: rec.name, cwd: rec.cwd, command: `exec sh ${shQuote(launcher)}` });
      rec.paneId = pane.paneId;
      rec.panePid = pane.panePid;
    } catch (err) {
      try {
        fs.unlinkSync(launcher);
      } catch {
        /* the launcher removes itself once run */
      }
      events.setStatus(rec, 'failed', `tmux could not start the session: ${(err as Error).message}`, 'tmux');
      await this.deps.sandbox.close(id, { forget: true });
      await agentSocket.close(id);
      throw err;
    }
    store.put(rec);
  }
}

/** The harness binary on the caller's PATH (or `--bin`), or an error that says how to install it. */
export async function requireBinary(adapter: HarnessAdapter, env: Record<string, string>, versions: VersionProbe, override?: string): Promise<BinaryInfo> {
  const binary = await adapter.findBinary({ ...env, ...(override ? { OMNI_BINARY_OVERRIDE: override } : {}) }, versions);
  if (binary) return binary;
  if (override) throw new OmniError(`--bin ${override}: no such executable (${adapter.displayName} binary)`, 'harness_missing', undefined, { harness: adapter.name });
  throw new OmniError(`${adapter.displayName} is not installed (no "${adapter.binaryName}" on PATH): ${adapter.installHint}`, 'harness_missing', undefined, { harness: adapter.name });
}

function copyIfAbsent(from: string, to: string): void {
  try {
    fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL);
  } catch {
    /* nothing ingested yet, or already there */
  }
}

/** Variables that describe the caller's terminal or tmux must not leak into omni's pane. */
const TERMINAL_VARS = new Set(['TMUX', 'TMUX_PANE', 'TERM', 'TERM_PROGRAM', 'TERM_PROGRAM_VERSION', 'COLUMNS', 'LINES', 'WINDOWID', 'STY']);

export function filterEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (TERMINAL_VARS.has(k) || k.startsWith('OMNI_INTERNAL_') || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * The pane runs this script: it deletes itself (the environment may hold secrets and should not
 * stay on disk), then replaces itself with the harness under exactly the caller's environment
 * (`env -i`), keeping only the pane's TERM. Not TMUX/TMUX_PANE: with them a plain `tmux …` in
 * the agent reaches omni's own tmux server, whose commands run outside the pane's process tree.
 */
export function launchScript(env: Record<string, string>, command: string, args: string[]): string {
  const assigns = Object.entries(env)
    .map(([k, v]) => `  ${k}=${shQuote(v)} \\`)
    .join('\n');
  return [
    '#!/bin/sh',
    '# Generated by omni for one session; removes itself before starting the harness.',
    'rm -f "$0"',
    'exec env -i TERM="$TERM" \\',
    ...(assigns ? [assigns] : []),
    `  ${[command, ...args].map(shQuote).join(' ')}`,
    '',
  ].join('\n');
}
