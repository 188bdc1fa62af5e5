import { describe, expect, it } from 'vitest';
import { validatePlan } from '../../src/polly/plan.js';
import { changesRequested, leadPrompt, planAccepted, planRefused, reviewerPrompt, sentBack, verdictUnreadable, workerPrompt } from '../../src/polly/prompts.js';
import type { PollyTask, Review } from '../../src/polly/types.js';
import { parseVerdict } from '../../src/polly/verdict.js';

const task: PollyTask = {
  id: 't2',
  title: 'Rate-limit middleware',
  brief: 'Add a token bucket in src/mw/rate.ts;\nwire it into server.ts with `limit: 100`.',
  files: ['src/mw/rate.ts', 'src/server.ts'],
  status: 'working',
  after: ['t1'],
  harness: 'codex',
  round: 1,
  reviews: [],
};
const review: Review = {
  round: 1,
  reviewer: { session: 's_1', name: 'polly1-r1', harness: 'claude', vendor: 'anthropic' },
  at: '2026-01-01T00:00:00Z',
  verdict: 'changes',
  summary: 'Close, one bug.',
  findings: [
    { file: 'src/mw/rate.ts', line: 14, severity: 'major', text: 'the bucket never refills: `tokens` is not updated on refill' },
    { severity: 'nit', text: 'name the magic 100 as a constant' },
  ],
};

describe('Polly prompts', () => {
  it('leadPrompt: the goal verbatim, the workers, the "tasks" shape, a shape the plan parser accepts', () => {
    const goal = 'add rate limiting to the API\n(keep the 429 body JSON)';
    const p = leadPrompt({ goal, workers: ['claude', 'codex'], reviewers: ['claude', 'codex', 'pi'], parallel: 2 });
    expect(p).toContain(goal);
    expect(p).toContain('"tasks"');
    expect(p).toContain('claude, codex');
    expect(p).toMatch(/at most 2 at a time/);
    // The example shape, with a real worker, is a valid plan: the lead cannot be led astray by it.
    const block = /```json\n([\s\S]*?)\n```/.exec(p)![1]!.replace('<one of the workers, optional>', 'claude');
    expect(validatePlan(JSON.parse(block), { workers: ['claude'], reviewers: ['codex'], vendorOf: (h) => h }).ok).toBe(true);
  });

  it('planRefused lists every error and repeats the shape', () => {
    const p = planRefused(['task t2: depends_on names t9, which is not in the plan (tasks: t1, t2)', 'task t3: "brief" must be a non-empty string']);
    expect(p).toContain('- task t2: depends_on names t9, which is not in the plan (tasks: t1, t2)');
    expect(p).toContain('- task t3: "brief" must be a non-empty string');
    expect(p).toContain('"tasks"');
  });

  it('planAccepted lists tasks with harness and order', () => {
    const p = planAccepted([{ ...task, id: 't1', after: [], harness: 'claude', title: 'Store' }, task]);
    expect(p).toContain('- t1 (claude): Store — starts now');
    expect(p).toContain('- t2 (codex): Rate-limit middleware — after t1');
    expect(p).toMatch(/do not write code/);
  });

  it('workerPrompt: title, brief verbatim, files, goal; commit, no merge or push', () => {
    const p = workerPrompt(task, 'add rate limiting');
    expect(p).toContain(task.title);
    expect(p).toContain(task.brief);
    expect(p).toContain('src/mw/rate.ts, src/server.ts');
    expect(p).toContain('add rate limiting');
    expect(p).toMatch(/commit/);
    expect(p).toMatch(/Do not merge.*push/);
  });

  it('reviewerPrompt: first line names `omni review` and the task, then brief, diff verbatim and the verdict shape', () => {
    const diff = 'diff --git a/src/mw/rate.ts b/src/mw/rate.ts\n+export const limit = 100;\n-  return next();\n``` not a fence end';
    const p = reviewerPrompt(task, diff, { round: 2 });
    const first = p.split('\n')[0]!;
    expect(first).toContain('omni review');
    expect(first).toContain('t2');
    expect(first).toContain('round 2');
    expect(p).toContain(task.brief);
    expect(p).toContain(diff);
    expect(p).toContain('"verdict"');
    expect(p).not.toMatch(/too long/);
    expect(reviewerPrompt(task, diff, { round: 1, truncated: true })).toMatch(/too long and is cut off/);
    // The diff holds a ``` run: the fence around it is longer, so the diff cannot close it.
    expect(p).toContain(`\`\`\`\`diff\n${diff}\n\`\`\`\``);
    expect(reviewerPrompt(task, '+plain', { round: 1 })).toContain('```diff\n+plain\n```');
  });

  it('a verdict echoed back with the prompt still parses to the reviewer\'s own answer', () => {
    // The prompt's own example must not be mistaken for the answer when a model quotes it first.
    const answer = `${reviewerPrompt(task, '+x', { round: 1 })}\n\nMy review:\n\`\`\`json\n{"verdict":"approve","findings":[]}\n\`\`\``;
    expect(parseVerdict(answer)).toMatchObject({ ok: true, verdict: { verdict: 'approve' } });
  });

  it('verdictUnreadable gives the error and the shape', () => {
    const p = verdictUnreadable('"verdict" is "lgtm"; it must be "approve" or "changes"');
    expect(p).toContain('"verdict" is "lgtm"; it must be "approve" or "changes"');
    expect(p).toMatch(/"verdict": "approve"/);
  });

  it('changesRequested: every finding verbatim, "review round", rounds left', () => {
    const p = changesRequested(review, 2);
    for (const f of review.findings) expect(p).toContain(f.text);
    expect(p).toContain('review round 1 of 2');
    expect(p).toContain('src/mw/rate.ts:14');
    expect(p).toContain('Close, one bug.');
    expect(p).toMatch(/1 review round left/);
    expect(changesRequested({ ...review, round: 2 }, 3)).toMatch(/1 review round left/);
    expect(changesRequested({ ...review, round: 1 }, 3)).toMatch(/2 review rounds left/);
  });

  it('each prompt carries its own marker only (the fake model tells them apart by these)', () => {
    const lead = leadPrompt({ goal: 'g', workers: ['claude'], reviewers: ['codex'], parallel: 1 });
    const worker = workerPrompt(task, 'g');
    const reviewer = reviewerPrompt(task, '+x', { round: 1 });
    const changes = changesRequested(review, 2);
    const back = sentBack('n');
    for (const p of [worker, reviewer, changes, back]) expect(p).not.toContain('"tasks"');
    for (const p of [lead, worker, changes, back, planRefused(['e']), planAccepted([task])]) expect(p).not.toContain('omni review');
    for (const p of [lead, worker, reviewer, back]) expect(p).not.toContain('review round');
  });

  it('sentBack contains the note verbatim', () => {
    const note = 'Please use the existing `Clock` interface,\nnot Date.now().';
    expect(sentBack(note)).toContain(note);
  });
});
