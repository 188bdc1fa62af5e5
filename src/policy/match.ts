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

type Matcher = (p: string) => boolean;

/** How many session directories one relative glob keeps compiled before starting over. */
const CWDS_PER_GLOB = 32;

/** The glob made absolute for a session: `~` → home, relative → under cwd. */
export function absoluteGlob(glob: string, cwd: string, home: string = os.homedir()): string {
  if (glob === '~') return escapeGlob(path.resolve(home));
  if (glob.startsWith('~/')) return path.posix.join(escapeGlob(path.resolve(home)), glob.slice(2));
  if (glob.startsWith('/')) return glob;
  return path.posix.join(escapeGlob(path.resolve(cwd)), glob);
}

/**
 * A policy path glob, compiled where the policy is loaded: an absolute or `~` glob once, a
 * relative one once per session cwd it meets (kept here, with the policy that owns it).
 */
export class PathGlob {
  private readonly fixed?: Matcher;
  private readonly byCwd = new Map<string, Matcher>();

  constructor(
    readonly glob: string,
    private readonly home: string = os.homedir(),
  ) {
    if (glob === '~' || glob.startsWith('~/') || glob.startsWith('/')) this.fixed = picomatch(absoluteGlob(glob, '/', home), { dot: true });
  }

  /** Whether an absolute path matches, for a session's cwd. */
  matches(absPath: string, cwd: string): boolean {
    if (this.fixed) return this.fixed(absPath);
    let m = this.byCwd.get(cwd);
    if (!m) {
      if (this.byCwd.size >= CWDS_PER_GLOB) this.byCwd.clear();
      m = picomatch(absoluteGlob(this.glob, cwd, this.home), { dot: true });
      this.byCwd.set(cwd, m);
    }
    return m(absPath);
  }
}

/** Compiles a list of path globs (already checked with globError). */
export const pathGlobs = (globs: readonly string[], home?: string): PathGlob[] => globs.map((g) => new PathGlob(g, home));

/** The first of `globs` that matches `absPath` (as written), if any. */
export function firstMatch(globs: readonly PathGlob[], absPath: string, cwd: string): string | undefined {
  return globs.find((g) => g.matches(absPath, cwd))?.glob;
}

/** A compiled tool-name glob (case-sensitive), e.g. `mcp__github__*`, `{Write,Edit}`. */
export function nameMatcher(glob: string): Matcher {
  return picomatch(glob, { dot: true });
}

/** A compiled host glob (case-insensitive), e.g. `*.github.com`; `*` also spans dots. */
export function hostMatcher(glob: string): Matcher {
  const m = picomatch(glob, { dot: true, nocase: true });
  return (host) => m(host.toLowerCase());
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
