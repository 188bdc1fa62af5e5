import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headLabels, latestAnswers, latestQuestion, runNumber, viewSessionName } from '../../src/debby/heads.js';
import { critiquePrompt, synthesisPrompt } from '../../src/debby/prompts.js';
import type { DebbyExchange, DebbyRun } from '../../src/debby/types.js';

describe('debby prompts', () => {
  it("a critique prompt holds each other head's answer verbatim under [label], the round, and never the head's own answer", () => {
    const p = critiquePrompt({
      self: 'claude',
      question: 'Tabs or spaces?',
      others: [
        { label: 'codex', text: 'Spaces.\n\nBecause `black` says so: [x] done.' },
        { label: 'pi', text: 'Tabs, for width.' },
      ],
      round: 2,
      rounds: 3,
    });
    expect(p).toContain('debate round 2 of 3');
    expect(p).toContain('[codex]\nSpaces.\n\nBecause `black` says so: [x] done.');
    expect(p).toContain('[pi]\nTabs, for width.');
    expect(p).toContain('Tabs or spaces?');
    expect(p).toContain('[claude]'); // who it is talking to
  });

  it('holds any answers verbatim (property)', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
    fc.assert(
      fc.property(fc.array(fc.record({ label, text: fc.string({ minLength: 1 }) }), { minLength: 1, maxLength: 4 }), fc.string(), fc.integer({ min: 1, max: 10 }), (others, question, round) => {
        const p = critiquePrompt({ self: 'me', question, others, round, rounds: round });
        for (const o of others) expect(p).toContain(`[${o.label}]\n${o.text}\n`);
        expect(p).toContain('debate round');
        const s = synthesisPrompt(question, others);
        expect(s).toContain('synthesis');
        for (const o of others) expect(s).toContain(`[${o.label}]\n${o.text}\n`);
      }),
    );
  });

  it('a synthesis prompt says synthesis and holds every final answer and the question', () => {
    const s = synthesisPrompt('Which queue?', [
      { label: 'claude', text: 'A Redis stream.' },
      { label: 'codex', text: 'Postgres SKIP LOCKED.' },
    ]);
    expect(s).toMatch(/synthesis/);
    expect(s).toContain('Which queue?');
    expect(s).toContain('[claude]\nA Redis stream.');
    expect(s).toContain('[codex]\nPostgres SKIP LOCKED.');
  });
});

describe('debby heads', () => {
  it('labels repeats -2, -3 in order', () => {
    expect(headLabels(['claude', 'codex', 'claude', 'claude'])).toEqual(['claude', 'codex', 'claude-2', 'claude-3']);
  });

  const ex = (n: number, kind: DebbyExchange['kind'], prompt: string, answers: DebbyExchange['answers']): DebbyExchange => ({ n, kind, prompt, startedAt: '', answers });
  const run = (exchanges: DebbyExchange[]): DebbyRun => ({
    id: 'd_abcdefgh',
    createdAt: '',
    cwd: '/w',
    synth: 'claude',
    status: 'live',
    heads: [
      { label: 'claude', harness: 'claude', session: 's_1', name: 'debby-7-claude' },
      { label: 'codex', harness: 'codex', session: 's_2', name: 'debby-7-codex' },
    ],
    exchanges,
  });

  it("latest answers skip failed answers and synthesis; the question is the last ask's", () => {
    const r = run([
      ex(1, 'ask', 'Q1', [{ head: 'claude', text: 'c1' }, { head: 'codex', text: 'x1' }]),
      ex(2, 'ask', 'Q2', [{ head: 'claude', text: 'c2' }, { head: 'codex', text: '', error: 'timed out' }]),
      ex(3, 'synthesis', 'synthesis by claude', [{ head: 'claude', text: 'synth' }]),
    ]);
    expect(Object.fromEntries(latestAnswers(r))).toEqual({ claude: 'c2', codex: 'x1' });
    expect(latestQuestion(r)).toBe('Q2');
    expect(latestQuestion(run([]))).toBeUndefined();
  });

  it('the run number and the view session come from the heads\' names', () => {
    expect(runNumber(run([]))).toBe(7);
    expect(viewSessionName(run([]))).toBe('debby-7');
  });
});
