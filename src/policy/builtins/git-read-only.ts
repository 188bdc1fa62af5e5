import type { Finding } from './deletes.js';
import { longOpt, shortLetters, type GitCall } from './git-call.js';

/**
 * no_merge_push's `read_only: true`: git may only read (Polly's lead and reviewers, which work
 * in the person's own checkout: a `git stash` or `git reset --hard` there loses the person's
 * work). An allowlist: what is not known to only read is denied, aliases included.
 */

/** Subcommands that only read, whatever their arguments (but `--output`, `grep -O`: below). */
const READS = new Set(
  (
    'status log show diff blame annotate grep ls-files ls-tree ls-remote rev-parse rev-list cat-file describe shortlog ' +
    'show-ref for-each-ref merge-base name-rev whatchanged range-diff diff-tree diff-index diff-files count-objects ' +
    'check-ignore check-attr check-ref-format check-mailmap help version var cherry show-branch verify-commit verify-tag ' +
    'get-tar-commit-id'
  ).split(' '),
);

/** Options of `branch`/`tag` that only list, and those of them that take the next word as a value. */
const LIST_OPTS = ['-a', '-r', '-v', '-vv', '-l', '--list', '-i', '--ignore-case', '--show-current', '--all', '--remotes', '--verbose', '--color', '--no-color', '--column', '--no-column', '-n'];
const LIST_VALUED = ['--merged', '--no-merged', '--contains', '--no-contains', '--points-at', '--format', '--sort'];

/** `git branch` / `git tag` that lists: only listing options, and no name unless `--list` (a pattern). */
function lists(g: GitCall): boolean {
  let listing = false;
  const names: string[] = [];
  for (let i = 0; i < g.rest.length; i++) {
    const w = g.rest[i]!;
    const base = w.split('=')[0]!;
    if (LIST_VALUED.includes(base)) {
      if (!w.includes('=')) i++;
    } else if (LIST_OPTS.includes(base) || /^--(abbrev|no-abbrev)/.test(w) || /^-n\d*$/.test(w)) {
      if (w === '-l' || w === '--list') listing = true;
    } else if (w.startsWith('-')) return false;
    else names.push(w);
  }
  return listing || names.length === 0;
}

function subWord(g: GitCall): string | undefined {
  return g.operands[0];
}

/** Why a git call is not read-only, or undefined when it only reads. */
function notReadOnly(g: GitCall): string | undefined {
  const sub = g.sub!;
  if (g.unknownArgs) return 'an argument only known at run time could make it write (--output=…)';
  if (g.opts.some((o) => longOpt(o, 'output', 3))) return '--output writes a file';
  if (READS.has(sub)) {
    if (sub === 'grep' && g.opts.some((o) => shortLetters(o).includes('O') || longOpt(o, 'open-files-in-pager', 3))) return 'grep -O runs a program';
    return undefined;
  }
  const first = subWord(g);
  switch (sub) {
    case 'branch':
    case 'tag':
      return lists(g) ? undefined : `git ${sub} may only list here`;
    case 'stash':
      return first === 'list' || first === 'show' ? undefined : 'git stash changes the working tree';
    case 'worktree':
      return first === 'list' ? undefined : 'git worktree may only list here';
    case 'remote':
      return first === undefined || first === 'show' || first === 'get-url' ? undefined : 'git remote may only read here';
    case 'notes':
      return first === undefined || first === 'list' || first === 'show' ? undefined : 'git notes may only read here';
    case 'reflog':
      return first === 'expire' || first === 'delete' || first === 'drop' ? 'git reflog may only read here' : undefined;
    case 'submodule':
      return first === undefined || first === 'status' || first === 'summary' ? undefined : 'git submodule may only read here';
    case 'symbolic-ref':
      return g.operands.length === 1 && !g.opts.length ? undefined : 'git symbolic-ref may only read here';
    case 'config': {
      const writes = g.opts.some((o) => /^--(unset|add|replace-all|rename-section|remove-section|edit)/.test(o) || o === '-e');
      const newStyle = first === 'get' || first === 'list' || first === 'set' || first === 'unset' || first === 'edit' || first === 'rename-section' || first === 'remove-section';
      const ok = newStyle ? first === 'get' || first === 'list' : !writes && (g.operands.length <= 1 || g.opts.some((o) => /^--get/.test(o)));
      return ok ? undefined : 'git config may only read here';
    }
  }
  return `git ${sub} changes the repository or working tree; this session may only read`;
}

/** A deny when a git call does more than read (`read_only: true`). */
export function readOnlyFinding(g: GitCall, line: string): Finding | undefined {
  if (!g.sub) return undefined;
  const why = notReadOnly(g);
  return why ? { verdict: 'deny', reason: `${line}: ${why}`, key: `git-read-only:${g.sub}` } : undefined;
}
