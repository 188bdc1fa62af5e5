import fs from 'node:fs';
import type { PolicyDecision, StateUpdate } from '../types.js';
import { firstMatch, pathGlobs } from '../match.js';
import { displayPaths } from './display.js';
import type { Builtin } from './types.js';

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** The target of a symlink (resolved), or undefined if `p` is not a symlink. */
function linkTarget(p: string): string | undefined {
  try {
    if (!fs.lstatSync(p).isSymbolicLink()) return undefined;
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * The agent may modify only files it created in this session. At tool_call, each written path
 * (src/policy/paths.ts; deletions and renames count as writes) that does not exist yet is added
 * to the set `set` (default `created`) once the call goes ahead; a write to a path that exists
 * and is not in the set asks (or denies, `mode: deny`). A symlink in the set still needs its
 * target in the set, so creating a link to an existing file does not open that file.
 */
export const writeOnlyCreated: Builtin = {
  name: 'write_only_created',
  summary: 'the agent may modify only files it created in this session',
  params: {
    mode: { type: 'enum', values: ['ask', 'deny'], default: 'ask', doc: 'what to do about a write to a file that existed before' },
    set: { type: 'string', default: 'created', doc: 'the state set that records created paths (shared with rule policies)' },
    paths: { type: 'globs', default: [], doc: 'only watch paths matching these globs (default: every path)' },
  },
  create(p, ctx) {
    const mode = p.mode as 'ask' | 'deny';
    const set = p.set as string;
    const only = pathGlobs(p.paths as string[], ctx.home);
    return {
      name: ctx.name,
      phases: ['tool_call'],
      source: ctx.source,
      evaluate(s, state): PolicyDecision {
        const t = s.tool;
        if (!t) return {};
        const cwd = s.session.cwd;
        if (!t.writes.length) {
          if (t.kind === 'write' || t.kind === 'edit') return { verdict: mode, reason: `${t.name} writes a file omni could not determine`, grantKey: `unknown:${t.name}` };
          return {};
        }
        const created: string[] = [];
        const existing: string[] = [];
        for (const w of t.writes) {
          if (only.length && !firstMatch(only, w, cwd)) continue;
          if (state.inSet(set, w)) {
            const target = linkTarget(w);
            if (target !== undefined && target !== w && !state.inSet(set, target)) existing.push(w);
            continue;
          }
          if (exists(w)) existing.push(w);
          else created.push(w);
        }
        const updates: StateUpdate[] = created.length ? [{ op: 'add', set, values: created }] : [];
        if (existing.length) {
          return {
            verdict: mode,
            reason: `${displayPaths(existing, cwd)} existed before this session; the agent may modify only files it created`,
            grantKey: `modify:${[...existing].sort().join('\n')}`,
            updates,
          };
        }
        return updates.length ? { updates } : {};
      },
    };
  },
};
