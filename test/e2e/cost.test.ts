import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { CostReport } from '../../src/cost/aggregate.js';
import type { SessionRecord } from '../../src/core/session.js';
import { answerCodexTitles, codexUserEnv, writeCodexUserConfig } from '../conformance/profiles/codex.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents } from '../helpers/events.js';
import { makeTestEnv, until, pinnedCli, type TestEnv } from '../helpers/omni.js';
import { claudeWorld } from '../helpers/world.js';

// Claude Sonnet 4.5 in the bundled @pydantic/genai-prices 0.1.8, USD per million tokens:
// input 3, output 15, cache read 0.30, cache write (5 min) 3.75. Every answer of the fake model
// spends 2,000 input + 5,000 output + 40,000 cache-read + 10,000 cache-write tokens:
//   2000×3 + 5000×15 + 40000×0.30 + 10000×3.75 = 6000 + 75000 + 12000 + 37500 = 130,500 µ$ = $0.1305
const MODEL = 'claude-sonnet-4-5-20250929';
const PER_MESSAGE_USD = 0.1305;

/** The session's usage events, once there are at least `min`. */
async function usageOf(t: TestEnv, name: string, min = 1): Promise<OmniEvent<'usage'>[]> {
  return until(
    async () => {
      const evs = parseEvents((await t.omni(['events', name, '--json'])).stdout).filter((e) => e.type === 'usage') as OmniEvent<'usage'>[];
      return evs.length >= min ? evs : undefined;
    },
    30_000,
    `${min} usage event(s) of ${name}`,
  );
}

const record = async (t: TestEnv, name: string) => (await t.omniJson<SessionRecord[]>(['ls', '--all'])).find((s) => s.name === name);

describe('cost metering end to end (real claude, fake model with fixed token counts)', () => {
  let fake: FakeModel;
  let t: TestEnv;

  claudeWorld((w) => ({ fake, t } = w), { defaultUsage: { input_tokens: 2_000, output_tokens: 5_000, cache_read_input_tokens: 40_000, cache_creation_input_tokens: 10_000 } });

  it('every usage event carries the computed cost, omni cost totals it, and Claude reports the same through its status line', async () => {
    // The user's own status line keeps showing: omni's status line runs it after reading the cost.
    fs.mkdirSync(path.join(t.home, '.claude'), { recursive: true });
    fs.writeFileSync(path.join(t.home, '.claude', 'settings.json'), JSON.stringify({ statusLine: { type: 'command', command: 'echo "MY-LINE $(cat | wc -c)"' } }));
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

    // Claude's own figure (statusLine cost.total_cost_usd, cumulative) agrees with omni's to the cent.
    const computed = report.total.computedUsd;
    const reported = await until(
      async () => {
        const evs = parseEvents((await t.omni(['events', 'spend', '--json'])).stdout).filter((e) => e.type === 'cost.reported') as OmniEvent<'cost.reported'>[];
        const last = evs.at(-1);
        return last && Math.abs(last.data.totalUsd - computed) < 0.01 ? evs : undefined;
      },
      30_000,
      `Claude's status line to report about $${computed}`,
    );
    for (const r of reported) expect(r.data).toMatchObject({ source: 'claude.statusline', harnessSessionId: expect.any(String), model: MODEL });
    expect(new Set(reported.map((r) => r.data.totalUsd)).size).toBe(reported.length); // logged only when it changes
    const rec = (await record(t, 'spend'))!;
    expect(rec.cost?.computedUsd).toBe(computed);
    expect(Math.abs(rec.cost!.reportedUsd! - computed)).toBeLessThan(0.01);
    expect((await t.omniJson<CostReport>(['cost'])).total.reportedUsd).toBeCloseTo(computed, 2);
    // The live meter: omni ls and omni status-line.
    const ls = String((await t.omni(['ls'])).stdout).split('\n');
    expect(ls[0]).toMatch(/^ID\s+NAME\s+HARNESS\s+STATUS\s+COST\s+AGE\s+CWD$/);
    expect(ls[1]).toMatch(new RegExp(`^${session.id}\\s+spend\\s+claude\\s+idle\\s+\\$${computed.toFixed(2).replace('.', '\\.')}\\s`));
    expect(String((await t.omni(['status-line'])).stdout).trim()).toBe(`omni 1 session · $${computed.toFixed(2)}`);
    // …and the user's status line is still drawn, fed the same JSON.
    await until(async () => /MY-LINE [1-9][0-9]+/.test(String((await t.tmux(['capture-pane', '-p', '-t', session.id])).stdout)), 10_000, "the user's status line in the pane");
    // A restarted daemon rebuilds the totals, the reported one included, from the log.
    expect((await t.omni(['daemon', 'stop'])).exitCode).toBe(0);
    expect((await record(t, 'spend'))?.cost).toEqual(rec.cost);

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

// GPT-5.5 in the bundled @pydantic/genai-prices 0.1.8, USD per million tokens: input 5, output 30,
// cached input 0.50 (below 272k input tokens). The fake model answers every request with 2,000
// uncached + 40,000 cached input and 5,000 output tokens (OpenAI's input_tokens = 42,000 with
// cached_tokens = 40,000; omni's inputTokens counts the uncached part):
//   2000×5 + 5000×30 + 40000×0.50 = 10000 + 150000 + 20000 = 180,000 µ$ = $0.18
// Codex reports tokens only, never dollars.
const CODEX_MODEL = 'gpt-5.5';
const CODEX_PER_MESSAGE_USD = 0.18;

describe.skipIf(!pinnedCli('codex'))('cost metering end to end (real codex, fake model with fixed token counts)', () => {
  let fake: FakeModel;
  let t: TestEnv;

  beforeEach(async () => {
    fake = await startFakeModel();
    fake.defaultUsage = { input_tokens: 2_000, output_tokens: 5_000, cache_read_input_tokens: 40_000, cache_creation_input_tokens: 0 };
    t = makeTestEnv();
    Object.assign(t.env, codexUserEnv(t));
    writeCodexUserConfig(t.home, fake.url);
    answerCodexTitles(fake);
  });

  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  it('computes the cost of every message to the cent, with no reported figure', async () => {
    fake.script({ match: 'PRICE-CHECK', turns: [{ text: 'Priced and done.' }] });
    await t.omniJson<SessionRecord>(['codex', '--name', 'cx', '--model', CODEX_MODEL]);
    expect((await t.omni(['wait', 'cx', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    expect((await t.omni(['send', 'cx', 'PRICE-CHECK please'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'cx', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    const usage = await usageOf(t, 'cx');
    for (const u of usage) {
      expect(u.data.model).toBe(CODEX_MODEL);
      expect([u.data.inputTokens, u.data.outputTokens, u.data.cacheReadTokens, u.data.cacheWriteTokens]).toEqual([2_000, 5_000, 40_000, 0]);
      expect(u.data.reportedCostUsd).toBeUndefined();
      expect(u.data.computedCostUsd).toBeCloseTo(CODEX_PER_MESSAGE_USD, 2);
      expect(u.data.computedCostUsd).toBe(CODEX_PER_MESSAGE_USD);
    }
    const rec = (await record(t, 'cx'))!;
    expect(rec.cost).toMatchObject({ messages: usage.length, computedUsd: Math.round(CODEX_PER_MESSAGE_USD * usage.length * 1e9) / 1e9 });
    expect(rec.cost?.reportedUsd).toBeUndefined();
    expect(rec.cost?.unpricedModels).toBeUndefined();
    const report = await t.omniJson<CostReport>(['cost', 'cx']);
    expect(report.total.computedUsd).toBeCloseTo(CODEX_PER_MESSAGE_USD * usage.length, 2);
    expect(report.total).toMatchObject({ reportedUsd: 0, reportedMessages: 0, reportedTotals: 0, unpricedMessages: 0 });
  });
});

// Pi, with the model id the price book knows as Claude Sonnet 4.5 served by the user's own
// provider, priced in models.json at the same rates (3 / 15 / 0.30 / 3.75): Pi's own figure for
// each message must equal omni's, 2,000 + 5,000 + 40,000 cache-read + 10,000 cache-write = $0.1305.
describe.skipIf(!pinnedCli('pi'))('cost metering end to end (real pi, fake model with fixed token counts)', () => {
  let fake: FakeModel;
  let t: TestEnv;

  beforeEach(async () => {
    fake = await startFakeModel();
    fake.defaultUsage = { input_tokens: 2_000, output_tokens: 5_000, cache_read_input_tokens: 40_000, cache_creation_input_tokens: 10_000 };
    t = makeTestEnv({ PI_OFFLINE: '1' });
    const dir = path.join(t.home, '.pi', 'agent');
    fs.mkdirSync(dir, { recursive: true });
    const models = { providers: { fake: { baseUrl: fake.url, api: 'anthropic-messages', apiKey: 'test-key', models: [{ id: MODEL, name: 'Sonnet', cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 } }] } } };
    fs.writeFileSync(path.join(dir, 'models.json'), JSON.stringify(models, null, 2));
    fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ defaultProvider: 'fake', defaultModel: MODEL }));
  });

  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  it("computes the cost of every message to the cent, and Pi's own figure agrees", async () => {
    fake.script({ match: 'PRICE-CHECK', turns: [{ toolUses: [{ name: 'bash', input: { command: 'echo priced' } }] }, { text: 'Priced and done.' }] });
    await t.omniJson<SessionRecord>(['pi', '--name', 'pp']);
    expect((await t.omni(['wait', 'pp', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    expect((await t.omni(['send', 'pp', 'PRICE-CHECK please'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'pp', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    const usage = await usageOf(t, 'pp', 2);
    for (const u of usage) {
      expect(u.data.model).toBe(MODEL);
      expect(u.data.provider).toBe('fake');
      expect([u.data.inputTokens, u.data.outputTokens, u.data.cacheReadTokens, u.data.cacheWriteTokens]).toEqual([2_000, 5_000, 40_000, 10_000]);
      expect(u.data.computedCostUsd).toBe(PER_MESSAGE_USD);
      expect(u.data.reportedCostUsd).toBeCloseTo(PER_MESSAGE_USD, 2);
      expect(Math.abs(u.data.reportedCostUsd! - u.data.computedCostUsd!)).toBeLessThan(1e-9);
    }
    const rec = (await record(t, 'pp'))!;
    expect(rec.cost?.computedUsd).toBeCloseTo(PER_MESSAGE_USD * usage.length, 9);
    expect(rec.cost?.reportedUsd).toBeCloseTo(PER_MESSAGE_USD * usage.length, 9);
    const report = await t.omniJson<CostReport>(['cost', 'pp']);
    expect(report.total).toMatchObject({ messages: usage.length, reportedMessages: usage.length, unpricedMessages: 0 });
    expect(report.total.computedUsd).toBeCloseTo(PER_MESSAGE_USD * usage.length, 2);
    expect(report.total.reportedUsd).toBeCloseTo(report.total.computedUsd, 2);
  });
});
