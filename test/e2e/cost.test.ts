import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { CostReport } from '../../src/cost/aggregate.js';
import type { SessionRecord } from '../../src/core/session.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents } from '../helpers/events.js';
import { claudeEnv, makeTestEnv, until, type TestEnv } from '../helpers/omni.js';

// Claude Sonnet 4.5 in the bundled @pydantic/genai-prices 0.1.8, USD per million tokens:
// input 3, output 15, cache read 0.30, cache write (5 min) 3.75. Every answer of the fake model
// spends 2,000 input + 5,000 output + 40,000 cache-read + 10,000 cache-write tokens:
//   2000×3 + 5000×15 + 40000×0.30 + 10000×3.75 = 6000 + 75000 + 12000 + 37500 = 130,500 µ$ = $0.1305
const MODEL = 'claude-sonnet-4-5-20250929';
const PER_MESSAGE_USD = 0.1305;

describe('cost metering end to end (real claude, fake model with fixed token counts)', () => {
  let fake: FakeModel;
  let t: TestEnv;

  beforeEach(async () => {
    fake = await startFakeModel();
    fake.defaultUsage = { input_tokens: 2_000, output_tokens: 5_000, cache_read_input_tokens: 40_000, cache_creation_input_tokens: 10_000 };
    t = makeTestEnv(claudeEnv(fake.url));
  });

  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  it('every usage event carries the computed cost, and omni cost totals it', async () => {
    fake.script({ match: 'PRICE-CHECK', turns: [{ text: 'Priced and done.' }] });
    const session = await t.omniJson<SessionRecord>(['claude', '--name', 'spend', '--model', MODEL, '--', '--permission-mode', 'default']);
    expect(session.model).toBe(MODEL);
    expect((await t.omni(['wait', 'spend', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    const sent = await t.omni(['send', 'spend', 'PRICE-CHECK please']);
    expect(sent.exitCode, String(sent.stderr)).toBe(0);
    expect((await t.omni(['wait', 'spend', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);

    const usage = await until(
      async () => {
        const evs = parseEvents((await t.omni(['events', 'spend', '--json'])).stdout).filter((e) => e.type === 'usage') as OmniEvent<'usage'>[];
        return evs.length ? evs : undefined;
      },
      30_000,
      'a usage event',
    );
    for (const u of usage) {
      expect(u.data.model).toBe(MODEL);
      expect([u.data.inputTokens, u.data.outputTokens, u.data.cacheReadTokens, u.data.cacheWriteTokens]).toEqual([2_000, 5_000, 40_000, 10_000]);
      expect(u.data.unpriced).toBeUndefined();
      expect(u.data.computedCostUsd).toBeCloseTo(PER_MESSAGE_USD, 2); // to the cent…
      expect(u.data.computedCostUsd).toBe(PER_MESSAGE_USD); // …and exactly
    }

    const report = await t.omniJson<CostReport>(['cost']);
    expect(report.by).toBe('session');
    expect(report.unpriced).toEqual([]);
    expect(report.total.messages).toBe(usage.length);
    expect(report.total.unpricedMessages).toBe(0);
    expect(report.total.computedUsd).toBeCloseTo(PER_MESSAGE_USD * usage.length, 2);
    expect(report.total.computedUsd).toBe(Math.round(PER_MESSAGE_USD * usage.length * 1e10) / 1e10);
    expect(report.total).toMatchObject({ inputTokens: 2_000 * usage.length, outputTokens: 5_000 * usage.length, cacheReadTokens: 40_000 * usage.length, cacheWriteTokens: 10_000 * usage.length });
    expect(report.groups.map((g) => [g.label, g.harness, g.computedUsd])).toEqual([['spend', 'claude', report.total.computedUsd]]);

    const byModel = await t.omniJson<CostReport>(['cost', 'spend', '--by', 'model']);
    expect(byModel.session).toBe(session.id);
    expect(byModel.groups.map((g) => [g.key, g.computedUsd])).toEqual([[MODEL, report.total.computedUsd]]);

    const human = await t.omni(['cost']);
    expect(human.exitCode).toBe(0);
    expect(String(human.stdout)).toMatch(new RegExp(`spend \\(${session.id}, claude\\).*\\$${(PER_MESSAGE_USD * usage.length).toFixed(4).replace('.', '\\.')}`));

    // A price override applies to new usage at once (the daemon reloads prices.yaml on change).
    fs.mkdirSync(path.join(t.omniHome, 'config'), { recursive: true });
    fs.writeFileSync(path.join(t.omniHome, 'config', 'prices.yaml'), `models:\n  ${MODEL}:\n    input: 1\n    output: 1\n    cacheRead: 1\n    cacheWrite: 1\n`);
    fake.script({ match: 'SECOND-CHECK', turns: [{ text: 'Second.' }] });
    expect((await t.omni(['send', 'spend', 'SECOND-CHECK please'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'spend', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    const later = await until(
      async () => {
        const evs = parseEvents((await t.omni(['events', 'spend', '--json'])).stdout).filter((e) => e.type === 'usage') as OmniEvent<'usage'>[];
        return evs.length > usage.length ? evs.slice(usage.length) : undefined;
      },
      30_000,
      'usage of the second prompt',
    );
    for (const u of later) expect(u.data.computedCostUsd).toBe(0.057); // 57,000 tokens at $1 per million
  });

  it('an unknown model is flagged unpriced, never $0, in the event and in omni cost', async () => {
    fake.script({ match: 'UNPRICED-CHECK', turns: [{ text: 'Who knows what I cost.' }] });
    await t.omniJson<SessionRecord>(['claude', '--name', 'mystery', '--model', 'claude-mystery-9', '--', '--permission-mode', 'default']);
    expect((await t.omni(['wait', 'mystery', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    expect((await t.omni(['send', 'mystery', 'UNPRICED-CHECK please'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'mystery', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    const usage = await until(
      async () => {
        const evs = parseEvents((await t.omni(['events', 'mystery', '--json'])).stdout).filter((e) => e.type === 'usage') as OmniEvent<'usage'>[];
        return evs.length ? evs : undefined;
      },
      30_000,
      'a usage event',
    );
    for (const u of usage) {
      expect(u.data.unpriced).toBe(true);
      expect(u.data.computedCostUsd).toBeUndefined();
    }
    const report = await t.omniJson<CostReport>(['cost']);
    expect(report.total).toMatchObject({ computedUsd: 0, unpricedMessages: usage.length });
    expect(report.unpriced).toEqual([expect.objectContaining({ model: 'claude-mystery-9', harness: 'claude', messages: usage.length })]);
    expect(String((await t.omni(['cost'])).stdout)).toMatch(/unpriced: claude-mystery-9 \(claude\)/);
  });
});
