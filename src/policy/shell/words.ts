/** Small helpers over parsed words shared by the walker and the wrapper table. */
import type { Cmd, Redir, Word } from './ast.js';
import { Parser } from './parser.js';

export function isDyn(w: Word): boolean {
  return w.dynamic !== 'none';
}

/** A word made up by the analysis (e.g. a module name cut out of `-mpip`). */
export function synth(value: string, like?: Word, dynamic: Word['dynamic'] = 'none'): Word {
  return { src: like?.src ?? value, start: like?.start ?? 0, end: like?.end ?? value.length, raw: value, value, quoted: false, dynamic, glob: false, subs: [], synthetic: true };
}

/** The same word, but its value is only known at run time (`{}` filled in by find/xargs). */
export function asDynamic(w: Word): Word {
  return { ...w, dynamic: w.dynamic === 'unquoted' ? 'unquoted' : 'quoted' };
}

/** Splits a string into shell words (quotes honoured); dynamic marks every word dynamic. */
export function splitWords(text: string, dynamic = false): Word[] {
  const ws = new Parser(text).readWordList();
  return dynamic ? ws.map(asDynamic) : ws;
}

export function basename(p: string): string {
  const t = p.replace(/\/+$/, '');
  const i = t.lastIndexOf('/');
  return i < 0 ? t : t.slice(i + 1) || p;
}

export function textOf(words: readonly Word[]): string {
  const first = words[0];
  const last = words[words.length - 1];
  if (first && last && !words.some((w) => w.synthetic || w.src !== first.src)) return first.src.slice(first.start, last.end);
  return words.map((w) => w.raw).join(' ');
}

/** Where a command's standard input comes from, as far as the script says. */
export type Stdin =
  | { kind: 'text'; text: string; dynamic: boolean; label: string }
  /** `from` is the previous pipeline stage; absent when unknown (`>(…)`, `<&3`). */
  | { kind: 'pipe'; from?: Cmd }
  | { kind: 'file'; procsub: boolean };

/** Standard input after a command's own redirections, given what it inherits. */
export function stdinOf(redirects: readonly Redir[], inherited: Stdin | undefined): Stdin | undefined {
  let s = inherited;
  for (const r of redirects) {
    if (!r.op.startsWith('<') || (r.fd ?? 0) !== 0) continue;
    if (r.op === '<&') s = r.target.value === '0' ? s : r.target.value === '-' ? undefined : { kind: 'pipe' };
    else if (r.heredoc) s = { kind: 'text', text: r.heredoc.body, dynamic: r.heredoc.dynamic, label: r.op === '<<<' ? '<<<' : '<<' };
    else s = { kind: 'file', procsub: r.target.subs.some((x) => x.kind === 'procsub') };
  }
  return s;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\' })[c] ?? `\\${c}`);
}

/**
 * What a pipeline stage writes, when it is statically known: `echo …`, `printf …` with only
 * `%s`/`%b`, `cat` of a here-document. Used for `echo "git push" | sh`.
 */
export function staticOutput(cmd: Cmd): { text: string; dynamic: boolean } | undefined {
  if (cmd.type !== 'simple') return undefined;
  let i = 0;
  while (cmd.words[i]?.assign) i++;
  const [p, ...args] = cmd.words.slice(i);
  if (!p || isDyn(p)) return undefined;
  const name = basename(p.value);
  if (name === 'cat' && args.length === 0) {
    const st = stdinOf(cmd.redirects, undefined);
    return st?.kind === 'text' ? { text: st.text, dynamic: st.dynamic } : undefined;
  }
  if (args.some(isDyn)) return undefined;
  if (name === 'echo') {
    let k = 0;
    let esc = false;
    while (args[k] && /^-[neE]+$/.test(args[k]!.value)) esc ||= args[k++]!.value.includes('e');
    const t = args
      .slice(k)
      .map((a) => a.value)
      .join(' ');
    return { text: esc ? unescape(t) : t, dynamic: false };
  }
  if (name === 'printf') {
    const rest = args[0]?.value === '--' ? args.slice(1) : args;
    const fmt = rest[0];
    if (!fmt || /%[^sb%]/.test(fmt.value.replace(/%%/g, ''))) return undefined;
    let k = 1;
    const text = unescape(fmt.value).replace(/%([sb%])/g, (_m, c: string) => (c === '%' ? '%' : (rest[k++]?.value ?? '')));
    return k >= rest.length ? { text, dynamic: false } : undefined;
  }
  return undefined;
}
