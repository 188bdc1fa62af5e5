import type { PolicyDecision, PolicySubject } from '../types.js';
import { firstMatch, pathGlobs } from '../match.js';
import { displayPath } from './display.js';
import type { Builtin } from './types.js';

type Access = 'read' | 'write' | 'both';

function candidates(s: PolicySubject, access: Access): Array<{ how: 'read' | 'write'; path: string }> {
  const t = s.tool;
  if (!t) return [];
  return [
    ...(access !== 'write' ? t.reads.map((path) => ({ how: 'read' as const, path })) : []),
    ...(access !== 'read' ? t.writes.map((path) => ({ how: 'write' as const, path })) : []),
  ];
}

const accessParam = { type: 'enum', values: ['read', 'write', 'both'], default: 'both', doc: 'which accesses the globs govern' } as const;

/** Deny a read or write (per `access`) of a path matching any of `paths`. */
export const denyPaths: Builtin = {
  name: 'deny_paths',
  summary: 'deny reads/writes of paths matching globs',
  params: {
    paths: { type: 'globs', doc: 'paths the agent may not touch (required)' },
    access: accessParam,
  },
  create(p, ctx) {
    const globs = pathGlobs(p.paths as string[], ctx.home);
    const access = p.access as Access;
    return {
      name: ctx.name,
      phases: ['tool_call'],
      source: ctx.source,
      evaluate(s): PolicyDecision {
        const cwd = s.session.cwd;
        for (const c of candidates(s, access)) {
          const g = firstMatch(globs, c.path, cwd);
          if (g) return { verdict: 'deny', reason: `${c.how} of ${displayPath(c.path, cwd)} is not allowed (matches ${g})` };
        }
        return {};
      },
    };
  },
};

/**
 * Deny a read or write (per `access`) of any path outside `paths`. A read or write/edit tool
 * whose path omni cannot determine is denied too (fail closed).
 */
export const allowPaths: Builtin = {
  name: 'allow_paths',
  summary: 'deny reads/writes outside the given globs',
  params: {
    paths: { type: 'globs', doc: 'the only paths the agent may touch (required); e.g. "**" is the session directory' },
    access: accessParam,
  },
  create(p, ctx) {
    const globs = pathGlobs(p.paths as string[], ctx.home);
    const access = p.access as Access;
    return {
      name: ctx.name,
      phases: ['tool_call'],
      source: ctx.source,
      evaluate(s): PolicyDecision {
        const t = s.tool;
        if (!t) return {};
        const cwd = s.session.cwd;
        const writeTool = t.kind === 'write' || t.kind === 'edit';
        if (access !== 'read' && writeTool && !t.writes.length) return { verdict: 'deny', reason: `${t.name} writes a path omni could not determine` };
        if (access !== 'write' && t.kind === 'read' && !t.reads.length) return { verdict: 'deny', reason: `${t.name} reads a path omni could not determine` };
        for (const c of candidates(s, access)) {
          if (!firstMatch(globs, c.path, cwd)) return { verdict: 'deny', reason: `${c.how} of ${displayPath(c.path, cwd)} is outside the allowed paths (${globs.map((g) => g.glob).join(', ')})` };
        }
        return {};
      },
    };
  },
};
