import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents, toolResultText } from '../helpers/events.js';
import { claudeEnv, makeTestEnv, until, type TestEnv } from '../helpers/omni.js';

// Claude Sonnet 4.5 in the bundled price book (see cost.test.ts): input $3, output $15, cache
// read $0.30, cache write $3.75 per million tokens. Every answer spends 2,000 input + 40,000
// cache-read + 10,000 cache-write tokens = $0.0555, plus its output tokens at $15 per million.
const MODEL = 'claude-sonnet-4-5-20250929';
const BASE = { input_tokens: 2_000, cache_read_input_tokens: 40_000, cache_creation_input_tokens: 10_000 };
/** An answer's usage costing $0.0555 + output × $0.000015. */
const costing = (outputTokens: number) => ({ ...BASE, output_tokens: outputTokens });
const USD_15K = 0.2805; // 0.0555 + 15,000 × 0.000015
const USD_20K = 0.3555; // 0.0555 + 20,000 × 0.000015

describe('cost budgets end to end (real claude, fake model with fixed token counts)', () => {
  let fake: FakeModel;
  let t: TestEnv;

  beforeEach(async () => {
    fake = await startFakeModel();
    fake.defaultUsage = costing(5_000);
    t = makeTestEnv(claudeEnv(fake.url));
  });
  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  const CLAUDE_ARGS = ['--model', MODEL, '--', '--permission-mode', 'default', '--allowedTools', 'Bash'];
  const events = async (name: string) => parseEvents((await t.omni(['events', name, '--json'])).stdout);
  const decisions = async (name: string) => (await events(name)).filter((e) => e.type === 'policy.decision') as OmniEvent<'policy.decision'>[];
  const spent = async (name: string) => (await t.omniJson<SessionRecord[]>(['ls', '--all'])).find((s) => s.name === name)?.cost?.computedUsd ?? 0;
  const start = async (name: string, policyArgs: string[]) => {
    const s = await t.omniJson<SessionRecord>(['claude', '--name', name, ...policyArgs, ...CLAUDE_ARGS]);
    expect((await t.omni(['wait', name, '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    return s;
  };
  const sentToModel = (token: string) => fake.turns().filter((r) => r.latestUserText.includes(token));

  it('a session is held at the checkpoint, resumes after omni approve, and is stopped at the hard limit', async () => {
    const f1 = path.join(t.work, 'f1.txt');
    const f2 = path.join(t.work, 'f2.txt');
    fake.script({ match: 'SPEND-ONE', turns: [{ text: 'Spent some.', usage: costing(15_000) }] });
    fake.script({ match: 'PAST-CHECKPOINT', turns: [{ text: 'Resumed after the checkpoint.' }] });
    const gate = fake.gate();
    fake.script({
      match: 'SPEND-MORE',
      turns: [
        { toolUses: [{ id: 'toolu_f1', name: 'Bash', input: { command: `touch ${f1}` } }], usage: costing(20_000) },
        { text: 'Still going.', toolUses: [{ id: 'toolu_f2', name: 'Bash', input: { command: `touch ${f2}` } }], gate },
        { text: 'Finished.' },
      ],
    });
    // Without the projection (the next test): here a message is let through and crosses the limit.
    await start('b1', ['--policy', 'cost_budget:{"ask_every_usd": 0.25, "hard_limit_usd": 0.6, "project_next": false}']);

    // $0.2805: past the $0.25 checkpoint. Nothing is held at usage; the next gate asks.
    expect((await t.omni(['send', 'b1', 'SPEND-ONE'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'b1', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    await until(async () => (await spent('b1')) >= USD_15K, 20_000, 'the first spend to be metered');
    expect(await spent('b1')).toBe(USD_15K);

    // The next prompt is held: omni approvals shows the ask, the model never sees the prompt.
    expect((await t.omni(['send', 'b1', 'PAST-CHECKPOINT please'])).exitCode).toBe(0);
    const ask = await until(async () => (await t.omniJson<Approval[]>(['approvals'])).find((a) => a.sessionName === 'b1'), 30_000, 'the checkpoint ask');
    expect(ask).toMatchObject({ phase: 'prompt', policies: ['cost_budget'] });
    expect(ask.reason).toBe('cost_budget: cost budget: $0.2805 spent in this session, past the $0.25 checkpoint (one every $0.25); hard limit $0.60');
    expect(String((await t.omni(['approvals'])).stdout)).toMatch(new RegExp(`${ask.id}\\s+b1\\s+cost_budget\\s+PAST-CHECKPOINT please`));
    expect((await t.omniJson<SessionRecord>(['wait', 'b1', '--for', 'waiting', '--timeout', '10'])).statusReason).toContain(ask.id);
    await new Promise((r) => setTimeout(r, 1500));
    expect(sentToModel('PAST-CHECKPOINT')).toEqual([]);

    // Approved: the prompt goes through; the same checkpoint is not asked again.
    const ok = await t.omni(['approve', ask.id]);
    expect(ok.exitCode, String(ok.stderr)).toBe(0);
    expect((await t.omni(['wait', 'b1', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    expect(sentToModel('PAST-CHECKPOINT')).toHaveLength(1);
    const afterCheckpoint = await spent('b1');
    expect(afterCheckpoint).toBeLessThan(0.6 - USD_20K + 0.2); // still under the hard limit before the last turn

    // A tool call whose message costs $0.3555 crosses the $0.60 hard limit once it is metered
    // (after the call ran): the turn in flight is interrupted, and its next tool call never runs.
    expect((await t.omni(['send', 'b1', 'SPEND-MORE'])).exitCode).toBe(0);
    const stop = await until(async () => (await decisions('b1')).find((d) => d.data.phase === 'usage' && d.data.verdict === 'deny'), 60_000, 'the hard limit at usage');
    expect(stop.data).toMatchObject({ policy: 'cost_budget', reason: expect.stringMatching(/^cost budget: \$0\.\d+ spent in this session reached the hard limit of \$0\.60; interrupting the session$/) });
    expect(fs.existsSync(f1)).toBe(true);
    const idle = await t.omniJson<SessionRecord>(['wait', 'b1', '--for', 'idle', '--timeout', '30']);
    expect(idle.statusReason).toBe('interrupted');
    expect((await t.omniJson<Approval[]>(['approvals'])).filter((a) => a.sessionName === 'b1')).toEqual([]);
    // The generation in flight was cut off: Claude aborted its request to the model. (Claude
    // sends that request as the tool's PostToolUse hook returns, racing the interrupt, so in
    // principle it may not have started yet; in practice it has. The next test holds one open.)
    const inFlight = fake.turns().filter((r) => r.script?.name && r.answer?.text === 'Still going.');
    gate.release();
    await new Promise((r) => setTimeout(r, 1500));
    for (const r of inFlight) expect(r.status).toBe('aborted');
    expect(fs.existsSync(f2)).toBe(false);
    expect((await events('b1')).some((e) => e.type === 'tool.call' && (e.data as { callId: string }).callId === 'toolu_f2')).toBe(false);

    // Past the hard limit, a new prompt is denied with the reason; the model never sees it.
    expect((await t.omni(['send', 'b1', 'AFTER-HARD'])).exitCode).toBe(9); // blocked by policy: it never ran
    const denied = await until(async () => (await decisions('b1')).find((d) => d.data.phase === 'prompt' && d.data.verdict === 'deny'), 30_000, 'the prompt to be denied');
    expect(denied.data.reason).toMatch(/^cost budget: \$0\.\d+ spent in this session reached the hard limit of \$0\.60$/);
    await new Promise((r) => setTimeout(r, 1000));
    expect(sentToModel('AFTER-HARD')).toEqual([]);
    const ev = await events('b1');
    expect(ev.filter((e) => e.type === 'approval.resolved').map((e) => (e.data as { id: string; verdict: string }).verdict)).toEqual(['approve']);
  });

  it('the prompt whose answer would pass the hard limit is denied before the model sees it', async () => {
    fake.script({ match: 'SPEND-ONE', turns: [{ text: 'Spent some.', usage: costing(15_000) }] });
    fake.script({ match: 'CHEAP', turns: [{ text: 'Cheap.', usage: costing(0) }] });
    await start('p1', ['--policy', 'cost_budget:{"hard_limit_usd": 0.6}']);
    // Nothing metered yet: nothing to project from, the prompt goes.
    expect((await t.omni(['send', 'p1', 'SPEND-ONE'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'p1', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    await until(async () => (await spent('p1')) >= USD_15K, 20_000, 'the first spend to be metered');
    // $0.2805 + ~$0.2805 = $0.561: under $0.60, it goes; it costs $0.0555.
    expect((await t.omni(['send', 'p1', 'CHEAP'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'p1', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    await until(async () => (await spent('p1')) >= USD_15K + 0.0555 - 1e-9, 20_000, 'the second spend to be metered');
    // $0.336 + ~$0.2805 (the costlier of the last two) would pass $0.60: denied, never sent.
    expect((await t.omni(['send', 'p1', 'WOULD-CROSS'])).exitCode).toBe(9);
    const denied = await until(async () => (await decisions('p1')).find((d) => d.data.phase === 'prompt' && d.data.verdict === 'deny'), 30_000, 'the prompt to be denied');
    expect(denied.data).toMatchObject({
      policy: 'cost_budget',
      reason: 'cost budget: $0.336 spent in this session + ~$0.2805 for the next model message (as much as the costliest of the last 2) would pass the hard limit of $0.60',
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(sentToModel('WOULD-CROSS')).toEqual([]);
    expect(await spent('p1')).toBeLessThan(0.6);
  });

  it("a sandboxed session's model request that would pass the hard limit is refused at the egress proxy", async () => {
    // sx's tool call is let through (nothing near the limit); while it runs, sy (no budget)
    // spends $0.4305, so the day is at ~$0.486: under the $0.50 limit (no usage deny), but
    // with sx's next message (~$0.0555, as its last) it would pass it. No gate lies between
    // the tool's end and that model request: the proxy refuses the request itself.
    fake.script({ match: 'SLOW-TOOL', turns: [{ toolUses: [{ id: 'toolu_slow', name: 'Bash', input: { command: 'sleep 20; echo SLEPT', timeout: 120000 } }], usage: costing(0) }, { text: 'After the sleep.' }] });
    fake.script({ match: 'SPEND-B', turns: [{ text: 'Spent a lot.', usage: costing(25_000) }] });
    await t.omniJson<SessionRecord>(['claude', '--sandbox', '--name', 'sx', '--policy', 'cost_budget:{"hard_limit_usd": 0.5, "scope": "day"}', ...CLAUDE_ARGS]);
    expect((await t.omni(['wait', 'sx', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    await start('sy', []);

    expect((await t.omni(['send', 'sx', 'SLOW-TOOL'])).exitCode).toBe(0);
    await until(async () => (await events('sx')).some((e) => e.type === 'tool.call' && (e.data as { callId: string }).callId === 'toolu_slow'), 60_000, "sx's tool call");
    expect((await t.omni(['send', 'sy', 'SPEND-B'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'sy', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    await until(async () => (await spent('sy')) > 0.43, 20_000, "sy's spend to be metered");

    const refused = await until(async () => (await decisions('sx')).find((d) => d.data.phase === 'egress' && d.data.verdict === 'deny'), 90_000, 'the model request to be refused');
    expect(refused.data).toMatchObject({ policy: 'cost_budget' });
    expect(refused.data.reason).toMatch(/^cost budget: \$0\.\d+ spent today \(\d{4}-\d\d-\d\d, all sessions\) \+ ~\$0\.0555 for the next model message \(as much as the last one\) would pass the hard limit of \$0\.50$/);
    // The tool ran; its result never reached the model; nothing crossed the limit.
    expect(toolResultText(fake, 'toolu_slow')).toBeUndefined();
    expect((await decisions('sx')).filter((d) => d.data.phase !== 'egress' && d.data.verdict === 'deny')).toEqual([]);
    expect((await spent('sx')) + (await spent('sy'))).toBeLessThan(0.5);
  });

  it('a day budget interrupts another session generating when a session without a budget spends past it', async () => {
    const fa = path.join(t.work, 'fa.txt');
    const gate = fake.gate();
    fake.script({ match: 'HOLD-A', turns: [{ text: 'Thinking about it.', toolUses: [{ id: 'toolu_fa', name: 'Bash', input: { command: `touch ${fa}` } }], gate }, { text: 'Done.' }] });
    fake.script({ match: 'SPEND-B', turns: [{ text: 'Spent a lot.', usage: costing(20_000) }] });
    await start('da', ['--policy', 'cost_budget:{"hard_limit_usd": 0.3, "scope": "day"}']);
    await start('db', []);

    expect((await t.omni(['send', 'da', 'HOLD-A'])).exitCode).toBe(0);
    await gate.reached; // da's model answer is being streamed, held open
    const held = fake.turns().find((r) => r.latestUserText.includes('HOLD-A'))!;
    expect(held.status).toBe('pending');

    expect((await t.omni(['send', 'db', 'SPEND-B'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'db', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
    const stop = await until(async () => (await decisions('da')).find((d) => d.data.phase === 'usage' && d.data.verdict === 'deny'), 30_000, "da's hard limit");
    expect(stop.data.reason).toMatch(new RegExp(`^cost budget: \\$${USD_20K} spent today \\(\\d{4}-\\d\\d-\\d\\d, all sessions\\) reached the hard limit of \\$0\\.30; interrupting the session$`));
    await until(() => held.status === 'aborted', 15_000, "da's generation to be cut off");
    expect((await t.omniJson<SessionRecord>(['wait', 'da', '--for', 'idle', '--timeout', '30'])).statusReason).toBe('interrupted');
    gate.release();
    await new Promise((r) => setTimeout(r, 1000));
    expect(fs.existsSync(fa)).toBe(false);

    const ledger = JSON.parse(fs.readFileSync(path.join(t.omniHome, 'state', 'cost-ledger.json'), 'utf8')) as Record<string, { usd: number }>;
    expect(Object.values(ledger).map((d) => d.usd)).toEqual([USD_20K]);
    // da's next prompt is denied; db has no budget and goes on.
    expect((await t.omni(['send', 'da', 'AFTER-DAY'])).exitCode).toBe(9);
    await until(async () => (await decisions('da')).find((d) => d.data.phase === 'prompt' && d.data.verdict === 'deny'), 30_000, "da's prompt to be denied");
    expect(sentToModel('AFTER-DAY')).toEqual([]);
    expect((await t.omni(['send', 'db', 'STILL-FREE'])).exitCode).toBe(0);
    await until(() => sentToModel('STILL-FREE').length > 0, 30_000, "db's prompt to reach the model");
  });
});
