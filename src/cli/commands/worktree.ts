import { ExitCode, OmniError } from '../../core/errors.js';
import { isLive } from '../../core/session.js';
import { createGitRunner } from '../../worktree/git.js';
import { worktreeDiff, worktreeState, type WorktreeState } from '../../worktree/inspect.js';
import { removeWorktree, type RemoveResult } from '../../worktree/remove.js';
import { makeChalk, printJson, table, tildify } from '../output.js';
import { gitErrors, resolveWorktreeSession, worktreeSessions, type WorktreeSession } from './worktree-sessions.js';

/**
 * `omni worktree ls|diff|rm` (docs/WORKTREES.md): the worktrees omni made for sessions, read and
 * removed on this side with git; the daemon only supplies the session list.
 */

/** live (its session runs), missing (folder gone), dirty, unmerged, merged: the first that holds. */
export type WorktreeLabel = 'live' | 'missing' | 'dirty' | 'unmerged' | 'merged';

export function labelOf(s: WorktreeSession, st: WorktreeState): WorktreeLabel {
  if (!st.exists) return 'missing';
  if (isLive(s.status)) return 'live';
  if (st.dirty) return 'dirty';
  return st.merged && !st.strayHead ? 'merged' : 'unmerged';
}

export async function worktreeLsCommand(opts: { json?: boolean }): Promise<number> {
  const git = createGitRunner();
  const list = await worktreeSessions();
  const rows = await Promise.all(
    list.map(async (s) => {
      const st = await worktreeState(git, s.worktree).catch((err: Error) => err);
      return { s, st };
    }),
  );
  if (opts.json) {
    // An array, as `omni ls --json` (completions read `name` from it).
    printJson(
      rows.map(({ s, st }) => ({
        session: s.id,
        name: s.name,
        status: s.status,
        ...s.worktree,
        ...(st instanceof Error ? { state: 'error', error: st.message } : { state: labelOf(s, st), ...st }),
      })),
    );
    return 0;
  }
  if (!rows.length) {
    process.stdout.write('no worktrees (a sub-agent with worktree: true gets one; see docs/WORKTREES.md)\n');
    return 0;
  }
  const c = makeChalk();
  const out = [['SESSION', 'STATUS', 'BRANCH', 'BASE', 'CHANGES', 'STATE', 'PATH']];
  for (const { s, st } of rows) {
    const base = `${s.worktree.baseRef ? `${s.worktree.baseRef}@` : ''}${s.worktree.base.slice(0, 7)}`;
    if (st instanceof Error) {
      out.push([s.name, s.status, s.worktree.branch, base, '-', c.red('error'), tildify(s.worktree.path)]);
      continue;
    }
    const changes = st.files ? `${st.files} file${st.files === 1 ? '' : 's'} +${st.insertions} -${st.deletions}` : '-';
    const label = labelOf(s, st);
    const painted = { live: c.green, missing: c.red, dirty: c.yellow, unmerged: c.yellow, merged: c.dim }[label](label);
    out.push([s.name, s.status, s.worktree.branch, base, changes, painted, tildify(s.worktree.path)]);
  }
  process.stdout.write(table(out, c) + '\n');
  return 0;
}

export async function worktreeDiffCommand(ref: string, opts: { stat?: boolean }): Promise<number> {
  const s = resolveWorktreeSession(await worktreeSessions(), ref);
  const { diff } = await gitErrors(() => worktreeDiff(createGitRunner(), s.worktree, { stat: opts.stat, maxBytes: Infinity }));
  process.stdout.write(diff);
  return 0;
}

interface RmLine {
  session: string;
  name: string;
  path: string;
  branch: string;
  removed: boolean;
  branchDeleted: boolean;
  saved?: RemoveResult['saved'];
}

export async function worktreeRmCommand(refs: string[], opts: { force?: boolean; json?: boolean }): Promise<number> {
  const git = createGitRunner();
  const list = await worktreeSessions();
  const done: RmLine[] = [];
  let failure: OmniError | undefined;
  // Each one on its own: a refusal stops that one, the others still go (as `omni rm`).
  for (const ref of refs) {
    try {
      const s = resolveWorktreeSession(list, ref);
      if (isLive(s.status)) throw new OmniError(`session ${s.name} (${s.id}) is ${s.status}: its worktree is in use (omni stop ${s.name} first)`, 'forbidden');
      const r = await gitErrors(() => removeWorktree(git, s.worktree, { force: opts.force }));
      const line: RmLine = { session: s.id, name: s.name, path: s.worktree.path, branch: s.worktree.branch, removed: r.removed, branchDeleted: r.branchDeleted, ...(r.saved ? { saved: r.saved } : {}) };
      done.push(line);
      if (!opts.json) process.stdout.write(describe(line) + '\n');
    } catch (err) {
      if (!(err instanceof OmniError)) throw err;
      failure ??= err;
      process.stderr.write(`omni: ${ref}: ${err.message}\n`);
    }
  }
  if (opts.json) printJson({ removed: done, ...(failure ? { error: failure.toJSON().error } : {}) });
  return failure ? failure.exitCode : ExitCode.ok;
}

function describe(l: RmLine): string {
  const parts = [`${l.removed ? 'removed' : 'pruned (its folder was already gone)'} the worktree of ${l.name} (${tildify(l.path)})`];
  parts.push(l.branchDeleted ? `deleted branch ${l.branch}` : `kept branch ${l.branch}`);
  if (l.saved) parts.push(`its unmerged or uncommitted work is kept under ${l.saved.ref} (${l.saved.sha.slice(0, 10)}; git show ${l.saved.ref})`);
  return parts.join('; ');
}
