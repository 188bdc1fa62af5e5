import type { PolicyDecision } from '../types.js';
import { firstMatch, pathGlobs } from '../match.js';
import { displayPaths } from './display.js';
import type { Builtin } from './types.js';

/**
 * Ask before a write: write/edit tools, and shell commands that write files (redirections and
 * known writers, src/policy/paths.ts). `paths` limits it to matching paths; `except` exempts.
 * `verdict: deny` refuses those writes outright (an agent that must write nothing: Polly's lead
 * and reviewers).
 */
export const askOnWrite: Builtin = {
  name: 'ask_on_write',
  summary: 'ask a human before writes (write/edit tools and shell writes); or deny them',
  params: {
    verdict: { type: 'enum', values: ['ask', 'deny'], default: 'ask', doc: 'ask a person (default), or deny the write outright' },
    paths: { type: 'globs', default: [], doc: 'only ask for writes to paths matching these globs (default: every path)' },
    except: { type: 'globs', default: [], doc: 'never ask for writes to paths matching these globs' },
  },
  create(p, ctx) {
    const only = pathGlobs(p.paths as string[], ctx.home);
    const except = pathGlobs(p.except as string[], ctx.home);
    const verdict = p.verdict as 'ask' | 'deny';
    return {
      name: ctx.name,
      phases: ['tool_call'],
      source: ctx.source,
      evaluate(s): PolicyDecision {
        const t = s.tool;
        if (!t) return {};
        const cwd = s.session.cwd;
        const writeTool = t.kind === 'write' || t.kind === 'edit';
        if (!t.writes.length) {
          return writeTool ? { verdict, reason: `${t.name} writes a file omni could not determine`, grantKey: `write-unknown:${t.name}` } : {};
        }
        const hits = t.writes.filter((w) => (!only.length || firstMatch(only, w, cwd)) && !firstMatch(except, w, cwd));
        if (!hits.length) return {};
        return { verdict, reason: `${t.name} writes ${displayPaths(hits, cwd)}`, grantKey: `write:${[...hits].sort().join('\n')}` };
      },
    };
  },
};
