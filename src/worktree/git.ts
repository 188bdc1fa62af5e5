import { execa } from 'execa';

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface GitRunOptions {
  cwd: string;
  /** Added to the runner's environment (e.g. GIT_INDEX_FILE for a temporary index). */
  env?: Record<string, string>;
}

/** The one seam between the worktree code and the git binary; tests and callers can substitute it. */
export type GitRunner = (args: readonly string[], opts: GitRunOptions) => Promise<GitResult>;

/** Dependencies of the worktree and merge code: how git runs, and what time it is. */
export interface GitDeps {
  git: GitRunner;
  now: () => Date;
}

/**
 * Variables that would point git somewhere other than `cwd` (set when omni runs inside a
 * git hook, or by a user's shell): the worktree code always means the repository at `cwd`.
 */
const REDIRECTING_VARS = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_PREFIX'];

export function gitEnv(base: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && !REDIRECTING_VARS.includes(key)) env[key] = value;
  }
  // Never wait on a pager, an editor or a credential prompt: nothing here has a person at the keys.
  return { ...env, GIT_PAGER: 'cat', GIT_EDITOR: 'true', GIT_TERMINAL_PROMPT: '0' };
}

/** A GitRunner on the real `git` binary (`bin`, default `git` on PATH). */
export function createGitRunner(opts: { bin?: string; env?: NodeJS.ProcessEnv } = {}): GitRunner {
  const bin = opts.bin ?? 'git';
  return async (args, runOpts) => {
    const r = await execa(bin, [...args], {
      cwd: runOpts.cwd,
      env: { ...gitEnv(opts.env ?? process.env), ...runOpts.env },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      stripFinalNewline: false,
      maxBuffer: 256 * 1024 * 1024,
    });
    if (r.code === 'ENOENT') throw new GitError('git is not installed (not found on PATH)', args, '', -1);
    return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? -1 };
  };
}

export function defaultGitDeps(): GitDeps {
  return { git: createGitRunner(), now: () => new Date() };
}

export class GitError extends Error {
  constructor(
    message: string,
    readonly args: readonly string[],
    readonly stderr: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'GitError';
  }
}

/** Run git and return its trimmed stdout; a non-zero exit throws a GitError carrying git's own message. */
export async function gitOk(git: GitRunner, args: readonly string[], opts: GitRunOptions): Promise<string> {
  const r = await git(args, opts);
  if (r.exitCode !== 0) {
    const said = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' ');
    throw new GitError(`git ${args.join(' ')} failed in ${opts.cwd}: ${said || `exit ${r.exitCode}`}`, args, r.stderr, r.exitCode);
  }
  return r.stdout.trim();
}

/** Run git; true when it exited 0 (for questions: does this ref exist, is this a repo). */
export async function gitTest(git: GitRunner, args: readonly string[], opts: GitRunOptions): Promise<boolean> {
  return (await git(args, opts)).exitCode === 0;
}

/**
 * `-c user.name/-c user.email` for commits omni makes itself, only when the repository has no
 * identity configured (a fresh machine, a CI box): a save must not fail for want of a name.
 */
export async function identityArgs(git: GitRunner, cwd: string): Promise<string[]> {
  if (await gitTest(git, ['var', 'GIT_COMMITTER_IDENT'], { cwd })) return [];
  return ['-c', 'user.name=omni', '-c', 'user.email=omni@localhost'];
}
