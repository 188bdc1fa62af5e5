import path from 'node:path';

/** A path for a reason line: relative to the session cwd when inside it. */
export function displayPath(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  if (rel === '') return '.';
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel;
  return p;
}

/** Up to `max` paths joined, with a count of the rest. */
export function displayPaths(ps: readonly string[], cwd: string, max = 3): string {
  const shown = ps.slice(0, max).map((p) => displayPath(p, cwd));
  return ps.length > max ? `${shown.join(', ')} and ${ps.length - max} more` : shown.join(', ');
}
