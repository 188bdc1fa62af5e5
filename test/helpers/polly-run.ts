import type { PollyRun, PollyTask, Review } from '../../src/polly/types.js';

/** PollyRun objects as the daemon answers them, for the board's and `omni polly merge`'s tests. */

export function review(round: number, verdict: Review['verdict'], over: Partial<Review> = {}): Review {
  return {
    round,
    verdict,
    findings: verdict === 'changes' ? [{ file: 'src/api.ts', line: 12, severity: 'major', text: 'the limit is never reset' }] : [],
    summary: verdict === 'approve' ? 'looks right' : 'one problem',
    reviewer: { session: `s_rev${round}`, name: `polly1-rev${round}`, harness: 'codex', vendor: 'openai' },
    at: '2030-01-01T00:10:00.000Z',
    ...over,
  };
}

export function task(id: string, over: Partial<PollyTask> = {}): PollyTask {
  return {
    id,
    title: `title of ${id}`,
    brief: `brief of ${id}`,
    status: 'working',
    after: [],
    harness: 'claude',
    round: 0,
    reviews: [],
    session: {
      session: `s_${id}`,
      name: `polly1-${id}`,
      harness: over.harness ?? 'claude',
      vendor: 'anthropic',
      branch: `omni/polly1-${id}`,
      worktree: `/tmp/wt/polly1-${id}`,
      base: 'a'.repeat(40),
    },
    ...over,
  };
}

export function pollyRun(tasks: PollyTask[] | undefined, over: Partial<PollyRun> = {}): PollyRun {
  return {
    id: 'p_abc12345',
    goal: 'add rate limiting to the API',
    createdAt: '2030-01-01T00:00:00.000Z',
    cwd: '/repo',
    repo: '/repo',
    base: 'main',
    lead: { session: 's_lead', name: 'polly-1', harness: 'claude' },
    workers: ['claude', 'codex'],
    reviewers: ['claude', 'codex', 'pi'],
    parallel: 2,
    maxRounds: 2,
    status: tasks ? 'running' : 'planning',
    ...(tasks ? { tasks } : {}),
    ...over,
  };
}
