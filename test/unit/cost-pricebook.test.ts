import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Meter } from '../../src/cost/meter.js';
import { parseOverrides } from '../../src/cost/overrides.js';
import { CACHE_FILE_NAME, PriceBook, bundledPriceData, bundledPriceVersion, computeCost, inferProvider, type CostUsage } from '../../src/cost/pricebook.js';
import { builtinHarnesses } from '../../src/harnesses/index.js';

const harnesses = builtinHarnesses();
/** Price as this harness would: its adapter says who bills a model the usage names no provider for. */
const by = (harness: string) => ({ defaultProvider: (model: string) => harnesses.get(harness).provider?.(model) });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-prices-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A fresh config dir and cache dir. */
function world(overrides?: string): { configDir: string; cacheDir: string } {
  const base = path.join(dir, `w${++n}`);
  const configDir = path.join(base, 'config');
  const cacheDir = path.join(base, 'cache');
  fs.mkdirSync(configDir, { recursive: true });
  fs.mkdirSync(cacheDir, { recursive: true });
  if (overrides !== undefined) fs.writeFileSync(path.join(configDir, 'prices.yaml'), overrides);
  return { configDir, cacheDir };
}

const usage = (model: string, input: number, output: number, cacheRead = 0, cacheWrite = 0, extra: Partial<CostUsage> = {}): CostUsage => ({
  model,
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: cacheRead,
  cacheWriteTokens: cacheWrite,
  ...extra,
});

// Rates copied by hand from the bundled @pydantic/genai-prices 0.1.8 data (USD per million tokens).
// Claude Sonnet 4.5: input 3, output 15, cache read 0.30, cache write 3.75 (5 min) / 6 (1 h);
// above 200k input tokens: 6, 22.50, 0.60, 7.50, 12. GPT-5: input 1.25, cache read 0.125, output 10.
const per = (tokens: number, usdPerM: number) => (tokens * usdPerM) / 1e6;
/** Hand sums carry float noise; the book rounds to 1e-10 USD. */
const r10 = (usd: number) => Math.round(usd * 1e10) / 1e10;

describe('the price book (bundled genai-prices data)', () => {
  it('pins the bundled snapshot', () => {
    expect(bundledPriceVersion()).toBe('0.1.8');
    expect(bundledPriceData().providers.map((p) => p.id)).toEqual(expect.arrayContaining(['anthropic', 'openai', 'google', 'aws']));
  });

  it('prices a Claude message exactly: input, output, cache read, cache write', () => {
    const r = computeCost(usage('claude-sonnet-4-5-20250929', 2_000, 5_000, 40_000, 10_000), by('claude'));
    const hand = per(2_000, 3) + per(5_000, 15) + per(40_000, 0.3) + per(10_000, 3.75); // 0.006 + 0.075 + 0.012 + 0.0375
    expect(hand).toBeCloseTo(0.1305, 12);
    expect(r).toEqual({ usd: 0.1305, source: 'bundled', provider: 'anthropic', matched: 'claude-sonnet-4-5' });
  });

  it('prices 1-hour cache writes apart from 5-minute ones', () => {
    const r = computeCost(usage('claude-sonnet-4-5', 0, 0, 0, 10_000, { cacheWrite1hTokens: 4_000 }), by('claude'));
    expect(r.usd).toBe(per(6_000, 3.75) + per(4_000, 6)); // 0.0225 + 0.024 = 0.0465
    expect(r.usd).toBe(0.0465);
  });

  it('applies the long-context tier to the whole request past 200k input tokens (cache included)', () => {
    // 150k uncached + 60k cache read = 210k input tokens: every token at the >200k rates.
    const long = computeCost(usage('claude-sonnet-4-5', 150_000, 1_000, 60_000), by('claude'));
    expect(long.usd).toBe(0.9585); // 150000*6 + 60000*0.6 + 1000*22.5, per million
    expect(per(150_000, 6) + per(60_000, 0.6) + per(1_000, 22.5)).toBeCloseTo(0.9585, 12);
    // Exactly 200k is still the base rate; one more token is not.
    expect(computeCost(usage('claude-sonnet-4-5', 200_000, 0), by('claude')).usd).toBe(0.6);
    expect(computeCost(usage('claude-sonnet-4-5', 200_001, 0), by('claude')).usd).toBe(1.200006);
  });

  it('uses the price in force when the tokens were spent (dated price changes)', () => {
    // Claude Sonnet 4.6 had a >200k tier until 2026-03-13, flat $3 after.
    const u = usage('claude-sonnet-4-6', 300_000, 0);
    expect(computeCost(u, { ...by('claude'), at: new Date('2026-01-15T00:00:00Z') }).usd).toBe(1.8);
    expect(computeCost(u, { ...by('claude'), at: new Date('2026-06-01T00:00:00Z') }).usd).toBe(0.9);
  });

  it('prices Codex tokens as OpenAI (cached input at the cache-read rate)', () => {
    const r = computeCost(usage('gpt-5-codex', 1_000, 500, 9_000), by('codex'));
    expect(r.usd).toBe(0.007375); // 1000*1.25 + 9000*0.125 + 500*10, per million
    expect(r.provider).toBe('openai');
    expect(r.matched).toBe('gpt-5');
  });

  it('flags an unknown model as unpriced, never $0', () => {
    const r = computeCost(usage('totally-new-model-9', 1_000, 1_000), by('pi'));
    expect(r.unpriced).toBe(true);
    expect(r.usd).toBeUndefined();
    expect(r.source).toBe('none');
    expect(r.reason).toMatch(/no price for totally-new-model-9/);
    // A known provider that does not sell the model: unpriced too, not someone else's price.
    const wrong = computeCost(usage('claude-sonnet-4-5', 1_000, 1_000), by('codex'));
    expect(wrong.unpriced).toBe(true);
    expect(wrong.reason).toMatch(/provider openai/);
    // Garbage counts are unpriced, not $0.
    expect(computeCost(usage('claude-sonnet-4-5', Number.NaN, 1), by('claude')).unpriced).toBe(true);
  });

  it("infers the provider from the harness's adapter, the usage or the model name", () => {
    const of = (h: string, model: string, explicit?: string) => inferProvider(model, explicit, by(h).defaultProvider);
    expect(of('claude', 'claude-opus-4-1')).toBe('anthropic');
    expect(of('claude', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe('aws');
    expect(of('codex', 'gpt-5-codex')).toBe('openai');
    expect(of('pi', 'whatever')).toBeUndefined();
    expect(of('pi', 'x', 'amazon-bedrock')).toBe('aws');
    expect(of('pi', 'x', 'openai-codex')).toBe('openai');
    const hand = r10(per(1_000, 3) + per(100, 15));
    // Pi says who billed it…
    expect(computeCost(usage('claude-sonnet-4-5', 1_000, 100, 0, 0, { provider: 'anthropic' }), by('pi'))).toMatchObject({ usd: hand, provider: 'anthropic' });
    // …or the model carries a provider prefix…
    expect(computeCost(usage('anthropic/claude-sonnet-4-5', 1_000, 100), by('pi'))).toMatchObject({ usd: hand, provider: 'anthropic' });
    // …or only the model name tells (a custom provider the data does not know).
    expect(computeCost(usage('claude-sonnet-4-5', 1_000, 100, 0, 0, { provider: 'my-proxy' }), by('pi'))).toMatchObject({ usd: hand, provider: 'anthropic' });
    expect(computeCost(usage('gpt-5', 1_000, 100), by('pi'))).toMatchObject({ usd: r10(per(1_000, 1.25) + per(100, 10)), provider: 'openai' });
  });

  it('quotes a model with its rates, tiers and source', () => {
    const q = PriceBook.bundled().quote('claude-sonnet-4-5-20250929', by('claude'));
    expect(q).toMatchObject({ matched: 'claude-sonnet-4-5', provider: 'anthropic', source: 'bundled', dataVersion: '0.1.8' });
    expect(q?.rates.input).toEqual({ base: 3, tiers: [{ aboveInputTokens: 200_000, price: 6 }] });
    expect(q?.rates.cacheWrite1h).toEqual({ base: 6, tiers: [{ aboveInputTokens: 200_000, price: 12 }] });
    expect(PriceBook.bundled().quote('gpt-5', by('codex'))?.rates).toEqual({ input: 1.25, output: 10, cacheRead: 0.125 });
    expect(PriceBook.bundled().quote('nope-1')).toBeUndefined();
  });
});

describe('overrides (prices.yaml)', () => {
  const yaml = [
    'models:',
    '  claude-sonnet-4-5:      # contract price',
    '    provider: anthropic',
    '    input: 2.5',
    '    output: 12',
    '    cacheRead: 0.25',
    '    cacheWrite: 3',
    '  my-model-*:',
    '    input: 1',
    '    output: 2',
    '  gpt-5:',
    '    provider: azure',
    '    input: 100',
    '    output: 100',
    '',
  ].join('\n');

  it('win over the data, for the model (globs too) and provider they name', () => {
    const w = world(yaml);
    const book = PriceBook.load(w);
    const file = path.join(w.configDir, 'prices.yaml');
    expect(book.overridesFile).toBe(file);
    const r = book.cost(usage('claude-sonnet-4-5-20250929', 2_000, 5_000, 40_000, 10_000), by('claude'));
    // The override's key must equal the model (or glob it): the dated id does not match.
    expect(r.source).toBe('bundled');
    const o = book.cost(usage('claude-sonnet-4-5', 2_000, 5_000, 40_000, 10_000), by('claude'));
    expect(o).toEqual({ usd: per(2_000, 2.5) + per(5_000, 12) + per(40_000, 0.25) + per(10_000, 3), source: 'override', provider: 'anthropic', matched: 'claude-sonnet-4-5' });
    expect(o.usd).toBe(0.105);
    // A model the data has never heard of.
    expect(book.cost(usage('my-model-7b', 1_000_000, 500_000), by('pi'))).toMatchObject({ usd: 2, source: 'override', matched: 'my-model-*' });
    // Cache tokens without a cache rate are billed at the input rate.
    expect(book.cost(usage('my-model-7b', 0, 0, 1_000_000, 1_000_000), by('pi')).usd).toBe(2);
    // Provider-scoped: gpt-5 from OpenAI keeps the data's price.
    expect(book.cost(usage('gpt-5', 1_000_000, 0), by('codex'))).toMatchObject({ usd: 1.25, source: 'bundled' });
    expect(book.cost(usage('gpt-5', 1_000_000, 0, 0, 0, { provider: 'azure' }), by('pi'))).toMatchObject({ usd: 100, source: 'override' });
    const q = book.quote('claude-sonnet-4-5', by('claude'));
    expect(q).toMatchObject({ source: 'override', overrideAt: `${file}:2:3`, rates: { input: 2.5, output: 12, cacheRead: 0.25, cacheWrite: 3 } });
  });

  it('price 1-hour writes at cacheWrite1h when given', () => {
    const [o] = parseOverrides('models:\n  m:\n    input: 1\n    output: 1\n    cacheWrite: 2\n    cacheWrite1h: 4\n', '/x/prices.yaml');
    const book = new PriceBook(bundledPriceData(), [o!]);
    expect(book.cost(usage('m', 0, 0, 0, 1_000_000, { cacheWrite1hTokens: 250_000 })).usd).toBe(0.75 * 2 + 0.25 * 4);
  });

  it('errors name file, line and column and what is valid', () => {
    const f = '/cfg/prices.yaml';
    const error = (text: string) => {
      try {
        parseOverrides(text, f);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(error('models:\n  m:\n    inptu: 1\n    output: 2\n')).toBe(`${f}:3:5: unknown key "inptu" in models.m (did you mean "input"?); valid: provider, input, output, cacheRead, cacheWrite, cacheWrite1h`);
    expect(error('models:\n  m:\n    input: -1\n    output: 2\n')).toBe(`${f}:3:12: models.m.input must be a price of 0 or more (USD per million tokens), not -1`);
    expect(error('models:\n  m:\n    input: "3 dollars"\n    output: 2\n')).toBe(`${f}:3:12: models.m.input (USD per million tokens) must be a number, not a string`);
    expect(error('models:\n  m:\n    input: 1\n')).toBe(`${f}:3:5: models.m needs "input" and "output" (USD per million tokens); "output" is missing`);
    expect(error('models:\n  m:\n    input: 1\n    output: 1\n    cacheWrite1h: 2\n')).toBe(`${f}:5:19: models.m.cacheWrite1h needs cacheWrite too (the 5-minute rate)`);
    expect(error('model:\n  m: {}\n')).toMatch(new RegExp(`^${f}:1:1: unknown key "model" in prices.yaml \\(did you mean "models"\\?\\)`));
    expect(error('models:\n  m: [1, 2\n')).toMatch(new RegExp(`^${f}:\\d+:\\d+: invalid YAML`));
    expect(error('models:\n  m:\n    input: 1\n    output: 1\n    provider: [a]\n')).toBe(`${f}:5:15: models.m.provider must be a string, not a list`);
  });

  it('an empty or absent file means no overrides', () => {
    expect(parseOverrides('', '/x.yaml')).toEqual([]);
    expect(parseOverrides('models:\n', '/x.yaml')).toEqual([]);
    expect(PriceBook.load(world()).overridesFile).toBeUndefined();
  });
});

describe('the price cache (omni prices update)', () => {
  const withPrice = (version: string, input: number) => {
    const providers = structuredClone(bundledPriceData().providers);
    const anthropic = providers.find((p) => p.id === 'anthropic')!;
    anthropic.models.unshift({ id: 'claude-from-cache', match: { equals: 'claude-from-cache' }, prices: { input_mtok: input, output_mtok: 1 } });
    return { format: 1, package: '@pydantic/genai-prices', version, fetchedAt: '2026-01-01T00:00:00.000Z', tarball: 'x', providers };
  };

  it('is used when it is no older than the bundled data', () => {
    const w = world();
    fs.writeFileSync(path.join(w.cacheDir, CACHE_FILE_NAME), JSON.stringify(withPrice('0.1.9', 7)));
    const book = PriceBook.load(w);
    expect(book.data).toMatchObject({ source: 'cache', version: '0.1.9' });
    expect(book.cost(usage('claude-from-cache', 1_000_000, 0), by('claude'))).toMatchObject({ usd: 7, source: 'cache' });
    expect(book.cost(usage('claude-sonnet-4-5', 100_000, 0), by('claude'))).toMatchObject({ usd: 0.3, source: 'cache' });
    // The bundled book is unaffected by another book's data.
    expect(computeCost(usage('claude-from-cache', 1, 0), by('claude')).unpriced).toBe(true);
    expect(book.cost(usage('claude-from-cache', 1_000_000, 0), by('claude')).usd).toBe(7);
  });

  it('is ignored when older than the bundled data, or damaged', () => {
    const w = world();
    fs.writeFileSync(path.join(w.cacheDir, CACHE_FILE_NAME), JSON.stringify(withPrice('0.0.1', 7)));
    expect(PriceBook.load(w).data.source).toBe('bundled');
    fs.writeFileSync(path.join(w.cacheDir, CACHE_FILE_NAME), '{"format":1,"version":"9.9.9","providers":[{"id":1}]}');
    const warnings: string[] = [];
    expect(PriceBook.load({ ...w, warn: (m) => warnings.push(m) }).data.source).toBe('bundled');
    expect(warnings[0]).toMatch(/not a price snapshot omni can read/);
  });
});

describe('the daemon meter', () => {
  it('adds computedCostUsd or unpriced to usage, and reloads prices.yaml when it changes', () => {
    const w = world();
    const logs: string[] = [];
    const meter = new Meter({ ...w, log: (m) => logs.push(m), defaultProvider: (h, m) => by(h).defaultProvider(m) });
    const u = { ...usage('claude-sonnet-4-5', 100_000, 0), source: 'test' };
    expect(meter.price({ harness: 'claude' }, u)).toEqual({ ...u, computedCostUsd: 0.3 });
    expect(meter.price({ harness: 'pi' }, { ...u, model: 'mystery' })).toEqual({ ...u, model: 'mystery', unpriced: true });
    // What a collector already priced is left alone.
    expect(meter.price({ harness: 'claude' }, { ...u, computedCostUsd: 1 })).toEqual({ ...u, computedCostUsd: 1 });

    const file = path.join(w.configDir, 'prices.yaml');
    fs.writeFileSync(file, 'models:\n  claude-sonnet-4-5:\n    input: 2\n    output: 10\n');
    expect(meter.price({ harness: 'claude' }, u).computedCostUsd).toBe(0.2);
    // A broken edit keeps the last good overrides, and says so.
    fs.writeFileSync(file, 'models:\n  claude-sonnet-4-5:\n    input: two\n    output: 10\n');
    expect(meter.price({ harness: 'claude' }, u).computedCostUsd).toBe(0.2);
    expect(meter.error).toMatch(/prices\.yaml:3:12: models\.claude-sonnet-4-5\.input/);
    expect(logs.some((l) => l.includes('keeping the previous overrides'))).toBe(true);
    fs.writeFileSync(file, 'models:\n  mystery:\n    input: 4\n    output: 4\n');
    expect(meter.price({ harness: 'claude' }, u).computedCostUsd).toBe(0.3);
    expect(meter.price({ harness: 'pi' }, { ...u, model: 'mystery' }).computedCostUsd).toBe(0.4);
    expect(meter.error).toBeUndefined();
    fs.unlinkSync(file);
    expect(meter.price({ harness: 'pi' }, { ...u, model: 'mystery' }).unpriced).toBe(true);
  });
});
