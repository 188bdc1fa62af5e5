import picomatch from 'picomatch';

/**
 * Whether two tasks' `files` entries may touch the same file (docs/POLLY.md "Sequencing"). It
 * errs towards "yes": a false yes only costs parallelism, a false no costs a merge conflict.
 * Pure.
 */

/** `./src//a/` → `src/a`. */
function normalize(p: string): string {
  let s = p.trim().replace(/\\/g, '/').replace(/\/{2,}/g, '/');
  while (s.startsWith('./')) s = s.slice(2);
  if (s.length > 1) s = s.replace(/\/+$/, '');
  return s === '' ? '.' : s;
}

/** `a` is `b`, or a directory above it (`.` is above everything). */
const isDirPrefix = (a: string, b: string) => a === '.' || a === b || b.startsWith(`${a}/`);

interface Entry {
  path: string;
  glob: boolean;
  /** A glob's fixed leading directories (`src/lib` of `src/lib/*.ts`). */
  base: string;
  match?: (p: string) => boolean;
}

/**
 * A checker that compiles each entry once (a plan of 20 tasks compares hundreds of pairs). Same
 * path; one a directory above the other; a glob matching the other's path; the other a
 * directory above a glob's fixed base; a `**` glob whose base is above the other; two globs
 * whose bases nest.
 */
export function overlapChecker(): (a: string, b: string) => boolean {
  const seen = new Map<string, Entry>();
  const entry = (raw: string): Entry => {
    let e = seen.get(raw);
    if (e) return e;
    const path = normalize(raw);
    const scan = picomatch.scan(path);
    e = { path, glob: scan.isGlob, base: normalize(scan.base || '.') };
    if (e.glob) {
      try {
        e.match = picomatch(path, { dot: true });
      } catch {
        // A glob picomatch cannot compile matches everything: overlap is the safe answer.
        e.match = () => true;
      }
    }
    seen.set(raw, e);
    return e;
  };
  return (a, b) => {
    const x = entry(a);
    const y = entry(b);
    if (isDirPrefix(x.path, y.path) || isDirPrefix(y.path, x.path)) return true;
    if (!x.glob && !y.glob) return false;
    if (x.match?.(y.path) || y.match?.(x.path)) return true;
    if (x.glob && y.glob) return isDirPrefix(x.base, y.base) || isDirPrefix(y.base, x.base);
    const [glob, plain] = x.glob ? [x, y] : [y, x];
    // `src` vs `src/lib/*.ts`: the plain entry is a directory holding the glob's matches.
    if (isDirPrefix(plain.path, glob.base)) return true;
    // `src/**/*.ts` vs `src/a` (maybe a directory): `**` can reach into it.
    return glob.path.includes('**') && isDirPrefix(glob.base, plain.path);
  };
}

/** One pair (compiles both entries; use overlapChecker for many). */
export function pathsOverlap(a: string, b: string): boolean {
  return overlapChecker()(a, b);
}

export function filesOverlap(a: readonly string[], b: readonly string[]): boolean {
  const overlap = overlapChecker();
  return a.some((x) => b.some((y) => overlap(x, y)));
}
