import path from 'node:path';
import { MERGE_VERBS, omniVerb } from '../guard-words.js';
import { matchCommand, parsePattern, type ShellCommand } from '../shell.js';
import type { PolicyDecision, ToolSubject } from '../types.js';
import type { Finding } from './deletes.js';
import { readOnlyFinding } from './git-read-only.js';
import { GIT_SUBCOMMANDS, gitCall, longOpt, ownHistory, shortLetters, type GitCall } from './git-call.js';
import type { Builtin } from './types.js';
import { clip, commandLine, isOpaque, opaqueReason, unreadShell } from './util.js';

/**
 * no_merge_push: an agent that must not move branches other than its own (Polly's lead, workers
 * and reviewers; docs/POLICIES.md). Commands are resolved, not grepped: git's global options
 * (`-C dir`, `-c k=v`), wrappers and `sh -c` nesting (the shell parser), brace words, and
 * words only known at run time (fail closed: `git $X` may be `git push`).
 */

const deny = (line: string, why: string, key: string): Finding => ({ verdict: 'deny', reason: `${line}: ${why}`, key });
const ask = (line: string, why: string, key: string): Finding => ({ verdict: 'ask', reason: `${line}: ${why}`, key });

const RUNTIME = 'an argument only known at run time could make it';
const has = (g: GitCall, letters: string, long: Array<[string, number]>) =>
  g.opts.some((o) => [...shortLetters(o)].some((l) => letters.includes(l)) || long.some(([n, min]) => longOpt(o, n, min)));

/** Operands before `--` (revisions and names; after `--` come paths). */
function positional(g: GitCall): string[] {
  const dd = g.rest.indexOf('--');
  const before = new Set(dd < 0 ? g.rest : g.rest.slice(0, dd));
  return g.operands.filter((o) => before.has(o));
}

/** Config keys that load other config (aliases), run programs on git's events, or define aliases. */
const RISKY_CONFIG = /^(alias\.|include\.path$|includeif\.|core\.hookspath$)/i;

function configFindings(g: GitCall, line: string): Finding[] {
  const out: Finding[] = [];
  for (const kv of g.config) {
    const key = kv.split('=')[0] ?? '';
    if (/^(include\.path|includeif\.|core\.hookspath)/i.test(key)) out.push(deny(line, `-c ${key} loads config or hooks omni cannot see (they could merge or push)`, 'git-config'));
  }
  if (g.sub !== 'config') return out;
  const pos = positional(g);
  const reads = g.opts.some((o) => /^--(get|unset|list|remove-section|rename-section|show|name-only|edit)/.test(o) || o === '-l' || o === '-e');
  const newStyle = pos[0] === 'set' || pos[0] === 'unset' || pos[0] === 'get' || pos[0] === 'list';
  const sets = newStyle ? pos[0] === 'set' : !reads && pos.length >= 2;
  // Any operand, not just the first: option values (`-f FILE`, `--blob B`) sit among them.
  const key = pos.find((k) => RISKY_CONFIG.test(k));
  if (key && sets) out.push(deny(line, `sets ${key}: an alias, include or hook could merge or push where omni cannot see it`, 'git-config'));
  return out;
}

/** Rebase only within the branch's own history: every revision it names is HEAD-relative. */
function rebaseFinding(g: GitCall, line: string): Finding | undefined {
  const control = ['--continue', '--abort', '--skip', '--quit', '--edit-todo', '--show-current-patch'];
  if (g.opts.some((o) => control.includes(o))) return undefined;
  if (g.unknownArgs) return deny(line, `${RUNTIME} rebase onto another branch`, 'git-rebase');
  const revs: string[] = [];
  const valued = new Set(['-x', '--exec', '-s', '--strategy', '-X', '--strategy-option', '--onto']);
  let root = false;
  for (let i = 0; i < g.rest.length; i++) {
    const w = g.rest[i]!;
    if (w === '--') break;
    if (w.startsWith('--onto=')) revs.push(w.slice(7));
    else if (valued.has(w)) {
      if (w === '--onto' && g.rest[i + 1] !== undefined) revs.push(g.rest[i + 1]!);
      i++;
    } else if (w === '--root') root = true;
    else if (!w.startsWith('-')) revs.push(w);
  }
  const other = revs.find((r) => !ownHistory(r));
  if (other) return deny(line, `rebases onto ${other}, another branch's history (only HEAD~n, HEAD^, @{n} are allowed)`, 'git-rebase');
  if (!revs.length && !root) return deny(line, 'rebases onto the configured upstream, another branch (name HEAD~n to rebase your own commits)', 'git-rebase');
  return undefined;
}

function gitFindings(c: ShellCommand, g: GitCall, line: string): Finding[] {
  const out = configFindings(g, line);
  for (const [k, v] of Object.entries(c.assignments)) {
    if (/^GIT_CONFIG(_GLOBAL|_SYSTEM)?$/.test(k)) out.push(deny(line, `${k} points git at a config file omni cannot read (its aliases could merge or push)`, 'git-config'));
    if (/^GIT_CONFIG_KEY_\d+$/.test(k) && RISKY_CONFIG.test(v)) out.push(deny(line, `${k}=${v} sets ${v} for this command`, 'git-config'));
  }
  if (g.subUnknown) return [...out, deny(line, 'the git subcommand is only known at run time: it could be push or merge', 'git-runtime')];
  const sub = g.sub;
  if (!sub) return out;
  const pos = positional(g);
  const runtime = (what: string) => deny(line, `${RUNTIME} ${what}`, `git-${sub}`);
  switch (sub) {
    case 'push':
    case 'send-pack':
    case 'http-push':
      return [...out, deny(line, 'pushes to a remote; a person merges and pushes (omni polly merge)', 'git-push')];
    case 'filter-branch':
      return [...out, deny(line, 'rewrites refs (with --all, every branch)', 'git-filter-branch')];
    case 'pull':
      return [...out, deny(line, 'pulls, which merges another branch into this one', 'git-pull')];
    case 'merge': {
      const abort = g.opts.length > 0 && g.opts.every((o) => o === '--abort' || o === '--quit') && !pos.length && !g.unknownArgs;
      return abort ? out : [...out, deny(line, 'merges branches; a person merges (omni polly merge)', 'git-merge')];
    }
    case 'update-ref':
      return [...out, deny(line, 'moves a ref directly', 'git-update-ref')];
    case 'branch':
      if (has(g, 'dDfMm', [['delete', 3], ['force', 4], ['move', 3]])) return [...out, deny(line, 'deletes, renames or force-moves a branch', 'git-branch')];
      if (has(g, 'C', [])) return [...out, deny(line, 'overwrites a branch (-C)', 'git-branch')];
      return g.unknownArgs ? [...out, runtime('delete or force-move a branch')] : out;
    case 'checkout':
    case 'switch':
      if (sub === 'checkout' ? has(g, 'B', []) : has(g, 'C', [['force-create', 7]])) return [...out, deny(line, `resets a branch to another commit (${sub === 'checkout' ? '-B' : '-C'})`, `git-${sub}`)];
      // git refuses to check out a branch that another worktree has (the person's base): keep it so.
      if (g.opts.some((o) => longOpt(o, 'ignore-other-worktrees', 3))) return [...out, deny(line, 'checks out a branch another worktree has; commits would move it', `git-${sub}`)];
      return g.unknownArgs ? [...out, runtime(`reset a branch (${sub === 'checkout' ? '-B' : '-C'})`)] : out;
    case 'worktree': {
      if (pos[0] !== 'add') return out;
      if (g.unknownArgs) return [...out, runtime('check out an existing branch')];
      if (has(g, 'fB', [['force', 2]])) return [...out, deny(line, 'forces a branch into a new worktree (-f/-B)', 'git-worktree')];
      // `add <path> <branch>` without -b/--detach checks out that branch: commits there would move it.
      const fresh = has(g, 'bd', [['detach', 2], ['orphan', 2]]);
      return !fresh && pos.length >= 3 ? [...out, deny(line, `checks out ${pos[2]} in a new worktree; commits there would move that branch (use -b NEW or --detach)`, 'git-worktree')] : out;
    }
    case 'reset': {
      if (g.unknownArgs) return [...out, runtime('reset the branch to another ref')];
      const rev = pos[0];
      if (rev !== undefined && !ownHistory(rev)) {
        return [...out, deny(line, `moves the branch to ${rev}, which may be another branch (HEAD~n is allowed; to unstage files: git restore --staged <paths>, or git reset -- <paths>)`, 'git-reset')];
      }
      return out;
    }
    case 'rebase': {
      const f = rebaseFinding(g, line);
      return f ? [...out, f] : out;
    }
    case 'fetch': {
      if (g.unknownArgs) return [...out, runtime('update a local branch (src:dst)')];
      const dst = pos.slice(1).find((r) => /:[^:]/.test(r.replace(/^\+/, '')));
      return dst ? [...out, deny(line, `updates a local ref (${dst})`, 'git-fetch')] : out;
    }
    case 'symbolic-ref':
      if (pos.length >= 2 || has(g, 'd', [['delete', 3]])) return [...out, deny(line, 'changes where a symbolic ref points', 'git-symbolic-ref')];
      return out;
    case 'sync':
      // hub sync fast-forwards local branches to their upstreams.
      if (c.program.toLowerCase().startsWith('hub')) return [...out, deny(line, 'updates local branches from the remote', 'hub-sync')];
  }
  if (!GIT_SUBCOMMANDS.has(sub)) return [...out, ask(line, `git ${sub} is not a git command omni knows: an alias or extension could merge or push`, `git-unknown:${sub}`)];
  return out;
}

const PATTERNS = ['gh pr merge', 'gh repo sync', 'glab mr merge'].map((p) => [p, parsePattern(p)] as const);
/** GitHub API paths and GraphQL mutations that merge or move refs. */
const API_MERGE = /(^|\/)(merges?|git\/refs)(\/|\?|$)|mergePullRequest|updateRefs?\b|createCommitOnBranch|mergeBranch/;

function forgeFindings(c: ShellCommand, line: string): Finding[] {
  const out: Finding[] = [];
  for (const [src, p] of PATTERNS) if (matchCommand(c, p)) out.push(deny(line, `${src} merges or moves branches; a person does that`, `forge:${src}`));
  // omni's own merge queue moves the target branch too: `omni merge`, `omni polly merge`.
  if (omniVerb(c, { home: '/nonexistent', vars: new Map() }, MERGE_VERBS)) out.push(deny(line, 'runs omni\'s merge queue; a person merges (omni polly merge)', 'omni-merge'));
  if (matchCommand(c, parsePattern('gh api'))) {
    if (c.args.some((a) => API_MERGE.test(a))) out.push(deny(line, 'calls an API that merges or moves refs', 'gh-api'));
    else if (c.argInfo.some((a) => a.dynamic !== 'none')) out.push(ask(line, 'an API call only known at run time (it could merge)', 'gh-api-runtime'));
  }
  return out;
}

/** Files whose change moves refs or runs code on git's events: refs, HEAD, config, hooks. */
const GIT_INTERNALS = /(^|\/)\.git(\/(config|HEAD|ORIG_HEAD|FETCH_HEAD|packed-refs|refs\/.*|hooks\/.*|worktrees\/.*))?$|(^|\/)\.gitconfig$|(^|\/)\.config\/git\/config$/;
/** MCP tools of forges that merge or write to a remote branch directly. */
const FORGE_TOOLS = /merge_pull_request|merge_merge_request|push_files|create_or_update_file|update_ref/i;

function toolFindings(t: ToolSubject): Finding[] {
  const out: Finding[] = [];
  if (FORGE_TOOLS.test(t.name)) out.push({ verdict: 'deny', reason: `${t.name} merges or writes to a remote branch; a person does that`, key: `tool:${t.name}` });
  for (const w of t.writes) {
    if (GIT_INTERNALS.test(path.posix.normalize(w))) out.push({ verdict: 'deny', reason: `${t.name} writes ${w}: git's refs, config and hooks are off limits`, key: `git-file:${w}` });
  }
  return out;
}

export const noMergePush: Builtin = {
  name: 'no_merge_push',
  summary: 'deny push, merge, pull, ref moves (branch -f/-D, checkout -B, reset/rebase onto another branch, update-ref), gh pr merge',
  params: {
    read_only: { type: 'boolean', default: false, doc: 'git may only read (status, log, diff, show…): for agents working in a person\'s own checkout' },
    opaque: { type: 'enum', values: ['ask', 'deny', 'ignore'], default: 'ask', doc: 'what to do with a shell script omni cannot fully parse (it could hide a push)' },
  },
  create(p, ctx) {
    const opaque = p.opaque as 'ask' | 'deny' | 'ignore';
    const readOnly = p.read_only as boolean;
    return {
      name: ctx.name,
      phases: ['tool_call'],
      source: ctx.source,
      evaluate(s): PolicyDecision {
        const t = s.tool;
        if (!t) return {};
        const findings = toolFindings(t);
        const sh = t.shell;
        if (!sh && unreadShell(t) && opaque !== 'ignore') findings.push({ verdict: opaque, reason: `${t.name}: a shell call omni could not read`, key: 'unread' });
        for (const c of sh?.commands ?? []) {
          const line = clip(commandLine(c), 120);
          const g = gitCall(c);
          if (g) findings.push(...gitFindings(c, g, line));
          const ro = g && readOnly ? readOnlyFinding(g, line) : undefined;
          if (ro) findings.push(ro);
          findings.push(...forgeFindings(c, line));
        }
        if (sh && opaque !== 'ignore' && isOpaque(sh)) findings.push({ verdict: opaque, reason: `shell command omni cannot fully parse (${opaqueReason(sh)})`, key: 'opaque' });
        const denied = findings.find((f) => f.verdict === 'deny');
        if (denied) return { verdict: 'deny', reason: denied.reason };
        if (!findings.length) return {};
        return { verdict: 'ask', reason: [...new Set(findings.map((f) => f.reason))].join('; '), grantKey: [...new Set(findings.map((f) => f.key))].sort().join('\n') };
      },
    };
  },
};
