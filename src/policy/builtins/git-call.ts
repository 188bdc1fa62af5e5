import { expandCommandBraces } from '../shell/braces.js';
import type { ShellCommand } from '../shell.js';
import { GIT_VALUE_OPTS } from './util.js';

/**
 * A git command resolved the way git reads it (for no_merge_push): the subcommand after git's
 * global options, then the subcommand's options and operands. Words only known at run time
 * (`$X`, `"$(…)"`, an unquoted glob the shell may expand, xargs input) are kept apart: a
 * policy treats them as "could be anything".
 */
export interface GitCall {
  /** The subcommand, lowercased; undefined when there is none or it is only known at run time. */
  sub?: string;
  /** The subcommand word is a run-time word (`git $X`), or xargs may supply it (`xargs git`). */
  subUnknown: boolean;
  /** `-c key=value` given to git itself (before the subcommand). */
  config: string[];
  /** Literal options before `--` (after the subcommand). */
  opts: string[];
  /** Literal operands: words that are not options, and every word after `--`. */
  operands: string[];
  /** The words after the subcommand, as given (for a subcommand's own option values). */
  rest: string[];
  /** Some word after the subcommand is a run-time word, or xargs may append more (`openArgs`). */
  unknownArgs: boolean;
}

const unknownWord = (info: ShellCommand['argInfo'][number] | undefined) => !!info && (info.dynamic !== 'none' || info.glob);

/** `git …` (also `hub …`, which passes its subcommands to git, and `git-<sub> …`) → GitCall; undefined for other programs. */
export function gitCall(raw: ShellCommand): GitCall | undefined {
  const program = raw.program.toLowerCase().replace(/\.exe$/, '');
  // `git-push …` is what git runs for `git push` (`"$(git --exec-path)"/git-push`): the same call.
  const dashed = /^git-([a-z0-9][a-z0-9-]*)$/.exec(program);
  if (dashed) raw = { ...raw, args: [dashed[1]!, ...raw.args], argInfo: [{ raw: dashed[1]!, dynamic: 'none', glob: false }, ...raw.argInfo] };
  else if (program !== 'git' && program !== 'hub') return undefined;
  const c = expandCommandBraces(raw);
  const config: string[] = [];
  let i = 0;
  for (; i < c.args.length; i++) {
    const w = c.args[i]!;
    if (unknownWord(c.argInfo[i])) break;
    if (GIT_VALUE_OPTS.has(w)) {
      if (w === '-c' && c.args[i + 1] !== undefined) config.push(c.args[i + 1]!);
      i++;
    } else if (!w.startsWith('-')) break;
  }
  if (i >= c.args.length) {
    return { subUnknown: raw.openArgs, config, opts: [], operands: [], rest: [], unknownArgs: raw.openArgs };
  }
  if (unknownWord(c.argInfo[i])) {
    return { subUnknown: true, config, opts: [], operands: [], rest: c.args.slice(i + 1), unknownArgs: true };
  }
  const rest = c.args.slice(i + 1);
  const info = c.argInfo.slice(i + 1);
  const opts: string[] = [];
  const operands: string[] = [];
  let unknownArgs = raw.openArgs;
  let afterDashes = false;
  rest.forEach((w, k) => {
    if (unknownWord(info[k])) {
      unknownArgs = true;
      return;
    }
    if (!afterDashes && w === '--') afterDashes = true;
    else if (!afterDashes && w.startsWith('-') && w !== '-') opts.push(w);
    else operands.push(w);
  });
  return { sub: c.args[i]!.toLowerCase(), subUnknown: false, config, opts, operands, rest, unknownArgs };
}

/** `--forc` for `--force`: git takes unique prefixes of long options (at least `min` letters). */
export function longOpt(a: string, name: string, min: number): boolean {
  const n = a.slice(2).split('=')[0]!;
  return a.startsWith('--') && n.length >= min && name.startsWith(n);
}

/** The letters of a bundle of short options (`-Df` → `Df`); empty for long options. */
export const shortLetters = (a: string): string => (/^-[A-Za-z0-9]+$/.test(a) ? a.slice(1) : '');

/**
 * A revision that stays on the current branch's own history: HEAD, @, their ancestors
 * (`HEAD~2`, `@^`) and reflog entries (`HEAD@{1}`, `@{2}`). Anything else may name another
 * branch (`main`, `origin/main`, `@{u}`, `@{-1}`, a commit id).
 */
export function ownHistory(rev: string): boolean {
  return /^(?:(?:HEAD|@)(?:@\{\d+\})?|@\{\d+\})(?:[~^]\d*)*$/.test(rev);
}

/**
 * git's own subcommands (builtins and the commands shipped with it). A word that is not one is
 * an alias or an external `git-<name>` omni cannot see into: `git up` may be `pull`.
 */
export const GIT_SUBCOMMANDS: ReadonlySet<string> = new Set(
  (
    'add am annotate apply archive bisect blame branch bundle cat-file check-attr check-ignore check-mailmap check-ref-format ' +
    'checkout checkout-index cherry cherry-pick citool clean clone column commit commit-graph commit-tree config count-objects ' +
    'credential describe diagnose diff diff-files diff-index diff-tree difftool fetch fetch-pack filter-branch for-each-ref ' +
    'for-each-repo format-patch fsck gc get-tar-commit-id grep gui hash-object help hook index-pack init instaweb interpret-trailers ' +
    'log ls-files ls-remote ls-tree mailinfo mailsplit maintenance merge merge-base merge-file merge-index merge-tree mktag mktree ' +
    'multi-pack-index mv name-rev notes pack-objects pack-refs patch-id prune prune-packed pull push range-diff read-tree rebase ' +
    'reflog remote repack replace request-pull rerere reset restore rev-list rev-parse revert rm send-email shortlog show ' +
    'show-branch show-index show-ref sparse-checkout stage stash status stripspace submodule switch symbolic-ref tag ' +
    'unpack-file unpack-objects update-index update-ref update-server-info var verify-commit verify-pack verify-tag version ' +
    'whatchanged worktree write-tree'
  ).split(' '),
);
