import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DebbyExchange, DebbyRun } from '../../src/debby/types.js';
import { answerCodexTitles, codexUserEnv, writeCodexUserConfig } from '../conformance/profiles/codex.js';
import { startFakeModel, type CapturedRequest, type FakeModel } from '../fake-model/server.js';
import { claudeEnv, makeTestEnv, pinnedCli, type TestEnv } from '../helpers/omni.js';

/**
 * Debby end to end, the way a person runs it: `omni debby --heads claude,codex --detach` starts a
 * real Claude Code and a real Codex head, `omni debby ask` and `omni debby debate` drive them.
 * Only the model is fake: it answers by the wire each head speaks (Anthropic for Claude, the
 * Responses API for Codex) and by what the prompt says, and it keeps every request, so the test
 * reads exactly what each head sent its model.
 */

const ready = pinnedCli('claude') && pinnedCli('codex');

const isClaude = (r: CapturedRequest) => r.api === 'anthropic';
const isCodex = (r: CapturedRequest) => r.api === 'openai-responses';

describe.skipIf(!ready)('debby: a Claude head and a Codex head, one question, one debate round', () => {
  let fake: FakeModel;
  let t: TestEnv;
  beforeEach(async () => {
    fake = await startFakeModel();
    t = makeTestEnv(claudeEnv(fake.url));
    Object.assign(t.env, codexUserEnv(t));
    writeCodexUserConfig(t.home, fake.url);
    answerCodexTitles(fake);
  });
  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  it("each head answers the question; in the debate each head's model gets the other head's answer; the synth head writes the synthesis", async () => {
    const asked = (r: CapturedRequest) => r.latestUserText.includes('DEBBY-Q tabs or spaces');
    const critique = (r: CapturedRequest) => r.latestUserText.includes('debate round 1 of 1');
    const synthesis = (r: CapturedRequest) => r.latestUserText.includes('Write the synthesis');
    fake.script({ name: 'claude-answer', match: (r) => isClaude(r) && asked(r) && !critique(r), turns: [{ text: 'CLAUDE-ANSWER: tabs, because widths are personal.' }] });
    fake.script({ name: 'codex-answer', match: (r) => isCodex(r) && asked(r) && !critique(r), turns: [{ text: 'CODEX-ANSWER: spaces, because diffs look the same everywhere.' }] });
    fake.script({ name: 'claude-critique', match: (r) => isClaude(r) && critique(r), turns: [{ text: 'CLAUDE-REVISED: spaces in shared code, tabs at home.' }] });
    fake.script({ name: 'codex-critique', match: (r) => isCodex(r) && critique(r), turns: [{ text: 'CODEX-REVISED: spaces, with an editorconfig.' }] });
    fake.script({ name: 'claude-synthesis', match: (r) => isClaude(r) && synthesis(r), turns: [{ text: 'SYNTHESIS: spaces and an editorconfig.' }] });

    const started = await t.omni(['debby', '--heads', 'claude,codex', '--detach']);
    expect(started.exitCode, String(started.stderr)).toBe(0);
    const id = String(started.stdout).trim();
    expect(id).toMatch(/^d_[a-z0-9]{8}$/);
    const run = await t.omniJson<DebbyRun>(['debby', 'show', id]);
    expect(run.heads.map((h) => [h.label, h.harness, h.name])).toEqual([
      ['claude', 'claude', 'debby-1-claude'],
      ['codex', 'codex', 'debby-1-codex'],
    ]);

    // One question, two answers (the heads are still starting: omni waits for them to be ready).
    const ask = await t.omni(['debby', 'ask', id, 'DEBBY-Q tabs or spaces?', '--timeout', '240', '--json'], { timeoutMs: 300_000 });
    expect(ask.exitCode, `${ask.stdout}\n${ask.stderr}`).toBe(0);
    const exchange = JSON.parse(String(ask.stdout)) as DebbyExchange;
    expect(exchange.kind).toBe('ask');
    expect(exchange.answers.map((a) => [a.head, a.text, a.error])).toEqual([
      ['claude', 'CLAUDE-ANSWER: tabs, because widths are personal.', undefined],
      ['codex', 'CODEX-ANSWER: spaces, because diffs look the same everywhere.', undefined],
    ]);

    // One debate round, then the synthesis by the first head (Claude).
    const debate = await t.omni(['debby', 'debate', id, '--rounds', '1', '--timeout', '240', '--json'], { timeoutMs: 600_000 });
    expect(debate.exitCode, `${debate.stdout}\n${debate.stderr}`).toBe(0);
    const { exchanges } = JSON.parse(String(debate.stdout)) as { exchanges: DebbyExchange[] };
    expect(exchanges.map((e) => e.kind)).toEqual(['critique', 'synthesis']);
    expect(exchanges[0]!.answers.map((a) => [a.head, a.text])).toEqual([
      ['claude', 'CLAUDE-REVISED: spaces in shared code, tabs at home.'],
      ['codex', 'CODEX-REVISED: spaces, with an editorconfig.'],
    ]);
    expect(exchanges[1]!.answers).toEqual([expect.objectContaining({ head: 'claude', text: 'SYNTHESIS: spaces and an editorconfig.' })]);

    // What each head sent its model in the round: the other head's answer, verbatim, under its label.
    const claudeRound = fake.requests.filter((r) => isClaude(r) && critique(r));
    const codexRound = fake.requests.filter((r) => isCodex(r) && critique(r));
    expect(claudeRound.length).toBeGreaterThan(0);
    expect(codexRound.length).toBeGreaterThan(0);
    for (const r of claudeRound) {
      expect(r.latestUserText).toContain('[codex]\nCODEX-ANSWER: spaces, because diffs look the same everywhere.');
      expect(r.latestUserText).not.toContain('[claude]\nCLAUDE-ANSWER');
    }
    for (const r of codexRound) {
      expect(r.latestUserText).toContain('[claude]\nCLAUDE-ANSWER: tabs, because widths are personal.');
      expect(r.latestUserText).not.toContain('[codex]\nCODEX-ANSWER');
    }
    // Only the synth head was asked for the synthesis, with both heads' revised answers.
    const synth = fake.requests.filter(synthesis);
    expect(synth.length).toBeGreaterThan(0);
    for (const r of synth) {
      expect(isClaude(r)).toBe(true);
      expect(r.latestUserText).toContain('[claude]\nCLAUDE-REVISED: spaces in shared code, tabs at home.');
      expect(r.latestUserText).toContain('[codex]\nCODEX-REVISED: spaces, with an editorconfig.');
    }

    // The run reads back whole; both heads metered their spend against the fake model.
    const after = await t.omniJson<DebbyRun>(['debby', 'show', id]);
    expect(after.exchanges.map((e) => e.kind)).toEqual(['ask', 'critique', 'synthesis']);
    expect(after.costUsd).toBeGreaterThan(0);
    const stop = await t.omni(['debby', 'stop', id]);
    expect(stop.exitCode, String(stop.stderr)).toBe(0);
  });
});
