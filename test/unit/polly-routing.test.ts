import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pickReviewer, routingErrors, type Party } from '../../src/polly/routing.js';

const claude: Party = { harness: 'claude', vendor: 'anthropic' };
const codex: Party = { harness: 'codex', vendor: 'openai' };
const pi: Party = { harness: 'pi', vendor: 'pi' };
const piGpt: Party = { harness: 'pi', vendor: 'openai' };

describe('pickReviewer', () => {
  it('picks a reviewer of another vendor, the n-th in turn', () => {
    const reviewers = [claude, codex, pi];
    expect([0, 1, 2, 3].map((n) => pickReviewer(claude, reviewers, n))).toEqual([
      { ok: true, harness: 'codex', vendor: 'openai' },
      { ok: true, harness: 'pi', vendor: 'pi' },
      { ok: true, harness: 'codex', vendor: 'openai' },
      { ok: true, harness: 'pi', vendor: 'pi' },
    ]);
    expect(pickReviewer(codex, reviewers, 0)).toEqual({ ok: true, harness: 'claude', vendor: 'anthropic' });
    expect(pickReviewer(codex, [piGpt, claude], 0)).toEqual({ ok: true, harness: 'claude', vendor: 'anthropic' });
  });

  it('refuses a same-vendor review, naming the worker and the reviewers', () => {
    expect(pickReviewer(claude, [claude], 0)).toEqual({ ok: false, error: 'no reviewer of another vendor for worker claude (anthropic); reviewers: claude (anthropic)' });
    expect(pickReviewer(codex, [piGpt, { harness: 'codex', vendor: 'OpenAI' }], 5)).toMatchObject({ ok: false });
    expect(pickReviewer(codex, [], 0)).toEqual({ ok: false, error: 'no reviewer of another vendor for worker codex (openai); reviewers: none' });
  });

  it('never picks the same vendor, and picks whenever one exists (fast-check)', () => {
    const vendor = fc.constantFrom('anthropic', 'openai', 'pi', 'google', 'OpenAI');
    const party = fc.record({ harness: fc.constantFrom('claude', 'codex', 'pi', 'h4'), vendor });
    fc.assert(
      fc.property(party, fc.array(party, { maxLength: 6 }), fc.oneof(fc.integer(), fc.double()), (worker, reviewers, n) => {
        const r = pickReviewer(worker, reviewers, n);
        const others = reviewers.filter((x) => x.vendor.toLowerCase() !== worker.vendor.toLowerCase());
        if (others.length === 0) {
          expect(r.ok).toBe(false);
          expect(routingErrors([worker], reviewers)).toHaveLength(1);
        } else {
          expect(r.ok).toBe(true);
          if (r.ok) {
            expect(r.vendor.toLowerCase()).not.toBe(worker.vendor.toLowerCase());
            expect(others).toContainEqual({ harness: r.harness, vendor: r.vendor });
          }
          expect(routingErrors([worker], reviewers)).toEqual([]);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('spreads reviews over every eligible reviewer as n counts up (fast-check)', () => {
    const party = fc.record({ harness: fc.string({ minLength: 1, maxLength: 3 }), vendor: fc.constantFrom('a', 'b', 'c') });
    fc.assert(
      fc.property(party, fc.uniqueArray(party, { selector: (p) => `${p.harness}/${p.vendor}`, maxLength: 5 }), (worker, reviewers) => {
        const others = reviewers.filter((x) => x.vendor !== worker.vendor);
        const got = new Set(others.map((_, n) => JSON.stringify(pickReviewer(worker, reviewers, n))));
        expect(got.size).toBe(others.length);
      }),
    );
  });
});

describe('routingErrors', () => {
  it('one error per worker harness without a reviewer of another vendor', () => {
    expect(routingErrors([claude, codex], [claude, codex, pi])).toEqual([]);
    expect(routingErrors([claude, codex, claude], [claude])).toEqual(['no reviewer of another vendor for worker claude (anthropic); reviewers: claude (anthropic)']);
    expect(routingErrors([codex, piGpt], [codex])).toEqual([
      'no reviewer of another vendor for worker codex (openai); reviewers: codex (openai)',
      'no reviewer of another vendor for worker pi (openai); reviewers: codex (openai)',
    ]);
  });
});
