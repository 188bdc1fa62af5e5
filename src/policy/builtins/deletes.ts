import fs from 'node:fs';
import path from 'node:path';
import type { PathGlob } from '../match.js';
import { commandBases, resolvePath } from '../paths.js';
import { matchCommand, parsePattern, type ParsedShell, type ShellCommand } from '../shell.js';
import { expandCommandBraces } from '../shell/braces.js';
import { clip, commandLine } from './util.js';

/**
 * blast_radius's delete check (docs/POLICIES.md): recursive `rm` and `find -delete` of `/`, a
 * home directory, a system directory or its contents, or a directory holding the session's
 * deny; deeper inside a system directory, of the session directory itself, or of paths only
 * known at run time asks. Targets are the words the shell would pass: braces expanded, globs
 * matched against the protected directories, `~user` resolved, `cd` followed (inside wrappers
 * too) from the call's own working directory.
 */

/** Deletion of these (or their contents, `/etc/*`) is denied; anything deeper inside asks (except in scratch dirs). */
export const SYSTEM_DIRS: readonly string[] = [
  '/etc', '/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/var', '/boot', '/sys', '/proc', '/dev',
  '/opt', '/root', '/home', '/Users', '/System', '/Library', '/Applications', '/private', '/snap', '/srv', '/mnt', '/media',
];
/** Scratch dirs: anything inside goes; removing the directory itself asks. */
export const SCRATCH: readonly string[] = ['/tmp', '/var/tmp', '/private/tmp', '/dev/shm'];

export type Finding = { verdict: 'deny' | 'ask'; reason: string; key: string };

export interface DeleteContext {
  /** The call's working directory (absolute). */
  cwd: string;
  home: string;
  /** More paths whose recursive deletion is denied (compiled with the policy). */
  protect: readonly PathGlob[];
  /** `~user` → that user's home directory. */
  userHome(name: string): string;
}

const GLOB = /[*?[]/;
const RM_RECURSIVE = parsePattern('rm -r');
/** find tests that narrow what `-delete` removes. */
const FIND_TESTS = new Set(['-name', '-iname', '-path', '-ipath', '-wholename', '-regex', '-iregex', '-newer', '-mtime', '-mmin', '-atime', '-amin', '-ctime', '-cmin', '-size', '-empty', '-user', '-group', '-perm', '-links', '-inum']);
/** A last segment that only selects entries (`*`, `.*`, `[a-z]*`): the directory's contents. */
const contentsOnly = (seg: string): boolean => GLOB.test(seg) && /^[*?.]+$/.test(seg.replace(/\[[^\]]*\]/g, '?'));

/** Every delete finding of a parsed script. */
export function deleteFindings(sh: ParsedShell, ctx: DeleteContext): Finding[] {
  const out: Finding[] = [];
  const bases = commandBases(sh, ctx.cwd, ctx.home);
  let unknownDir: string | undefined;
  sh.commands.forEach((raw, i) => {
    const c = expandCommandBraces(raw);
    if (raw.program === 'cd' || raw.program === 'pushd' || raw.program === 'popd') {
      // Where a `cd "$X"`, `cd -` or `popd` lands is only known at run time (commandBases does not follow it).
      const k = raw.args.findIndex((a, j) => !a.startsWith('-') || a === '-' || raw.argInfo[j]?.dynamic !== 'none');
      const dir = raw.args[k];
      const dynamic = k >= 0 && raw.argInfo[k]?.dynamic !== 'none' && !/^(\$HOME|\$\{HOME\})(\/|$)/.test(dir!);
      if (raw.program === 'popd' || dir === '-' || dir?.startsWith('~-') || dynamic) unknownDir = raw.text || commandLine(raw);
      return;
    }
    if (c.program === 'rm' || c.program === 'rmdir') out.push(...rmFindings(c, bases[i]!, ctx, unknownDir));
    if (c.program === 'find' && c.args.includes('-delete')) {
      const stop = c.args.findIndex((a) => a.startsWith('-') || a === '(' || a === '!');
      const n = stop < 0 ? c.args.length : stop;
      const starts = n ? c.args.slice(0, n) : ['.'];
      const info = n ? c.argInfo.slice(0, n) : [{ raw: '.', dynamic: 'none' as const, glob: false }];
      const found = rmFindings({ ...c, program: 'find', args: ['-r', ...starts], argInfo: [{ raw: '-r', dynamic: 'none', glob: false }, ...info] }, bases[i]!, ctx, unknownDir);
      // `find . -name '*.pyc' -delete` picks files inside the working tree, which is ordinary work.
      const filtered = c.args.some((a) => FIND_TESTS.has(a));
      out.push(...(filtered ? found.filter((f) => !(f.verdict === 'ask' && f.key === `rm:${path.resolve(ctx.cwd)}`)) : found));
    }
  });
  return out;
}

function isLong(a: string, name: string): boolean {
  const n = a.slice(2).split('=')[0]!;
  return a.startsWith('--') && n.length > 0 && name.startsWith(n);
}

function rmFindings(c: ShellCommand, bases: string[], ctx: DeleteContext, unknownDir: string | undefined): Finding[] {
  const out: Finding[] = [];
  const line = clip(commandLine(c), 120);
  // `rm --rec --forc`, `rm -Rf`: the matcher knows the synonyms and abbreviations. An unquoted
  // run-time word may split into `-rf /` (`rm $OPTS x`), and xargs may add flags; a quoted one
  // (`rm "$F"`) is one word, taken as a file.
  const recursive = c.program !== 'rm' || matchCommand(c, RM_RECURSIVE, { dynamic: 'literal' }) || c.openArgs || c.argInfo.some((a) => a.dynamic === 'unquoted');
  if (c.program === 'rm' && c.args.some((a, i) => isLong(a, 'no-preserve-root') && (c.args.indexOf('--') < 0 || i < c.args.indexOf('--')))) {
    out.push({ verdict: 'deny', reason: `${line}: --no-preserve-root`, key: 'rm-root' });
  }
  // `… | xargs rm`, `fd -X rm -rf`: the targets (and maybe flags) come from input omni cannot see.
  if (c.openArgs && (c.program === 'rm' || c.program === 'rmdir')) {
    out.push({ verdict: 'ask', reason: `${line}: deletes paths only known at run time (fed by ${c.via[c.via.length - 1] ?? 'its input'})`, key: `rm-open:${line}` });
  }
  if (!recursive) return out;
  let endOpts = false;
  c.args.forEach((a, i) => {
    const info = c.argInfo[i];
    if (!endOpts && a === '--') return void (endOpts = true);
    if (!endOpts && a.startsWith('-') && a.length > 1 && (info?.dynamic ?? 'none') === 'none') return;
    const literalHome = a.replace(/^(\$HOME|\$\{HOME\})(?=\/|$)/, '~');
    if (/[$`]/.test(literalHome) || ((info?.dynamic ?? 'none') !== 'none' && literalHome === a) || /^~-(\/|$)/.test(a)) {
      out.push({ verdict: 'ask', reason: `${line}: deletes a path only known at run time (${a})`, key: `rm:${a}` });
      return;
    }
    const glob = (info?.glob ?? false) && GLOB.test(a);
    let word = literalHome;
    let userHome: string | undefined;
    const tu = /^~([A-Za-z_][A-Za-z0-9_.-]*)(\/.*)?$/.exec(word);
    if (tu) {
      userHome = ctx.userHome(tu[1]!);
      word = userHome + (tu[2] ?? '');
    } else if (/^~\+(\/|$)/.test(word)) word = `.${word.slice(2)}`;
    // After `cd "$X"`, a relative target could be anywhere: ask if it would matter at / or ~.
    if (unknownDir && !path.isAbsolute(word) && !word.startsWith('~')) {
      const risky = ['/', ctx.home].some((b) => {
        const abs = resolvePath(word, b, ctx.home);
        const contents = glob && contentsOnly(path.basename(abs));
        const t = contents ? path.dirname(abs) : abs;
        return targetFindings(t, glob && GLOB.test(t), contents, ctx).length > 0;
      });
      if (risky) out.push({ verdict: 'ask', reason: `${line}: deletes ${a} relative to a directory only known at run time (${clip(unknownDir, 60)})`, key: `rm-rel:${a}` });
    }
    for (const b of bases) {
      const abs = resolvePath(word, b, ctx.home);
      if (userHome && abs === path.resolve(userHome)) {
        out.push({ verdict: 'deny', reason: `${line}: deletes the home directory ${abs}`, key: `rm:${abs}` });
        continue;
      }
      const pattern = glob || GLOB.test(b);
      const contents = pattern && contentsOnly(path.basename(abs));
      const target = contents ? path.dirname(abs) : abs;
      for (const f of targetFindings(target, pattern && GLOB.test(target), contents, ctx)) {
        out.push({ verdict: f.verdict, reason: `${line}: ${f.why}${contents ? ' (its contents)' : ''}`, key: `rm:${f.path}` });
      }
    }
  });
  return out;
}

/** Findings for one target, a literal path or a glob over paths. */
function targetFindings(target: string, isGlob: boolean, contents: boolean, ctx: DeleteContext): Array<{ verdict: 'deny' | 'ask'; why: string; path: string }> {
  const cwd = path.resolve(ctx.cwd);
  const one = (p: string) => {
    const f = protectedFinding(p, contents, ctx);
    return f ? [{ ...f, path: p }] : [];
  };
  if (!isGlob) return one(target);
  // A glob deletes whatever it matches: judge every protected directory it could name, or
  // name something inside of (`/e?c`, `/[e]tc`, `/us*/lib`).
  const segs = target.split('/').filter(Boolean);
  const known = [...new Set(['/', path.resolve(ctx.home), ...SYSTEM_DIRS, ...SCRATCH, ...ancestors(cwd)])];
  const out: Array<{ verdict: 'deny' | 'ask'; why: string; path: string }> = [];
  const seg = segs.map((s) => (GLOB.test(s) ? segmentRe(s) : { test: (x: string) => x === s }));
  for (const k of known) {
    const ks = k.split('/').filter(Boolean);
    if (ks.length > segs.length || !ks.every((s, i) => seg[i]!.test(s))) continue;
    out.push(...one(ks.length === segs.length ? k : `${k === '/' ? '' : k}/${segs.slice(ks.length).join('/')}`));
  }
  return out.length ? out : one(target);
}

/** One path segment of a shell glob: `*`, `?`, `[…]`/`[!…]`; dot-files match too (fail closed). */
function segmentRe(glob: string): { test(s: string): boolean } {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    const end = c === '[' ? glob.indexOf(']', i + 2) : -1;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (end > 0) {
      re += `[${glob.slice(i + 1, end).replace(/^[!^]/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`);
  } catch {
    return { test: () => true }; // a class we cannot read may match anything
  }
}

function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let d = p; ; d = path.dirname(d)) {
    out.push(d);
    if (d === path.dirname(d)) return out;
  }
}

function protectedFinding(p: string, contents: boolean, ctx: DeleteContext): { verdict: 'deny' | 'ask'; why: string } | undefined {
  const h = path.resolve(ctx.home);
  const cwd = path.resolve(ctx.cwd);
  if (p === '/') return { verdict: 'deny', why: 'deletes the root directory' };
  if (p === h) return { verdict: 'deny', why: 'deletes the home directory' };
  if (SCRATCH.includes(p)) return contents ? undefined : { verdict: 'ask', why: `deletes the scratch directory ${p} itself` };
  if (SYSTEM_DIRS.includes(p)) return { verdict: 'deny', why: `deletes the system directory ${p}` };
  const userGlob = ctx.protect.find((g) => g.matches(p, cwd))?.glob;
  if (userGlob) return { verdict: 'deny', why: `deletes ${p}, protected by ${userGlob}` };
  if (cwd.startsWith(`${p}/`)) return { verdict: 'deny', why: `deletes ${p}, which contains the session directory` };
  if (p === cwd) return { verdict: 'ask', why: 'deletes the session directory itself' };
  if (SCRATCH.some((d) => p.startsWith(`${d}/`))) return undefined;
  const sys = SYSTEM_DIRS.find((d) => p.startsWith(`${d}/`));
  if (sys && !(p === h || p.startsWith(`${h}/`))) return { verdict: 'ask', why: `deletes ${p} inside the system directory ${sys}` };
  return undefined;
}

/** `~user`'s home from /etc/passwd (root: /root; unknown: /home/user, where it would be). */
export function passwdHome(name: string, passwd = '/etc/passwd'): string {
  try {
    for (const l of fs.readFileSync(passwd, 'utf8').split('\n')) {
      const f = l.split(':');
      if (f[0] === name && f[5]) return f[5];
    }
  } catch {
    /* no passwd file: guess */
  }
  return name === 'root' ? '/root' : `/home/${name}`;
}
