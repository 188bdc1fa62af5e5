/** Thrown when a tmux command fails. Carries what we ran and what tmux said, for logs. */
export class TmuxError extends Error {
  readonly args: readonly string[];
  readonly stderr: string;
  readonly exitCode: number | null;

  constructor(message: string, opts: { args: readonly string[]; stderr?: string; exitCode?: number | null }) {
    super(message);
    this.name = 'TmuxError';
    this.args = opts.args;
    this.stderr = opts.stderr ?? '';
    this.exitCode = opts.exitCode ?? null;
  }
}

export const TMUX_NOT_INSTALLED = 'tmux is not installed: install it (apt-get install tmux / brew install tmux)';

/**
 * tmux reports "no server running on <sock>" when the socket exists but nobody listens,
 * "error connecting to <sock> (No such file or directory)" when the socket file is absent,
 * and "server exited unexpectedly" when it connected to a server that was shutting down
 * (e.g. right after kill-server, or the last session ending). All mean "omni's server is
 * not up", which callers usually treat as an empty state.
 */
export function isNoServerError(stderr: string): boolean {
  return /no server running|error connecting to|server exited unexpectedly/i.test(stderr);
}
