import { describe, expect, it } from 'vitest';
import { approvedTasks, boardHeader, boardRows, diffstatText, reviewLines, reviewText, usdText } from '../../src/polly/board-rows.js';
import { formatBoard } from '../../src/cli/commands/polly-board.js';
import { Chalk } from 'chalk';
import { pollyRun, review, task } from '../helpers/polly-run.js';

describe('board rows', () => {
  const run = pollyRun(
    [
      task('t1', { status: 'approved', round: 1, reviews: [review(1, 'approve')], approvedBy: 'review', diffstat: { files: 2, insertions: 12, deletions: 3 }, costUsd: 0.1234 }),
      task('t2', { status: 'reviewing', harness: 'codex', round: 1, reviews: [review(1, 'changes')], after: ['t1'], diffstat: { files: 1, insertions: 1, deletions: 0 } }),
      task('t3', { status: 'waiting', after: ['t1', 't2'], session: undefined }),
      task('t4', { status: 'needs_person', reason: '2 review rounds and still changes requested', reviews: [review(1, 'changes'), review(2, 'changes')], round: 2 }),
      task('t5', { status: 'merged', approvedBy: 'person', merged: { commit: 'c'.repeat(40), at: '2030-01-01T01:00:00.000Z' } }),
    ],
    { costUsd: 1.5 },
  );

  it('one row per task in plan order, with worker, branch, diffstat, review and round, after, cost', () => {
    const rows = boardRows(run);
    expect(rows.map((r) => r.id)).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(rows[0]).toEqual({
      id: 't1',
      title: 'title of t1',
      harness: 'claude',
      status: 'approved',
      worker: 'polly1-t1',
      branch: 'omni/polly1-t1',
      diffstat: '+12 −3, 2 files',
      review: 'approve r1',
      round: 1,
      after: [],
      costUsd: 0.1234,
      canApprove: false,
      canSendBack: true,
      canMerge: true,
    });
    expect(rows[1]).toMatchObject({ harness: 'codex', review: 'changes r1', after: ['t1'], diffstat: '+1 −0, 1 file', canApprove: true, canMerge: false });
    expect(rows[2]).toMatchObject({ status: 'waiting', after: ['t1', 't2'], canSendBack: false, canApprove: true });
    expect(rows[2]).not.toHaveProperty('branch');
    expect(rows[2]).not.toHaveProperty('review');
    expect(rows[3]).toMatchObject({ review: 'changes r2', reason: '2 review rounds and still changes requested', canApprove: true, canSendBack: true });
    expect(rows[4]).toMatchObject({ review: 'approve (person)', canApprove: false, canSendBack: false, canMerge: false });
  });

  it('a planning run has no rows; its header says why the last plan was refused', () => {
    const planning = pollyRun(undefined, { planErrors: ['task t2 depends on t9, which is not in the plan'] });
    expect(boardRows(planning)).toEqual([]);
    expect(boardHeader(planning)).toMatchObject({ status: 'planning', counts: '', planErrors: ['task t2 depends on t9, which is not in the plan'] });
  });

  it('the header: run, goal, status, lead, base, total cost, counts in the order tasks move', () => {
    expect(boardHeader(run)).toEqual({
      id: 'p_abc12345',
      goal: 'add rate limiting to the API',
      status: 'running',
      lead: 'polly-1 (claude)',
      base: 'main',
      costUsd: 1.5,
      counts: '1 waiting, 1 reviewing, 1 approved, 1 needs person, 1 merged',
    });
  });

  it('texts: diffstat, review, money, review lines with findings', () => {
    expect(diffstatText(undefined)).toBeUndefined();
    expect(diffstatText({ files: 1, insertions: 0, deletions: 4 })).toBe('+0 −4, 1 file');
    expect(reviewText({ reviews: [], status: 'approved', approvedBy: 'person' })).toBe('approve (person)');
    expect(reviewText({ reviews: [review(1, 'changes')], status: 'approved', approvedBy: 'person' })).toBe('approve (person) r1');
    expect(reviewText({ reviews: [], status: 'working' })).toBeUndefined();
    expect(usdText(undefined)).toBe('-');
    expect(usdText(0.004)).toBe('$0.0040');
    expect(usdText(2)).toBe('$2.00');
    const lines = reviewLines(review(1, 'changes', { findings: [{ severity: 'blocker', text: 'no test' }, { file: 'a.ts', line: 3, severity: 'nit', text: 'name' }] }));
    expect(lines[0]).toBe('changes (round 1) by polly1-rev1 (codex, openai) at 2030-01-01T00:10:00.000Z');
    expect(lines).toContain('- [blocker] no test');
    expect(lines).toContain('- [nit] a.ts:3 name');
  });

  it('approvedTasks: the approved ones, in plan order', () => {
    expect(approvedTasks(run).map((t) => t.id)).toEqual(['t1']);
    expect(approvedTasks(pollyRun(undefined))).toEqual([]);
  });

  it('the plain board (no terminal): header, then one table line per task', () => {
    const out = formatBoard(run, boardRows(run), new Chalk({ level: 0 }));
    const lines = out.split('\n');
    expect(lines[0]).toBe('Polly p_abc12345 running · lead polly-1 (claude) · into main · $1.50 · 1 waiting, 1 reviewing, 1 approved, 1 needs person, 1 merged');
    expect(lines[1]).toBe('goal: add rate limiting to the API');
    expect(lines[3]).toMatch(/^TASK\s+TITLE\s+WORKER\s+STATUS\s+BRANCH\s+DIFF\s+REVIEW\s+AFTER\s+COST$/);
    expect(lines.find((l) => l.startsWith('t1 '))).toMatch(/t1\s+title of t1\s+claude\s+approved\s+omni\/polly1-t1\s+\+12 −3, 2 files\s+approve r1\s+-\s+\$0\.12/);
    expect(lines.find((l) => l.startsWith('t3 '))).toMatch(/waiting\s+-\s+-\s+-\s+t1,t2\s+-$/);
    expect(formatBoard(pollyRun(undefined), [], new Chalk({ level: 0 }))).toContain('no tasks yet: the lead is planning (omni attach polly-1)');
  });
});
