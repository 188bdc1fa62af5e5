import os from 'node:os';
import path from 'node:path';
import { type Mention, couldBeInside, substitute, type WordEnv } from './guard-paths.js';
import { controlVerb, gitSubcommand, socketWords } from './guard-words.js';
import { commandBases, commandPaths } from './paths.js';
import type { ShellCommand } from './shell.js';
import type { LoadedPolicy, Policy, PolicyDecision, PolicySubject, StateUpdate } from './types.js';

/** Policy-state set: git aliases the session defined as shell commands (`git config alias.x '!…'`). */
export const GIT_SHELL_ALIASES = 'omni_guard.git_shell_aliases';

export interface OmniGuardOptions {
  omniHome: string;
  /** Where policies and config live, when not under omniHome (agents must not write it either). */
  configDir?: string;
  /** The user's home, for `~` and `$HOME` (default os.homedir()). */
  home?: string;
}

/**
 * The policies every session runs before its own, whatever they are: the daemon's and
 * `omni policy test`'s single source, so a test sees exactly what a session does.
 */
export function alwaysOnGuards(paths: { home: string; configDir: string }, home?: string): LoadedPolicy[] {
  return [{ policy: omniGuard({ omniHome: paths.home, configDir: paths.configDir, ...(home ? { home } : {}) }), level: 'global' }];
}

/**
 * Always on, for every session: an agent cannot use omni to approve its own asks, change its
 * policies, stop the daemon, write omni's state, or reach omni's sockets (the control socket
 * and omni's tmux server, where it could type into an approval popup). Words are resolved, not
 * matched as text: paths through `~`, variables, `..`, globs and every `cd`; verbs and program
 * names through the command matcher, so a word only known at run time counts as anything it
 * could be where it could be a control verb, a socket or a write into omni's files. The daemon
 * also refuses approval verbs from any process inside a session; the sandbox (which hides the
 * sockets) is the stronger wall.
 */
export function omniGuard(opts: OmniGuardOptions): Policy {
  const omniHome = path.resolve(opts.omniHome);
  const runDir = path.join(omniHome, 'run');
  const home = path.resolve(opts.home ?? os.homedir());
  const protectedDirs = [omniHome, ...(opts.configDir ? [path.resolve(opts.configDir)] : [])];
  const inside = (p: string, dir: string) => p === dir || p.startsWith(dir + path.sep);
  // Sub-agents' git worktrees (omni_spawn) live under OMNI_HOME but are the agents' checkouts, not omni's files.
  const worktrees = path.join(omniHome, 'worktrees');
  const ownFile = (w: string, d: string) => inside(w, d) && !(inside(w, worktrees) && w !== worktrees);
  const deny = (reason: string): PolicyDecision => ({ verdict: 'deny', reason });
  const sockets = `agents cannot reach omni's sockets (${runDir})`;
  return {
    name: 'omni_guard',
    phases: ['tool_call'],
    source: 'builtin (always on)',
    evaluate(subject, state) {
      const t = subject.tool;
      if (!t) return {};
      for (const w of t.writes) for (const d of protectedDirs) if (ownFile(w, d)) return deny(`agents cannot change omni's own files (${w})`);
      const cwd = callCwd(subject);
      if (inside(cwd, runDir)) return deny(sockets);
      const sh = t.shell;
      if (!sh) return {};

      const vars = new Map<string, string>([['HOME', home], ['OMNI_HOME', omniHome], ['TMPDIR', '/tmp']]);
      // In order, so `X=~/a; Y=$X/b` resolves; what stays unknown is a wildcard.
      for (const v of sh.variables ?? []) if (!v.prefix) vars.set(v.name, substitute(v.value, { dynamic: v.dynamic ? 'unquoted' : 'none' }, { home, vars }));
      const env: WordEnv = { home, vars };
      const bases = commandBases(sh, cwd, home);
      let dynamicCd = false;
      const updates: StateUpdate[] = [];

      for (const [i, c] of sh.commands.entries()) {
        const here = bases[i]!;
        const verb = controlVerb(c, env);
        if (verb) return deny(`agents cannot run "omni ${verb}": approvals, policies and the daemon are for the person at the terminal`);

        // Sockets: a socket-taking option or connect target anywhere near the run dir; one only
        // known at run time (or relative after a `cd` to a run-time directory) fails closed.
        for (const m of socketWords(c)) {
          if (couldBeInside(m, here, env, [runDir], true)) return deny(sockets);
          if (dynamicCd && !path.isAbsolute(substitute(m.word, m.info, env).replace(/^~/, '/'))) return deny(`${sockets}: a socket path relative to a directory only known at run time`);
        }
        // Any other mention of the run dir (`cd` into it, `ln -s` to it…).
        for (const m of mentions(c)) if (couldBeInside(m, here, env, [runDir], false)) return deny(sockets);

        // Writes whose target is only known at run time (or a glob) could land in omni's files.
        for (const m of runtimeWrites(c)) if (couldBeInside(m, here, env, protectedDirs, true)) return deny(`agents cannot change omni's own files: ${m.word} is only known at run time and could be one`);

        if ((c.program === 'cd' || c.program === 'pushd') && c.argInfo.some((a, k) => a.dynamic !== 'none' && !c.args[k]!.startsWith('-') && substitute(c.args[k]!, a, env).includes('\u0000'))) dynamicCd = true;

        if (c.program === 'git') {
          const g = gitSubcommand(c);
          if (g?.sub && state.inSet(GIT_SHELL_ALIASES, g.sub.toLowerCase())) {
            return deny(`"git ${g.sub}" is an alias this session defined as a shell command; run the command itself so it can be checked`);
          }
          if (g?.alias) updates.push({ op: 'add', set: GIT_SHELL_ALIASES, values: [g.alias] });
        }
      }
      for (const r of sh.redirects) {
        if (!r.dynamic || r.op.startsWith('<<') || !/[>]/.test(r.op)) continue;
        if (couldBeInside({ word: r.target, info: { dynamic: 'unquoted', glob: false } }, [...new Set(bases.flat())], env, protectedDirs, true)) {
          return deny(`agents cannot change omni's own files: ${r.target} is only known at run time and could be one`);
        }
      }
      return updates.length ? { updates } : {};
    },
  };
}

/** The directory the call runs in: the tool's own cwd (the adapter's normalized one), else the session's. */
function callCwd(subject: PolicySubject): string {
  return path.resolve(subject.session.cwd, subject.tool?.cwd ?? subject.session.cwd);
}

/** Every argument, and the parts of `--opt=value` / `UNIX:path,opts` forms. */
function mentions(c: ShellCommand): Mention[] {
  const out: Mention[] = [];
  c.args.forEach((a, k) => {
    const info = c.argInfo[k];
    out.push({ word: a, ...(info ? { info } : {}) });
    for (const part of a.split(/[=:,]/).slice(1)) if (part) out.push({ word: part, ...(info ? { info } : {}) });
  });
  return out;
}

/** Write targets (redirections and known writers) that are run-time words or globs. */
function runtimeWrites(c: ShellCommand): Mention[] {
  const out: Mention[] = [];
  for (const r of c.redirects) if (r.dynamic && !r.op.startsWith('<<') && r.op.includes('>') && !/^\d+-?$|^-$/.test(r.target)) out.push({ word: r.target, info: { dynamic: 'unquoted', glob: false } });
  for (const w of commandPaths(c).writes) {
    const k = c.args.findIndex((a) => a === w || a.endsWith(w));
    const info = c.argInfo[k];
    if (info && (info.dynamic !== 'none' || info.glob)) out.push({ word: w, info });
  }
  return out;
}
