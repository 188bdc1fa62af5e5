import { describe, expect, it } from 'vitest';
import { formatCostReport } from '../../src/cli/commands/cost.js';
import type { OmniEvent, UsageData } from '../../src/core/events.js';
import { aggregateCost, costEventsOf, type CostInput } from '../../src/cost/aggregate.js';
import { makeChalk } from '../../src/cli/output.js';

let seq = 0;
function usage(session: string, ts: string, data: Partial<UsageData> & { model: string }): OmniEvent<'usage'> {
  return {
    seq: ++seq,
    ts,
    session,
    type: 'usage',
    data: { inputTokens: 100, outputTokens: 10, cacheReadTokens: 1000, cacheWriteTokens: 50, source: 'test', ...data },
  };
}

const other = (session: string): OmniEvent => ({ seq: ++seq, ts: '2026-03-01T00:00:00.000Z', session, type: 'message.user', data: { text: 'hi' } });

function inputs(): CostInput[] {
  return [
    {
      session: { id: 's_a', name: 'alpha', harness: 'claude' },
      events: [
        other('s_a'),
        usage('s_a', '2026-03-01T10:00:00.000Z', { model: 'claude-sonnet-4-5', computedCostUsd: 0.1305, reportedCostUsd: 0.13 }),
        usage('s_a', '2026-03-02T09:00:00.000Z', { model: 'claude-sonnet-4-5', computedCostUsd: 0.1305, reportedCostUsd: 0.14 }),
        usage('s_a', '2026-03-02T09:05:00.000Z', { model: 'claude-haiku-4-5', computedCostUsd: 0.01 }),
      ],
    },
    {
      session: { id: 's_b', name: 'beta', harness: 'pi' },
      events: [
        usage('s_b', '2026-03-02T11:00:00.000Z', { model: 'local-llama', unpriced: true, provider: 'ollama' }),
        usage('s_b', '2026-03-02T11:01:00.000Z', { model: 'local-llama', unpriced: true, provider: 'ollama' }),
        usage('s_b', '2026-03-02T11:02:00.000Z', { model: 'gpt-5', computedCostUsd: 0.2, reportedCostUsd: 0.2 }),
      ],
    },
    { session: { id: 's_c', name: 'gamma', harness: 'codex' }, events: [other('s_c')] },
  ];
}

describe('omni cost aggregation', () => {
  it('totals tokens, computed and reported USD by session, and flags unpriced models', () => {
    const r = aggregateCost(inputs(), 'session');
    expect(r.sessions).toBe(2); // gamma spent nothing
    expect(r.groups.map((g) => [g.key, g.label, g.harness, g.messages, g.computedUsd, g.reportedUsd, g.reportedMessages, g.unpricedMessages, g.unpricedModels])).toEqual([
      ['s_a', 'alpha', 'claude', 3, 0.271, 0.27, 2, 0, []],
      ['s_b', 'beta', 'pi', 3, 0.2, 0.2, 1, 2, ['local-llama']],
    ]);
    expect(r.total).toEqual({
      messages: 6,
      inputTokens: 600,
      outputTokens: 60,
      cacheReadTokens: 6000,
      cacheWriteTokens: 300,
      computedUsd: 0.471,
      reportedUsd: 0.47,
      reportedMessages: 3,
      reportedTotals: 0,
      unpricedMessages: 2,
    });
    expect(r.unpriced).toEqual([{ model: 'local-llama', harness: 'pi', provider: 'ollama', messages: 2, sessions: ['s_b'] }]);
  });

  it('groups by harness, model and UTC day', () => {
    expect(aggregateCost(inputs(), 'harness').groups.map((g) => [g.key, g.computedUsd, g.messages])).toEqual([
      ['claude', 0.271, 3],
      ['pi', 0.2, 3],
    ]);
    expect(aggregateCost(inputs(), 'model').groups.map((g) => [g.key, g.computedUsd, g.messages, g.unpricedMessages])).toEqual([
      ['claude-sonnet-4-5', 0.261, 2, 0],
      ['gpt-5', 0.2, 1, 0],
      ['claude-haiku-4-5', 0.01, 1, 0],
      ['local-llama', 0, 2, 2],
    ]);
    expect(aggregateCost(inputs(), 'day').groups.map((g) => [g.key, g.computedUsd, g.messages])).toEqual([
      ['2026-03-01', 0.1305, 1],
      ['2026-03-02', 0.3405, 5],
    ]);
  });

  it('prices records logged before metering with the current book; unpriced ones stay unpriced', () => {
    const legacy: CostInput[] = [
      {
        session: { id: 's_l', name: 'old', harness: 'claude' },
        events: [usage('s_l', '2026-01-01T00:00:00.000Z', { model: 'claude-sonnet-4-5' }), usage('s_l', '2026-01-01T00:00:01.000Z', { model: 'mystery' })],
      },
    ];
    const seen: Array<[string, string]> = [];
    const r = aggregateCost(legacy, 'model', {
      reprice: (s, u, at) => {
        seen.push([s.harness, at.toISOString()]);
        return u.model === 'mystery' ? {} : { usd: 0.5 };
      },
    });
    expect(seen).toEqual([
      ['claude', '2026-01-01T00:00:00.000Z'],
      ['claude', '2026-01-01T00:00:01.000Z'],
    ]);
    expect(r.total.computedUsd).toBe(0.5);
    expect(r.total.unpricedMessages).toBe(1);
    // Without a repricer, a record with no computed cost is unpriced, never $0.
    expect(aggregateCost(legacy, 'session').total).toMatchObject({ computedUsd: 0, unpricedMessages: 2 });
  });

  it('reads the cost events of a log (a removed session\'s archive), skipping other and torn lines', () => {
    const evs = [usage('s', '2026-01-01T00:00:00.000Z', { model: 'm' }), other('s'), usage('s', '2026-01-01T00:00:00.000Z', { model: 'n' })];
    const text = evs.map((e) => JSON.stringify(e)).join('\n') + '\n{"seq":99,"type":"usage","da';
    expect(costEventsOf(text).map((e) => (e.data as { model: string }).model)).toEqual(['m', 'n']);
  });

  it('prints a table with totals and an unpriced note', () => {
    const out = formatCostReport(aggregateCost(inputs(), 'session'), makeChalk({ isTTY: false } as NodeJS.WriteStream));
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^SESSION\s+MSGS\s+INPUT\s+OUTPUT\s+CACHE READ\s+CACHE WRITE\s+COMPUTED\s+REPORTED$/);
    expect(lines[1]).toMatch(/^alpha \(s_a, claude\)\s+3\s+300\s+30\s+3,000\s+150\s+\$0\.2710\s+\$0\.2700 \(2\/3 msgs\)$/);
    expect(lines[2]).toMatch(/^beta \(s_b, pi\)\s+3\s+.*\$0\.2000 \+unpriced\s+\$0\.2000 \(1\/3 msgs\)$/);
    expect(lines[3]).toMatch(/^total\s+6\s+600\s+60\s+6,000\s+300\s+\$0\.4710 \+unpriced\s+\$0\.4700 \(3\/6 msgs\)$/);
    expect(lines[4]).toBe('unpriced: local-llama (pi, provider ollama): 2 messages not in COMPUTED; price it in prices.yaml (omni prices local-llama)');
    expect(formatCostReport(aggregateCost([], 'session'), makeChalk({ isTTY: false } as NodeJS.WriteStream))).toBe('no usage recorded yet');
  });
});
