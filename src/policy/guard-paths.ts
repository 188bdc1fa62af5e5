import path from 'node:path';
import type { ArgInfo } from './shell.js';

/**
 * Where a shell word may point, for omni_guard: the word is resolved the way the shell would
 * (`~`, `$HOME`, variables assigned earlier in the call, `//`, `..`, the cwd and every `cd`
 * before it), and what stays unknown (a run-time expansion, a glob, a brace) is a wildcard.
 */
export interface WordEnv {
  home: string;
  /** Variables with a value known before the call runs (assigned in it, or omni's own). */
  vars: ReadonlyMap<string, string>;
}

/** Stands for text only known at run time. */
const UNKNOWN = '\u0000';
const EXPANSION = /\$\{[^}]*\}|\$\([^()]*(?:\([^()]*\)[^()]*)*\)|\$[A-Za-z_]\w*|\$[0-9@*#?$!-]|`[^`]*`/g;

/** The word with known variables filled in and the rest of its expansions as UNKNOWN. */
export function substitute(word: string, info: Pick<ArgInfo, 'dynamic'> | undefined, env: WordEnv): string {
  let s = word;
  if (info && info.dynamic !== 'none') {
    s = s.replace(EXPANSION, (m) => {
      const name = /^\$\{?([A-Za-z_]\w*)\}?$/.exec(m)?.[1];
      if (name !== undefined) return env.vars.get(name) ?? UNKNOWN;
      if (/^\$\(\s*(?:mktemp|pwd)\b/.test(m) || /^`\s*(?:mktemp|pwd)\b/.test(m)) return m.includes('pwd') ? '.' : '/tmp/tmp.omni';
      return UNKNOWN;
    });
  }
  if (s === '~' || s.startsWith('~/')) s = env.home + s.slice(1);
  else if (/^~[A-Za-z0-9._-]*(\/|$)/.test(s)) s = UNKNOWN + s.slice(s.indexOf('/') < 0 ? s.length : s.indexOf('/'));
  return s;
}

/** `{a,b}c` → `ac bc` (what bash does to an unquoted word), bounded. */
export function braceExpand(word: string, limit = 64): string[] {
  const out: string[] = [];
  const go = (w: string): void => {
    if (out.length >= limit) return;
    const m = /\{([^{}]*,[^{}]*)\}/.exec(w);
    if (!m) return void out.push(w);
    for (const alt of m[1]!.split(',')) go(w.slice(0, m.index) + alt + w.slice(m.index + m[0].length));
  };
  go(word);
  return out;
}

const GLOB = /[*?[]/;

function segmentRe(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        re += `[${seg.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`, 's');
  } catch {
    return /^$/;
  }
}

/** Could the absolute pattern `abs` (globs, UNKNOWN) name `dir` or something inside it? */
function patternInside(abs: string, dir: string): boolean {
  const p = abs.split('/').filter(Boolean);
  const d = dir.split('/').filter(Boolean);
  for (let k = 0; k < d.length; k++) {
    const seg = p[k];
    if (seg === undefined) return false;
    if (seg.includes(UNKNOWN)) return true; // a run-time part may hold several segments
    if (GLOB.test(seg) ? !segmentRe(seg).test(d[k]!) : seg !== d[k]) return false;
  }
  return true;
}

export interface Mention {
  word: string;
  info?: Pick<ArgInfo, 'dynamic' | 'glob'>;
}

/**
 * Could the word name a path inside one of `dirs`, resolved against any of `bases`?
 * `strict`: a word whose start is only known at run time could be anywhere (a socket option,
 * a write target); otherwise such words are skipped (an ordinary argument).
 */
export function couldBeInside(m: Mention, bases: readonly string[], env: WordEnv, dirs: readonly string[], strict: boolean): boolean {
  const s = substitute(m.word, m.info, env);
  if (s === '' || s === '-') return false;
  if (s.startsWith(UNKNOWN)) return strict;
  const alts = m.info?.glob ? braceExpand(s) : [s];
  for (const alt of alts) {
    for (const b of bases) {
      const abs = path.resolve(b, alt);
      for (const dir of dirs) {
        if (!alt.includes(UNKNOWN) && !(m.info?.glob && GLOB.test(alt))) {
          if (abs === dir || abs.startsWith(dir + path.sep)) return true;
        } else if (patternInside(abs, dir)) return true;
      }
    }
  }
  return false;
}
