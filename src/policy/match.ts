import os from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';

/**
 * Glob matching for policies (docs/POLICIES.md "Paths and globs"). Paths are absolute and
 * normalized (src/policy/paths.ts); a glob is one of:
 *   /abs/glob    absolute
 *   ~ or ~/glob  under the home directory
 *   rel/glob     relative to the session's cwd (`./` and `../` allowed)
 * Globs use picomatch syntax with `dot: true` (a `*` or `**` also matches dot-files), and
 * `dir/**` also matches `dir` itself.
 */

/** Why a glob is invalid, or undefined if it is fine. */
export function globError(glob: string): string | undefined {
  if (glob.trim() === '') return 'a glob must not be empty';
  try {
    picomatch.makeRe(glob, { dot: true, strictBrackets: true });
  } catch (err) {
    return `invalid glob "${glob}": ${(err as Error).message}`;
  }
  return undefined;
}

const escapeGlob = (s: string): string => s.replace(/[\\*?[\]{}()!+@|^$]/g, '\\$&');

const cache = new Map<string, (p: string) => boolean>();

function compiled(absGlob: string, opts?: picomatch.PicomatchOptions): (p: string) => boolean {
  const key = `${opts?.nocase ? 'i' : ''}\u0000${absGlob}`;
  let m = cache.get(key);
  if (!m) {
    if (cache.size > 5000) cache.clear();
    m = picomatch(absGlob, { dot: true, ...opts });
    cache.set(key, m);
  }
  return m;
}

/** The glob made absolute for a session: `~` → home, relative → under cwd. */
export function absoluteGlob(glob: string, cwd: string, home: string = os.homedir()): string {
  if (glob === '~') return escapeGlob(path.resolve(home));
  if (glob.startsWith('~/')) return path.posix.join(escapeGlob(path.resolve(home)), glob.slice(2));
  if (glob.startsWith('/')) return glob;
  return path.posix.join(escapeGlob(path.resolve(cwd)), glob);
}

/** Whether an absolute path matches a policy path glob, for a session's cwd. */
export function matchPath(glob: string, absPath: string, cwd: string, home?: string): boolean {
  return compiled(absoluteGlob(glob, cwd, home))(absPath);
}

/** The first of `globs` that matches `absPath`, if any. */
export function firstMatch(globs: readonly string[], absPath: string, cwd: string, home?: string): string | undefined {
  return globs.find((g) => matchPath(g, absPath, cwd, home));
}

/** A tool-name glob (case-sensitive), e.g. `mcp__github__*`, `{Write,Edit}`. */
export function matchName(glob: string, name: string): boolean {
  return compiled(glob)(name);
}

/** A host glob (case-insensitive), e.g. `*.github.com`; `*` also spans dots. */
export function matchHost(glob: string, host: string): boolean {
  return compiled(glob, { nocase: true })(host.toLowerCase());
}

/** The host a subject concerns: the egress host, or the host of a web tool's url (as its adapter read it). */
export function subjectHost(subject: { egress?: { host: string }; tool?: { url?: string } }): string | undefined {
  if (subject.egress?.host) return subject.egress.host.toLowerCase();
  const url = subject.tool?.url;
  if (url !== undefined) {
    try {
      return new URL(url).hostname.toLowerCase();
    } catch {
      return undefined;
    }
  }
  return undefined;
}
