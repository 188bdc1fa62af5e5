import { describe, expect, it } from 'vitest';
import { pollyMerge, type PollyMergeDeps } from '../../src/cli/commands/polly-merge.js';
import { OmniError } from '../../src/core/errors.js';
import type { SessionRecord } from '../../src/core/session.js';
import type { MergeItem, MergeResult } from '../../src/merge/types.js';
import type { PollyRun } from '../../src/polly/types.js';
import { pollyRun, review, task } from '../helpers/polly-run.js';

/** A worker's session record as the daemon lists it. */
function worker(id: string, status: SessionRecord['status']): SessionRecord {
  return {
    id: `s_${id}`,
    name: `polly1-${id}`,
    harness: 'claude',
    cwd: `/tmp/wt/polly1-${id}`,
    status,
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    tmuxSession: `s_${id}`,
    command: ['claude'],
    worktree: { repo: '/repo', path: `/tmp/wt/polly1-${id}`, branch: `omni/polly1-${id}`, base: 'b'.repeat(40), baseRef: 'main' },
  };
}

/** Injected world: records every call in order; the queue merges every item unless told otherwise. */
function world(run: PollyRun, opts: { outcome?: (item: MergeItem) => 'merged' | 'conflict'; notUpdated?: MergeResult['notUpdated'] } = {}) {
  const calls: string[] = [];
  const live = new Set(['s_t1', 's_t3']);
  const queued: Array<{ repo: string; into: string; items: MergeItem[]; check?: string; yes?: boolean }> = [];
  const deps: PollyMergeDeps = {
    api: {
      run: async (ref, cwd) => {
        calls.push(`run ${ref} ${cwd}`);
        if (ref !== run.id && ref !== 'latest') throw new OmniError(`no Polly run "${ref}" (runs: ${run.id})`, 'not_found');
        return structuredClone(run);
      },
      merged: async (r, t, commit) => void calls.push(`merged ${r} ${t} ${commit}`),
    },
    sessions: async () => {
      calls.push('sessions');
      return ['t1', 't2', 't3'].map((id) => worker(id, live.has(`s_${id}`) ? 'idle' : 'exited'));
    },
    stopSession: async (id) => {
      calls.push(`stop ${id}`);
      live.delete(id);
    },
    queue: async (q) => {
      calls.push(`queue ${q.items.map((i) => i.ref).join(',')}`);
      queued.push(q);
      const outcomes = q.items.map((i, n) => ({ ref: i.ref, branch: i.branch, outcome: opts.outcome?.(i) ?? ('merged' as const), commit: `${n}`.repeat(40) }));
      const merged = outcomes.filter((o) => o.outcome === 'merged').map((o) => o.ref);
      const to = merged.length ? '9'.repeat(40) : 'f'.repeat(40);
      return { into: q.into, merged, outcomes, updated: !opts.notUpdated && merged.length > 0, from: 'f'.repeat(40), to, ...(opts.notUpdated ? { notUpdated: opts.notUpdated } : {}) };
    },
    progress: (line) => calls.push(`progress ${line}`),
    cwd: '/repo/sub',
  };
  return { deps, calls, queued };
}

const approved = (id: string, over = {}) => task(id, { status: 'approved', approvedBy: 'review', round: 1, reviews: [review(1, 'approve')], ...over });

describe('omni polly merge', () => {
  const run = pollyRun([approved('t1'), task('t2', { status: 'working' }), approved('t3', { after: ['t1'] })], { check: 'npm test' });

  it('takes the approved tasks in plan order, stops their live workers first, and records the merged ones', async () => {
    const w = world(run);
    const r = await pollyMerge(w.deps, 'latest', {});
    expect(r.tasks).toEqual(['t1', 't3']);
    const order = w.calls.filter((c) => !c.startsWith('progress'));
    expect(order).toEqual([
      'run latest /repo/sub',
      'sessions',
      'stop s_t1',
      'stop s_t3',
      'sessions',
      'queue t1,t3',
      `merged p_abc12345 t1 ${'0'.repeat(40)}`,
      `merged p_abc12345 t3 ${'1'.repeat(40)}`,
    ]);
    const q = w.queued[0]!;
    expect(q).toMatchObject({ repo: '/repo', into: 'main', check: 'npm test' });
    // Stopped: the queue commits an ended worker's uncommitted work (it refuses a live one's).
    expect(q.items[0]).toEqual({
      ref: 't1',
      branch: 'omni/polly1-t1',
      session: { id: 's_t1', name: 'polly1-t1', live: false },
      worktree: { repo: '/repo', path: '/tmp/wt/polly1-t1', branch: 'omni/polly1-t1', base: 'b'.repeat(40), baseRef: 'main' },
    });
    expect(r.marked).toEqual(['t1', 't3']);
    expect(w.calls.some((c) => c.startsWith('progress stopping polly1-t1, the worker of t1'))).toBe(true);
  });

  it('named tasks go in plan order whatever order they were named in; --check replaces the run\'s', async () => {
    const w = world(run);
    const r = await pollyMerge(w.deps, 'p_abc12345', { task: ['t3', 't1'], check: 'make check', yes: true });
    expect(r.tasks).toEqual(['t1', 't3']);
    expect(w.queued[0]).toMatchObject({ check: 'make check', yes: true });
  });

  it('refuses a named task that is not approved (exit 2) and an unknown one (exit 3), before stopping or merging anything', async () => {
    const w = world(run);
    const err = await pollyMerge(w.deps, 'latest', { task: ['t1', 't2'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OmniError);
    expect((err as OmniError).exitCode).toBe(2);
    expect((err as OmniError).message).toBe('task t2 is working, not approved: approve it first (y on omni polly board, or its review)');
    const unknown = (await pollyMerge(w.deps, 'latest', { task: ['t9'] }).catch((e: unknown) => e)) as OmniError;
    expect(unknown.exitCode).toBe(3);
    expect(unknown.message).toContain('tasks: t1, t2, t3');
    expect(w.calls.filter((c) => /^(stop|queue|merged)/.test(c))).toEqual([]);
  });

  it('nothing approved: an error (exit 1) that lists the tasks; an unknown run: the daemon\'s 404 (exit 3)', async () => {
    const none = (await pollyMerge(world(pollyRun([task('t1')])).deps, 'latest', {}).catch((e: unknown) => e)) as OmniError;
    expect(none.exitCode).toBe(1);
    expect(none.message).toBe('run p_abc12345 has no approved task to merge (t1 working)');
    const missing = (await pollyMerge(world(run).deps, 'p_nope', {}).catch((e: unknown) => e)) as OmniError;
    expect(missing.exitCode).toBe(3);
    expect(missing.message).toContain('runs: p_abc12345');
  });

  it('records only what reached the target: a conflict is not merged, a declined update marks nothing', async () => {
    const w = world(run, { outcome: (i) => (i.ref === 't3' ? 'conflict' : 'merged') });
    expect((await pollyMerge(w.deps, 'latest', {})).marked).toEqual(['t1']);
    const declined = world(run, { notUpdated: { reason: 'declined', message: 'not confirmed: main stays at ffffffffff' } });
    const r = await pollyMerge(declined.deps, 'latest', {});
    expect(r.marked).toEqual([]);
    expect(declined.calls.filter((c) => c.startsWith('merged'))).toEqual([]);
  });

  it('a run started on a detached HEAD has no branch to merge into', async () => {
    const w = world(pollyRun([approved('t1')], { base: 'e'.repeat(40) }));
    const err = (await pollyMerge(w.deps, 'latest', {}).catch((e: unknown) => e)) as OmniError;
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('detached HEAD');
    expect(w.calls.filter((c) => /^(stop|queue)/.test(c))).toEqual([]);
  });
});
