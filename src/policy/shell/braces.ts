/**
 * Brace expansion of one unquoted word, as bash does it before globbing: `/{etc,usr}` is the two
 * words `/etc /usr`, `{+,}main` is `+main main`, `{-f,main}` is `-f main`, `x{1..3}` is
 * `x1 x2 x3`. The parser keeps such a word whole (marked `glob`); policies that judge the words
 * a command really gets expand it here. Capped, so `{a,b}{c,d}…` cannot blow up.
 */
import type { ShellCommand } from './types.js';

const MAX_WORDS = 64;

/** The words `word` expands to (itself when it has no brace expression). */
export function expandBraces(word: string, max = MAX_WORDS): string[] {
  const out: string[] = [];
  const go = (w: string): void => {
    if (out.length >= max) return;
    const b = firstBrace(w);
    if (!b) {
      out.push(w);
      return;
    }
    const pre = w.slice(0, b.start);
    const post = w.slice(b.end + 1);
    for (const alt of b.alts) go(pre + alt + post);
  };
  go(word);
  return out;
}

/** The first `{…}` with a top-level comma or a `..` sequence, with its alternatives. */
function firstBrace(w: string): { start: number; end: number; alts: string[] } | undefined {
  for (let i = 0; i < w.length; i++) {
    if (w[i] === '\\') {
      i++;
      continue;
    }
    if (w[i] !== '{' || (i > 0 && w[i - 1] === '$')) continue;
    let depth = 0;
    const commas: number[] = [];
    for (let j = i; j < w.length; j++) {
      const c = w[j];
      if (c === '\\') j++;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        const body = w.slice(i + 1, j);
        if (commas.length) {
          const alts: string[] = [];
          let from = i + 1;
          for (const k of [...commas, j]) {
            alts.push(w.slice(from, k));
            from = k + 1;
          }
          return { start: i, end: j, alts };
        }
        const seq = sequence(body);
        if (seq) return { start: i, end: j, alts: seq };
        break;
      } else if (c === ',' && depth === 1) commas.push(j);
    }
  }
  return undefined;
}

/** `1..3`, `a..c`, `1..10..2` (small ones only). */
function sequence(body: string): string[] | undefined {
  const m = /^(-?\d+|[A-Za-z])\.\.(-?\d+|[A-Za-z])(?:\.\.(-?\d+))?$/.exec(body);
  if (!m) return undefined;
  const num = /\d/.test(m[1]!);
  const a = num ? Number(m[1]) : m[1]!.charCodeAt(0);
  const b = num ? Number(m[2]) : m[2]!.charCodeAt(0);
  if (num !== /\d/.test(m[2]!)) return undefined;
  const step = Math.max(1, Math.abs(Number(m[3] ?? 1)));
  const out: string[] = [];
  for (let v = a; a <= b ? v <= b : v >= b; v += a <= b ? step : -step) {
    out.push(num ? String(v) : String.fromCharCode(v));
    if (out.length >= MAX_WORDS) break;
  }
  return out;
}

/**
 * The command with every unquoted brace word expanded into the words it becomes (argInfo kept
 * parallel; a part keeps `glob` only if it still has glob characters).
 */
export function expandCommandBraces<C extends Pick<ShellCommand, 'args' | 'argInfo'>>(c: C): C {
  if (!c.argInfo.some((a, i) => a.glob && a.dynamic === 'none' && c.args[i]!.includes('{'))) return c;
  const args: string[] = [];
  const argInfo: ShellCommand['argInfo'] = [];
  c.args.forEach((a, i) => {
    const info = c.argInfo[i] ?? { raw: a, dynamic: 'none' as const, glob: false };
    const parts = info.glob && info.dynamic === 'none' && a.includes('{') ? expandBraces(a) : [a];
    for (const p of parts) {
      args.push(p);
      argInfo.push(parts.length > 1 || p !== a ? { ...info, glob: /[*?[]/.test(p) } : info);
    }
  });
  return { ...c, args, argInfo };
}
