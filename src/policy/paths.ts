import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';
import type { ParsedShell, ShellCommand } from './shell.js';

/**
 * What files a shell script reads and writes, as absolute normalized paths (docs/POLICIES.md
 * "Paths"): redirections and a table of well-known readers and writers, with `cd` followed.
 * Best effort: an interpreter (`python x.py`) can touch any file without it showing here.
 * Symlinks are not resolved. (Paths a tool's input names come from its adapter: subject.ts.)
 */
export interface ToolPaths {
  reads: string[];
  writes: string[];
}

export interface ToolPathsOptions {
  /** For `~` and `$HOME`; default os.homedir(). */
  home?: string;
  /** Expand a shell glob in the last path segment (`rm *.log`) against the file system. Default true. */
  expandGlobs?: boolean;
}

/** Expand `~`, `~/x`, `$HOME`, `${HOME}` at the start, then resolve against `cwd` and normalize. */
export function resolvePath(p: string, cwd: string, home: string = os.homedir()): string {
  let s = p;
  if (s === '~' || s === '$HOME' || s === '${HOME}') s = home;
  else if (s.startsWith('~/')) s = path.join(home, s.slice(2));
  else if (s.startsWith('$HOME/')) s = path.join(home, s.slice(6));
  else if (s.startsWith('${HOME}/')) s = path.join(home, s.slice(8));
  return path.resolve(cwd, s);
}

/** The reads and writes of a parsed shell script whose relative paths resolve against `cwd`. */
export function scriptPaths(shell: ParsedShell, cwd: string, opts: ToolPathsOptions = {}): ToolPaths {
  const reads = new Set<string>();
  const writes = new Set<string>();
  shellPaths(shell, path.resolve(cwd), opts.home ?? os.homedir(), opts.expandGlobs !== false, reads, writes);
  return { reads: [...reads], writes: [...writes] };
}

const IGNORED = /^\/dev\/(null|stdin|stdout|stderr|tty|fd\/\d+|zero|u?random)$/;

/**
 * The directories each command's relative paths resolve against, parallel to
 * `shell.commands`. `cd DIR` / `pushd DIR` changes where later relative paths resolve; subshell
 * scoping is not tracked, so after a `cd` a path resolves against every directory seen so far
 * (a superset: policies may see a path that is not touched, never miss one that is). A `cd`
 * to a directory only known at run time (`cd "$X"`) is not followed.
 */
export function commandBases(shell: ParsedShell, cwd: string, home: string = os.homedir()): string[][] {
  let bases = [path.resolve(cwd)];
  const out: string[][] = [];
  for (const cmd of shell.commands) {
    out.push(bases);
    // Inside wrappers too (`sh -c 'cd / && rm -rf etc'`): the superset holds either way.
    if (cmd.program === 'cd' || cmd.program === 'pushd') {
      const dir = cmd.args.filter((a) => !a.startsWith('-') || a === '-')[0];
      if (dir === undefined) bases = uniq([...bases, home]);
      else if (dir !== '-' && !/[$`]/.test(dir.replace(/^(\$HOME|\$\{HOME\})(?=\/|$)/, ''))) bases = uniq([...bases, ...bases.map((b) => resolvePath(dir, b, home))]).slice(0, 8);
    }
  }
  out.push(bases);
  return out;
}

/** Collect reads and writes of a parsed shell script into the given sets. */
function shellPaths(shell: ParsedShell, cwd: string, home: string, expandGlobs: boolean, reads: Set<string>, writes: Set<string>): void {
  const add = (set: Set<string>, p: string, bs: string[], glob = false): void => {
    if (p === '' || p === '-' || p.includes('{}')) return;
    for (const b of bs) {
      const abs = resolvePath(p, b, home);
      if (IGNORED.test(abs)) continue;
      set.add(abs);
      if (glob && expandGlobs) for (const e of expandLastSegment(abs)) set.add(e);
    }
  };
  const bases = commandBases(shell, cwd, home);
  shell.commands.forEach((cmd, i) => {
    const cmdBases = bases[i]!;
    for (const r of cmd.redirects) redirectPath(r.op, r.target, (set, p) => add(set === 'r' ? reads : writes, p, cmdBases));
    if (cmd.program === 'cd' || cmd.program === 'pushd') return;
    const io = commandPaths(cmd);
    const globAt = new Set(cmd.argInfo.flatMap((a, j) => (a.glob ? [cmd.args[j]] : [])));
    for (const p of io.reads) add(reads, p, cmdBases, globAt.has(p));
    for (const p of io.writes) add(writes, p, cmdBases, globAt.has(p));
  });
  // Bare redirections (`> f` with no command): not attached to a command above, so resolved
  // against every directory the script may be in.
  const key = (r: { op: string; target: string; fd?: number }): string => `${r.fd ?? ''}${r.op}${r.target}`;
  const attached = new Set(shell.commands.flatMap((c) => c.redirects.map(key)));
  const all = uniq(bases.flat());
  for (const r of shell.redirects) if (!attached.has(key(r))) redirectPath(r.op, r.target, (set, p) => add(set === 'r' ? reads : writes, p, all));
}

function redirectPath(op: string, target: string, out: (set: 'r' | 'w', p: string) => void): void {
  if (op.startsWith('<<')) return; // here-doc / here-string: the target is not a file
  if ((op === '>&' || op === '<&') && /^(\d+-?|-)$/.test(target)) return; // fd dup / close
  if (op === '<') return out('r', target);
  if (op === '<>') {
    out('r', target);
    return out('w', target);
  }
  if (op === '<&') return out('r', target);
  if (op.includes('>')) return out('w', target);
}

/** Expand `dir/*.log` (wildcard in the last segment only) against the file system. */
function expandLastSegment(abs: string): string[] {
  const dir = path.dirname(abs);
  const base = path.basename(abs);
  if (picomatch.scan(dir).isGlob) return [];
  try {
    const m = picomatch(base, { dot: base.startsWith('.') });
    return fs
      .readdirSync(dir)
      .filter((e) => m(e))
      .slice(0, 1000)
      .map((e) => path.join(dir, e));
  } catch {
    return [];
  }
}

const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];

interface Getopt {
  operands: string[];
  /** Options seen, by name (`-i` → `i`, `--in-place` → `in-place`), with their value if any. */
  opts: Map<string, string | true>;
}

/**
 * Minimal getopt: `short` letters take a value (attached or next arg), `optional` letters take
 * an attached value only, `long` names take a value (`--x=v` or `--x v`). `--` ends options.
 */
function getopt(args: readonly string[], spec: { short?: string; optional?: string; long?: string[] } = {}): Getopt {
  const operands: string[] = [];
  const opts = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) opts.set(name, a.slice(eq + 1));
      else if (spec.long?.includes(name) && i + 1 < args.length) opts.set(name, args[++i]!);
      else opts.set(name, true);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (spec.short?.includes(c)) {
          const rest = a.slice(j + 1);
          if (rest) opts.set(c, rest);
          else if (i + 1 < args.length) opts.set(c, args[++i]!);
          else opts.set(c, true);
          break;
        }
        if (spec.optional?.includes(c)) {
          opts.set(c, a.slice(j + 1) || true);
          break;
        }
        opts.set(c, true);
      }
      continue;
    }
    operands.push(a);
  }
  return { operands, opts };
}

const str = (v: string | true | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

const READERS = new Set([
  'cat', 'tac', 'nl', 'less', 'more', 'wc', 'strings', 'xxd', 'od', 'hexdump', 'base64', 'file', 'stat',
  'md5sum', 'sha1sum', 'sha224sum', 'sha256sum', 'sha384sum', 'sha512sum', 'cksum', 'bat', 'jq', 'yq',
]);
const DELETERS = new Set(['rm', 'rmdir', 'unlink', 'shred']);

/** Reads and writes (unresolved words) of one simple command, by program. */
export function commandPaths(cmd: Pick<ShellCommand, 'program' | 'args'>): ToolPaths {
  const { program: p, args } = cmd;
  const reads: string[] = [];
  const writes: string[] = [];
  if (READERS.has(p)) {
    const g = getopt(args, { short: p === 'jq' || p === 'yq' ? 'f' : '' , long: ['arg', 'argjson'] });
    let ops = g.operands;
    if ((p === 'jq' || p === 'yq') && !g.opts.has('f')) ops = ops.slice(1); // the filter
    reads.push(...ops);
  } else if (p === 'head' || p === 'tail') {
    reads.push(...getopt(args, { short: 'ncs', long: ['lines', 'bytes', 'pid', 'sleep-interval'] }).operands);
  } else if (p === 'grep' || p === 'egrep' || p === 'fgrep' || p === 'rg') {
    const g = getopt(args, {
      short: p === 'rg' ? 'efgtTABCmMj' : 'efABCmdD',
      long: ['regexp', 'file', 'glob', 'type', 'type-not', 'max-count', 'context', 'after-context', 'before-context'],
    });
    const f = str(g.opts.get('f')) ?? str(g.opts.get('file'));
    if (f) reads.push(f);
    const patterned = g.opts.has('e') || g.opts.has('regexp') || f !== undefined;
    const files = patterned ? g.operands : g.operands.slice(1);
    if (files.length) reads.push(...files);
    else if (p === 'rg' || g.opts.has('r') || g.opts.has('R') || g.opts.has('recursive')) reads.push('.');
  } else if (p === 'source' || p === '.') {
    if (args[0] !== undefined) reads.push(args[0]);
  } else if (p === 'tee') {
    writes.push(...getopt(args).operands);
  } else if (p === 'touch') {
    const g = getopt(args, { short: 'drt', long: ['date', 'reference', 'time'] });
    const ref = str(g.opts.get('r')) ?? str(g.opts.get('reference'));
    if (ref) reads.push(ref);
    writes.push(...g.operands);
  } else if (DELETERS.has(p)) {
    writes.push(...getopt(args, { short: p === 'shred' ? 'ns' : '' }).operands);
  } else if (p === 'mkdir') {
    writes.push(...getopt(args, { short: 'm', long: ['mode'] }).operands);
  } else if (p === 'mv') {
    const g = getopt(args, { short: 'tS', long: ['target-directory', 'suffix'] });
    const t = str(g.opts.get('t')) ?? str(g.opts.get('target-directory'));
    writes.push(...g.operands);
    if (t) writes.push(t);
  } else if (p === 'cp' || p === 'install' || p === 'ln') {
    const g = getopt(args, { short: p === 'install' ? 'tSmog' : 'tS', long: ['target-directory', 'suffix', 'mode', 'owner', 'group'] });
    const t = str(g.opts.get('t')) ?? str(g.opts.get('target-directory'));
    const ops = g.operands;
    if (p === 'install' && (g.opts.has('d') || g.opts.has('directory'))) writes.push(...ops);
    else if (t) {
      writes.push(t);
      if (p !== 'ln') reads.push(...ops);
    } else if (ops.length >= 2) {
      writes.push(ops[ops.length - 1]!);
      if (p !== 'ln') reads.push(...ops.slice(0, -1));
    } else if (ops.length === 1 && p === 'ln') writes.push(path.basename(ops[0]!));
  } else if (p === 'sed') {
    const g = getopt(args, { short: 'efl', optional: 'i', long: ['expression', 'file', 'line-length'] });
    const inPlace = g.opts.has('i') || g.opts.has('in-place');
    let ops = g.operands;
    if (g.opts.get('i') === true && ops[0] === '') ops = ops.slice(1); // BSD `sed -i '' …`
    const scripted = g.opts.has('e') || g.opts.has('f') || g.opts.has('expression') || g.opts.has('file');
    const files = scripted ? ops : ops.slice(1);
    (inPlace ? writes : reads).push(...files);
    const f = str(g.opts.get('f')) ?? str(g.opts.get('file'));
    if (f) reads.push(f);
  } else if (p === 'perl') {
    const g = getopt(args, { short: 'eEIMm', optional: 'i0lFxCdD' });
    const coded = g.opts.has('e') || g.opts.has('E');
    const files = coded ? g.operands : g.operands.slice(1);
    if (!coded && g.operands[0] !== undefined) reads.push(g.operands[0]);
    (g.opts.has('i') ? writes : reads).push(...files);
  } else if (p === 'truncate') {
    const g = getopt(args, { short: 'sr', long: ['size', 'reference'] });
    writes.push(...g.operands);
  } else if (p === 'chmod' || p === 'chown' || p === 'chgrp') {
    // A chmod mode may look like an option (`-x`, `-w`): only c, f, v, R, h, H, L, P are flags.
    const flags = /^-[cfvRhHLP]+$/;
    const norm = args.map((a) => (p === 'chmod' && a.startsWith('-') && !a.startsWith('--') && !flags.test(a) ? `\u0000${a}` : a));
    const g = getopt(norm);
    const ops = g.operands.map((a) => a.replace(/^\u0000/, ''));
    const hasRef = [...g.opts.keys()].some((k) => k === 'reference');
    writes.push(...(hasRef ? ops : ops.slice(1)));
  } else if (p === 'dd') {
    for (const a of args) {
      if (a.startsWith('of=')) writes.push(a.slice(3));
      else if (a.startsWith('if=')) reads.push(a.slice(3));
    }
  } else if (p === 'find') {
    const starts: string[] = [];
    for (const a of args) {
      if (a.startsWith('-') || a === '(' || a === '!') break;
      starts.push(a);
    }
    if (!starts.length) starts.push('.');
    reads.push(...starts);
    if (args.includes('-delete')) writes.push(...starts);
  } else if (p === 'curl') {
    // Short options bundle (`-sSLo file`, `-so file`); letters before a value-taking one are flags.
    const g = getopt(args, { short: 'oTcDKdHuXAebEFmrwxyYzCQtUP', long: ['output', 'upload-file', 'cookie-jar', 'dump-header', 'stderr', 'trace', 'trace-ascii', 'etag-save'] });
    for (const k of ['o', 'output', 'c', 'cookie-jar', 'D', 'dump-header', 'stderr', 'trace', 'trace-ascii', 'etag-save']) {
      const v = str(g.opts.get(k));
      if (v !== undefined && v !== '-') writes.push(v);
    }
    const up = str(g.opts.get('T')) ?? str(g.opts.get('upload-file'));
    if (up !== undefined) reads.push(up);
  } else if (p === 'wget') {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if ((a === '-O' || a === '--output-document' || a === '-P' || a === '--directory-prefix') && args[i + 1] !== undefined) writes.push(args[++i]!);
      else if (a.startsWith('--output-document=')) writes.push(a.slice(18));
      else if (a.startsWith('--directory-prefix=')) writes.push(a.slice(19));
    }
  } else if (p === 'tar') {
    const first = args[0] ?? '';
    const bundled = first !== '' && !first.startsWith('-') ? [`-${first}`, ...args.slice(1)] : [...args];
    const g = getopt(bundled, { short: 'fCT', long: ['file', 'directory'] });
    const file = str(g.opts.get('f')) ?? str(g.opts.get('file'));
    const dir = str(g.opts.get('C')) ?? str(g.opts.get('directory'));
    if (g.opts.has('x') || g.opts.has('extract') || g.opts.has('get')) {
      if (file) reads.push(file);
      writes.push(dir ?? '.');
    } else if (g.opts.has('c') || g.opts.has('create') || g.opts.has('r') || g.opts.has('u') || g.opts.has('append')) {
      if (file) writes.push(file);
      reads.push(...g.operands.map((o) => (dir ? path.join(dir, o) : o)));
    } else if (file) reads.push(file);
  } else if (p === 'unzip') {
    const g = getopt(args, { short: 'dx' });
    if (g.operands[0] !== undefined) reads.push(g.operands[0]);
    if (!g.opts.has('l') && !g.opts.has('t') && !g.opts.has('p')) writes.push(str(g.opts.get('d')) ?? '.');
  }
  return { reads, writes };
}
