import { describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { CostReport } from '../../src/cost/aggregate.js';
import type { SessionRecord } from '../../src/core/session.js';
import { startFakeModel, type CapturedRequest, type FakeModel } from '../fake-model/server.js';
import { parseEvents } from '../helpers/events.js';
import { until, type TestEnv } from '../helpers/omni.js';
import { claudeWorld } from '../helpers/world.js';

// Claude Sonnet 4.5 in the bundled @pydantic/genai-prices 0.1.8, USD per million tokens: input 3,
// output 15, cache read 0.30, cache write (5 min) 3.75.
//  - every answer to the main agent: 2,000 + 5,000 + 40,000 read + 10,000 write = $0.1305
//      (6000 + 75000 + 12000 + 37500 µ$)
//  - the sub-agent's answer: 1,000 + 2,000 + 20,000 read + 4,000 write = $0.054
//      (3000 + 30000 + 6000 + 15000 µ$)
const MODEL = 'claude-sonnet-4-5-20250929';
const MAIN_USD = 0.1305;
const SUB_USD = 0.054;
const SUB_USAGE = { input_tokens: 1_000, output_tokens: 2_000, cache_read_input_tokens: 20_000, cache_creation_input_tokens: 4_000 };

const usageOf = async (t: TestEnv, name: string) =>
  parseEvents((await t.omni(['events', name, '--json'])).stdout).filter((e) => e.type === 'usage') as OmniEvent<'usage'>[];

/** Claude tells its model a background agent finished with a `<task-notification>` user message. */
const isTaskNotification = (r: CapturedRequest) => JSON.stringify(r.body?.messages?.at(-1) ?? '').includes('<task-notification>');

describe('Claude Code sub-agents count toward the omni session (real claude, fake model)', () => {
  let fake: FakeModel;
  let t: TestEnv;

  claudeWorld((w) => ({ fake, t } = w), { defaultUsage: { input_tokens: 2_000, output_tokens: 5_000, cache_read_input_tokens: 40_000, cache_creation_input_tokens: 10_000 } });

  it('meters the Agent tool’s sub-agent at its exact cost into the session, and omni cost totals parent + sub-agent', async () => {
    fake.script({
      name: 'parent',
      match: 'SPAWN-SUB',
      turns: [
        { toolUses: [{ name: 'Agent', input: { description: 'Answer the question', prompt: 'SUBTOKEN-42: what is six times seven?', subagent_type: 'general-purpose' } }] },
        { text: 'The sub-agent is on it.' },
      ],
    });
    const sub = fake.script({ name: 'sub', match: 'SUBTOKEN-42', turns: [{ text: 'Sub-agent result: 42.', usage: SUB_USAGE }] });
    const notified = fake.script({ name: 'notified', match: isTaskNotification, turns: [{ text: 'The answer is 42.' }] });

    const session = await t.omniJson<SessionRecord>(['claude', '--name', 'boss', '--model', MODEL, '--', '--permission-mode', 'default']);
    expect((await t.omni(['wait', 'boss', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    const sent = await t.omni(['send', 'boss', 'SPAWN-SUB please']);
    expect(sent.exitCode, String(sent.stderr)).toBe(0);

    // Claude 2.1.330 runs the agent in the background: the parent's turn ends, the agent answers,
    // and a task notification starts another parent turn.
    const subReq = await fake.waitForRequest((r) => r.script === sub, 90_000);
    expect(subReq.headers['x-claude-code-agent-id']).toEqual(expect.any(String));
    await fake.waitForRequest((r) => r.script === notified, 90_000);
    expect((await t.omni(['wait', 'boss', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);

    const mainTurns = fake.turns().filter((r) => r.hasTools && r.headers['x-claude-code-agent-id'] === undefined).length;
    expect(mainTurns).toBe(3); // the Agent call, its follow-up, the notification turn
    const usage = await until(
      async () => {
        const evs = await usageOf(t, 'boss');
        return evs.length >= mainTurns + 1 ? evs : undefined;
      },
      30_000,
      'the usage of every message',
    );
    const subUsage = usage.filter((u) => u.data.source === 'claude.subagent');
    expect(subUsage).toHaveLength(1);
    expect(subUsage[0]!.data).toMatchObject({ model: MODEL, inputTokens: 1_000, outputTokens: 2_000, cacheReadTokens: 20_000, cacheWriteTokens: 4_000, messageId: expect.stringMatching(/^msg_/) });
    expect(subUsage[0]!.data.computedCostUsd).toBeCloseTo(SUB_USD, 2);
    expect(subUsage[0]!.data.computedCostUsd).toBe(SUB_USD);
    const mainUsage = usage.filter((u) => u.data.source === 'claude.transcript');
    expect(mainUsage).toHaveLength(mainTurns);
    for (const u of mainUsage) expect(u.data.computedCostUsd).toBe(MAIN_USD);
    expect(new Set(usage.map((u) => u.data.messageId)).size).toBe(usage.length);

    const events = parseEvents((await t.omni(['events', 'boss', '--json'])).stdout);
    const texts = events.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text);
    expect(texts).toContain('The answer is 42.');
    expect(texts).not.toContain('Sub-agent result: 42.'); // the sub-agent does not speak for the session
    expect(events.some((e) => e.type === 'tool.call' && (e.data as { tool: string }).tool === 'Agent')).toBe(true);

    const expected = Math.round((MAIN_USD * mainTurns + SUB_USD) * 1e10) / 1e10;
    const report = await t.omniJson<CostReport>(['cost', '--json']);
    expect(report.total.messages).toBe(mainTurns + 1);
    expect(report.total.computedUsd).toBeCloseTo(MAIN_USD * mainTurns + SUB_USD, 2);
    expect(report.total.computedUsd).toBe(expected);
    expect(report.groups.map((g) => [g.key, g.computedUsd])).toEqual([[session.id, expected]]);
    // Claude's own running total (status line) includes its sub-agents: the two agree to the cent.
    await until(
      async () => {
        const r = await t.omniJson<CostReport>(['cost']);
        return Math.abs(r.total.reportedUsd - expected) < 0.01;
      },
      30_000,
      `Claude's reported total to reach about $${expected}`,
    );

    // A restarted daemon re-reads both transcripts and repeats nothing.
    expect((await t.omni(['daemon', 'stop'])).exitCode).toBe(0);
    const rec = (await t.omniJson<SessionRecord[]>(['ls', '--all'])).find((s) => s.name === 'boss');
    expect(rec?.cost?.computedUsd).toBe(expected);
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await usageOf(t, 'boss')).length).toBe(usage.length);
    expect((await t.omniJson<CostReport>(['cost'])).total.computedUsd).toBe(expected);
  });
});
