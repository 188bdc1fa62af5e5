import { execa } from 'execa';
import { TMUX_NOT_INSTALLED, TmuxError } from './errors.js';

export interface TmuxRunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The one seam between omni and the tmux binary; tests and the daemon can substitute it. */
export interface TmuxRunner {
  /** `signal` ends a long-running client (a `wait-for`) early. */
  run(args: string[], opts?: { input?: string; signal?: AbortSignal }): Promise<TmuxRunResult>;
}

export interface TmuxRunnerOptions {
  socketPath: string;
  configPath: string;
  tmuxBin?: string;
  /** Base environment for the tmux client (default: process.env, read at each call). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Environment for a tmux client with the caller's tmux identity removed. TMUX/TMUX_PANE
 * would make tmux think it is nested in the user's server (and refuse some commands);
 * omni always names its own socket with -S, so these variables only cause trouble.
 */
export function tmuxClientEnv(base: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && key !== 'TMUX' && key !== 'TMUX_PANE') env[key] = value;
  }
  return env;
}

/**
 * tmux treats any argv word ending in ';' as a command separator (send-keys -l 'a;' types
 * just "a"), and a word ending in '\;' as an escaped ';' (one backslash is stripped).
 * Inserting a backslash before a trailing ';' makes tmux receive every word verbatim.
 * The price: this runner cannot chain commands with ';' (omni never needs to).
 */
export function escapeTmuxArg(arg: string): string {
  return arg.endsWith(';') ? `${arg.slice(0, -1)}\\;` : arg;
}

export function createTmuxRunner(opts: TmuxRunnerOptions): TmuxRunner {
  const bin = opts.tmuxBin ?? 'tmux';
  return {
    async run(args, runOpts = {}) {
      // -S: omni's private server, never the user's. -f: only read when this call starts
      // the server, but passing it always means whichever call starts it uses omni's conf.
      const fullArgs = ['-S', opts.socketPath, '-f', opts.configPath, ...args.map(escapeTmuxArg)];
      const result = await execa(bin, fullArgs, {
        reject: false,
        // extendEnv:false so the TMUX we dropped is not merged back from process.env.
        extendEnv: false,
        env: tmuxClientEnv(opts.env ?? process.env),
        // stdin is only wired up when we feed it (load-buffer -); otherwise tmux must not
        // inherit ours (a TTY stdin would make some commands try to use the terminal).
        ...(runOpts.input !== undefined ? { input: runOpts.input } : { stdin: 'ignore' as const }),
        stripFinalNewline: false,
        ...(runOpts.signal ? { cancelSignal: runOpts.signal } : {}),
      });
      if (result.code === 'ENOENT') {
        throw new TmuxError(TMUX_NOT_INSTALLED, { args: fullArgs, exitCode: null });
      }
      if (result.isCanceled) return { stdout: '', stderr: 'canceled', exitCode: -1 };
      if (result.exitCode === undefined) {
        // Spawned but no exit code: killed by a signal or another spawn failure.
        throw new TmuxError(`tmux failed to run: ${result.message}`, { args: fullArgs, stderr: String(result.stderr ?? '') });
      }
      return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode };
    },
  };
}
