/**
 * `matchCommand(cmd, pattern)`: does a parsed command look like `git push`, `rm -rf /`,
 * `npm install|i|add`? The full semantics are documented in `src/policy/shell.ts`.
 */
import path from 'node:path';
import type { ParsedShell, ShellCommand } from './types.js';
import { normProgram } from './walk.js';

export interface MatchOptions {
  /**
   * How words holding run-time expansions (`$X`, `"$(…)"`, xargs input) are treated.
   * `wildcard` (default, fail-closed): they may be anything, so `git $SUB` matches `git push`
   * and `rm -rf "$DIR"` matches `rm -rf /`. `literal`: compared as their source text.
   */
  dynamic?: 'wildcard' | 'literal';
}

interface FlagAtom {
  name: string;
  short: boolean;
}
interface FlagAlt {
  /** The alternative as written; an argument equal to it always satisfies it (`find -delete`). */
  exact: string;
  /** All required (`-rf` is r and f); empty for `--opt=value` forms (exact only). */
  atoms: FlagAtom[];
}
interface PosTok {
  any: boolean;
  res: RegExp[];
  literals: string[];
}

export interface CommandPattern {
  source: string;
  programs: Array<{ re: RegExp; path: boolean }>;
  /** Literal program names (for the flag synonym table). */
  programNames: string[];
  /** Each entry is one required flag: satisfied by any of its alternatives. */
  flags: FlagAlt[][];
  positionals: PosTok[];
}

/**
 * Flag spellings that mean the same thing, per program or `program subcommand`. One-letter
 * names are short options, longer ones long options.
 */
const SYNONYMS: Record<string, string[][]> = {
  rm: [['r', 'R', 'recursive'], ['f', 'force'], ['d', 'dir'], ['i', 'interactive'], ['v', 'verbose']],
  cp: [['r', 'R', 'recursive'], ['f', 'force'], ['a', 'archive'], ['n', 'no-clobber']],
  mv: [['f', 'force'], ['i', 'interactive'], ['n', 'no-clobber']],
  ln: [['s', 'symbolic'], ['f', 'force']],
  chmod: [['R', 'recursive']],
  chown: [['R', 'recursive']],
  chgrp: [['R', 'recursive']],
  rsync: [['r', 'recursive'], ['a', 'archive'], ['n', 'dry-run']],
  'git push': [['f', 'force'], ['d', 'delete'], ['u', 'set-upstream'], ['n', 'dry-run'], ['q', 'quiet'], ['v', 'verbose']],
  'git clean': [['f', 'force'], ['n', 'dry-run'], ['i', 'interactive'], ['q', 'quiet']],
  'git checkout': [['f', 'force'], ['q', 'quiet']],
  'git switch': [['f', 'force', 'discard-changes'], ['c', 'create'], ['C', 'force-create']],
  'git branch': [['d', 'delete'], ['f', 'force'], ['m', 'move'], ['c', 'copy']],
  'git commit': [['a', 'all'], ['m', 'message'], ['n', 'no-verify'], ['S', 'gpg-sign'], ['F', 'file']],
  'git add': [['A', 'all'], ['f', 'force'], ['u', 'update'], ['p', 'patch']],
  'git reset': [['q', 'quiet'], ['p', 'patch']],
  'git stash': [['u', 'include-untracked'], ['a', 'all']],
  'git tag': [['d', 'delete'], ['f', 'force'], ['a', 'annotate'], ['s', 'sign']],
  'npm install': [['g', 'global'], ['D', 'save-dev'], ['f', 'force'], ['E', 'save-exact']],
  'npm i': [['g', 'global'], ['D', 'save-dev'], ['f', 'force'], ['E', 'save-exact']],
  'npm uninstall': [['g', 'global']],
  'npm publish': [['f', 'force']],
  'pnpm add': [['g', 'global'], ['D', 'save-dev'], ['E', 'save-exact']],
  'yarn add': [['D', 'dev'], ['E', 'exact']],
  'pip install': [['U', 'upgrade'], ['r', 'requirement'], ['e', 'editable'], ['I', 'ignore-installed']],
  'docker run': [['d', 'detach'], ['i', 'interactive'], ['t', 'tty'], ['v', 'volume'], ['p', 'publish'], ['e', 'env']],
  'docker rm': [['f', 'force'], ['v', 'volumes']],
  'docker system prune': [['a', 'all'], ['f', 'force']],
  'kubectl delete': [['A', 'all-namespaces'], ['f', 'filename']],
  sed: [['i', 'in-place']],
  curl: [['o', 'output'], ['O', 'remote-name'], ['X', 'request'], ['d', 'data']],
  tar: [['x', 'extract', 'get'], ['c', 'create'], ['f', 'file'], ['z', 'gzip']],
};

// ---------------------------------------------------------------- globs and paths

function escapeRe(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** `*` any text, `?` one character, `[…]` a character class (shell style); the rest literal. */
function globRe(glob: string, classes = false): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[' && classes) {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += escapeRe(c);
  }
  try {
    return new RegExp(`^${re}$`, 's');
  } catch {
    return new RegExp(`^${escapeRe(glob)}$`, 's');
  }
}

/** Lexically normalized path: `//` → `/`, `/tmp/../` → `/`, `./x/` → `x`. Non-paths unchanged. */
export function normPath(v: string): string {
  if (!v.includes('/')) return v;
  let n = path.posix.normalize(v);
  if (n.startsWith('//')) n = n.replace(/^\/+/, '/');
  if (n.length > 1 && n.endsWith('/')) n = n.slice(0, -1);
  return n;
}

// ---------------------------------------------------------------- patterns

function tokens(p: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  for (const c of p) {
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (cur || has) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (cur || has) out.push(cur);
  return out;
}

function flagAlt(a: string): FlagAlt {
  if (a.startsWith('--')) return { exact: a, atoms: a.includes('=') ? [] : [{ name: a.slice(2), short: false }] };
  if (a.startsWith('-')) return { exact: a, atoms: [...a.slice(1)].map((c) => ({ name: c, short: true })) };
  return { exact: a, atoms: [] };
}

export function parsePattern(pattern: string): CommandPattern {
  const [prog, ...rest] = tokens(pattern);
  if (!prog) throw new Error('empty command pattern');
  const progAlts = prog.split('|').filter(Boolean);
  const pat: CommandPattern = {
    source: pattern,
    programs: progAlts.map((a) => (a.includes('/') ? { re: globRe(a), path: true } : { re: globRe(normProgram(a)), path: false })),
    programNames: progAlts.filter((a) => !/[*?/]/.test(a)).map(normProgram),
    flags: [],
    positionals: [],
  };
  for (const t of rest) {
    if (t === '...') pat.positionals.push({ any: true, res: [], literals: [] });
    else if (t.length > 1 && t.startsWith('-') && t !== '--') pat.flags.push(t.split('|').filter(Boolean).map(flagAlt));
    else {
      const alts = t.split('|');
      pat.positionals.push({ any: false, res: alts.map((a) => globRe(a)), literals: alts });
    }
  }
  return pat;
}

/** A string pattern is parsed on every call: code on a decision's path passes one parsed where it is loaded. */
const compiled = (p: string | CommandPattern): CommandPattern => (typeof p === 'string' ? parsePattern(p) : p);

// ---------------------------------------------------------------- commands

interface Cand {
  value: string;
  /** Right after an option: may be that option's value rather than an operand. */
  ambiguous: boolean;
  dyn: 'none' | 'quoted' | 'unquoted';
  glob: boolean;
}
interface Analysis {
  shorts: Set<string>;
  longs: string[];
  tokens: Set<string>;
  cands: Cand[];
  /** A run-time word could supply any flag. */
  flagWild: boolean;
}

function analyze(cmd: ShellCommand, literal: boolean): Analysis {
  const an: Analysis = { shorts: new Set(), longs: [], tokens: new Set(), cands: [], flagWild: !literal && cmd.openArgs };
  let afterDD = false;
  let prevFlag = false;
  cmd.args.forEach((a, k) => {
    const info = cmd.argInfo[k];
    const dyn = literal || !info ? 'none' : info.dynamic;
    if (!afterDD && a === '--' && dyn === 'none') {
      afterDD = true;
      prevFlag = false;
      return;
    }
    if (!afterDD && a.length > 1 && a.startsWith('-')) {
      an.tokens.add(a);
      if (a.startsWith('--')) {
        an.longs.push(a.slice(2).split('=')[0]!);
        prevFlag = !a.includes('=');
      } else {
        for (const c of a.slice(1)) an.shorts.add(c);
        prevFlag = true;
      }
      if (dyn !== 'none') an.flagWild = true;
      return;
    }
    an.cands.push({ value: a, ambiguous: prevFlag, dyn, glob: !literal && !!info?.glob });
    if (dyn !== 'none' && !prevFlag) an.flagWild = true;
    prevFlag = false;
  });
  // `git push origin +main` force-pushes main.
  if (normProgram(cmd.program) === 'git') {
    const sub = an.cands.findIndex((c) => !c.ambiguous);
    if (an.cands[sub]?.value === 'push' && an.cands.slice(sub + 1).some((c) => c.value.length > 1 && c.value.startsWith('+'))) {
      an.longs.push('force');
      an.shorts.add('f');
    }
  }
  return an;
}

function groupsFor(pat: CommandPattern): string[][] {
  const out: string[][] = [];
  const subs = pat.positionals[0]?.any === false ? pat.positionals[0].literals : [];
  for (const p of pat.programNames) {
    out.push(...(SYNONYMS[p] ?? []));
    for (const s of subs) {
      out.push(...(SYNONYMS[`${p} ${s}`] ?? []));
      const s2 = pat.positionals[1]?.any === false ? pat.positionals[1].literals : [];
      for (const t of s2) out.push(...(SYNONYMS[`${p} ${s} ${t}`] ?? []));
    }
  }
  return out;
}

function hasAtom(an: Analysis, atom: FlagAtom, groups: string[][]): boolean {
  const names = new Set([atom.name]);
  for (const g of groups) if (g.includes(atom.name)) for (const n of g) names.add(n);
  for (const n of names) {
    if (n.length === 1 && (atom.short || n !== atom.name)) {
      if (an.shorts.has(n)) return true;
    } else if (an.longs.some((l) => l === n || (l.length > 0 && n.startsWith(l)))) return true;
  }
  return false;
}

function wordMatch(p: PosTok, c: Cand): boolean {
  const vals = [c.value, normPath(c.value)];
  if (p.res.some((re) => vals.some((v) => re.test(v)))) return true;
  if (!c.glob) return false;
  // The command's own glob could expand to the pattern's word (`rm -rf /e*` vs `/etc`).
  const cre = globRe(c.value, true);
  if (p.literals.some((l) => cre.test(l) || cre.test(normPath(l)))) return true;
  // Removing everything in a directory counts as the directory (`rm -rf /tmp/*` vs `/tmp`).
  const m = /^(.*)\/\*$/.exec(c.value);
  return !!m && p.res.some((re) => re.test(normPath(m[1] || '/')));
}

function matchPositionals(P: PosTok[], C: Cand[], open: boolean): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    if (i === P.length) return true;
    const key = i * (C.length + 1) + j;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    memo.set(key, false);
    let r: boolean;
    const p = P[i]!;
    if (p.any) {
      r = false;
      for (let k = j; k <= C.length && !r; k++) r = go(i + 1, k);
    } else if (j === C.length) r = open;
    else {
      const c = C[j]!;
      r = c.ambiguous && go(i, j + 1);
      if (!r) {
        if (c.dyn === 'unquoted') r = go(i, j + 1) || go(i + 1, j) || go(i + 1, j + 1);
        else if (c.dyn === 'quoted') r = go(i + 1, j + 1);
        else r = wordMatch(p, c) && go(i + 1, j + 1);
      }
    }
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

/**
 * Does `cmd` match `pattern`? See the module documentation of `src/policy/shell.ts` for the
 * pattern language. Never throws for a non-empty pattern.
 */
export function matchCommand(cmd: ShellCommand, pattern: string | CommandPattern, opts: MatchOptions = {}): boolean {
  const pat = compiled(pattern);
  const prog = normProgram(cmd.program);
  if (!pat.programs.some((p) => (p.path ? p.re.test(cmd.programPath) : p.re.test(prog)))) return false;
  const literal = opts.dynamic === 'literal';
  const an = analyze(cmd, literal);
  if (!an.flagWild && pat.flags.length) {
    const groups = groupsFor(pat);
    for (const req of pat.flags) {
      const ok = req.some((alt) => an.tokens.has(alt.exact) || (alt.atoms.length > 0 && alt.atoms.every((a) => hasAtom(an, a, groups))));
      if (!ok) return false;
    }
  }
  return matchPositionals(pat.positionals, an.cands, !literal && cmd.openArgs);
}

/** The commands of a parse that match `pattern`. */
export function findCommands(parsed: ParsedShell, pattern: string | CommandPattern, opts: MatchOptions = {}): ShellCommand[] {
  const pat = compiled(pattern);
  return parsed.commands.filter((c) => matchCommand(c, pat, opts));
}
