import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agreement, agreementLine, contentWords } from '../../src/debby/agreement.js';

describe('contentWords', () => {
  it('keeps content words, lower case, without stop words, punctuation or a plural s', () => {
    expect(contentWords('The Tests pass, and the RETRY loop backs off!')).toEqual(['test', 'pass', 'retry', 'loop', 'back']);
    expect(contentWords("It's the cache's TTL: 60 s")).toEqual(['cache', 'ttl', '60']);
    expect(contentWords('class status analysis')).toEqual(['class', 'status', 'analysis']);
    expect(contentWords('')).toEqual([]);
  });
});

describe('agreement', () => {
  it('is 100% for the same words and 0% for none in common', () => {
    expect(agreement([{ label: 'claude', text: 'Use a mutex around the cache.' }, { label: 'codex', text: 'around the CACHE use a mutex' }])?.percent).toBe(100);
    const none = agreement([{ label: 'claude', text: 'mutex cache' }, { label: 'codex', text: 'channel queue' }])!;
    expect(none.percent).toBe(0);
    expect(none.shared).toEqual([]);
  });

  it('measures the overlap and names what only one head said, most frequent first', () => {
    const a = agreement([
      { label: 'claude', text: 'Add retry with exponential backoff. Backoff keeps the retry storm down; jitter helps.' },
      { label: 'codex', text: 'Add retry with a circuit breaker; the breaker trips after five failures.' },
    ])!;
    // claude {add retry exponential backoff keep storm down jitter help} codex {add retry circuit breaker trip after five failure}: 2 of 15
    expect(a.percent).toBe(Math.round((100 * 2) / 15));
    expect(a.shared).toEqual(['retry', 'add']);
    expect(a.only).toEqual([
      { label: 'claude', words: ['backoff', 'exponential', 'keep'] },
      { label: 'codex', words: ['breaker', 'circuit', 'trip'] },
    ]);
    expect(agreementLine(a)).toBe(`agree ${a.percent}% · only claude: backoff, exponential, keep · only codex: breaker, circuit, trip`);
  });

  it('averages every pair for three heads; a word is "only" when no other head used it', () => {
    const a = agreement([
      { label: 'claude', text: 'alpha beta' },
      { label: 'codex', text: 'alpha beta' },
      { label: 'pi', text: 'alpha gamma' },
    ])!;
    // pairs: 1, 1/3, 1/3
    expect(a.percent).toBe(Math.round((100 * (1 + 1 / 3 + 1 / 3)) / 3));
    expect(a.only).toEqual([
      { label: 'claude', words: [] },
      { label: 'codex', words: [] },
      { label: 'pi', words: ['gamma'] },
    ]);
    expect(agreementLine(a)).toBe(`agree ${a.percent}% · only pi: gamma`);
  });

  it('has nothing to say with fewer than two answers that have words', () => {
    expect(agreement([])).toBeUndefined();
    expect(agreement([{ label: 'claude', text: 'an answer' }, { label: 'codex', text: '' }])).toBeUndefined();
    expect(agreementLine(undefined)).toMatch(/no answers to compare/);
  });

  it('is symmetric, within 0…100, and 100 for a head compared with itself (property)', () => {
    const text = fc.array(fc.constantFrom('cache', 'mutex', 'retry', 'queue', 'the', 'lock', 'Tests', 'a', '42', 'backoff'), { maxLength: 12 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(text, text, (x, y) => {
        const ab = agreement([{ label: 'a', text: x }, { label: 'b', text: y }]);
        const ba = agreement([{ label: 'b', text: y }, { label: 'a', text: x }]);
        expect(ab?.percent).toBe(ba?.percent);
        if (ab) {
          expect(ab.percent).toBeGreaterThanOrEqual(0);
          expect(ab.percent).toBeLessThanOrEqual(100);
          // No word is both shared and one head's own.
          for (const o of ab.only) for (const w of o.words) expect(ab.shared).not.toContain(w);
        }
        const self = agreement([{ label: 'a', text: x }, { label: 'b', text: x }]);
        if (self) expect(self.percent).toBe(100);
      }),
    );
  });
});
