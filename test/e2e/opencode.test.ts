import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { OPENCODE_OFFLINE_ENV, writeOpenCodeUserConfig } from '../conformance/profiles/opencode.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents } from '../helpers/events.js';
import { makeTestEnv, pinnedCli, ROOT, until, type TestEnv } from '../helpers/omni.js';

const installed = pinnedCli('opencode');

/**
 * The real OpenCode (1.18.33) in omni's tmux, configured as its users configure it: a provider in
 * ~/.config/opencode/opencode.json (the test's HOME) pointing at the fake. No permission flags,
 * no pre-approved tools: omni's plugin is the only thing added.
 */
describe.skipIf(!installed)('OpenCode end to end (real opencode in omni tmux, fake model)', () => {
  let fake: FakeModel;
  let t: TestEnv;

  beforeEach(async () => {
    fake = await startFakeModel();
    t = makeTestEnv({ ...OPENCODE_OFFLINE_ENV });
    writeOpenCodeUserConfig(t.home, fake.url);
  });

  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  const events = async (name: string) => parseEvents((await t.omni(['events', name, '--json'])).stdout);
  const idle = async (name: string) => {
    const r = await t.omni(['wait', name, '--for', 'idle', '--timeout', '120']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
  };
  const send = async (name: string, text: string) => {
    const r = await t.omni(['send', name, text]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
  };

  it('runs a bash call from a sent prompt: tool.call, tool.result, the reply, and usage priced from the price book', async () => {
    const target = path.join(t.work, 'made-by-opencode.txt');
    fake.script({ match: 'WRITE-THE-FILE', turns: [{ text: 'Writing it.', toolUses: [{ name: 'bash', input: { command: `echo hello-from-opencode > ${target}`, description: 'write' } }] }, { text: 'I wrote the file for you.' }] });
    const s = await t.omniJson<SessionRecord>(['opencode', '--name', 'e2e']);
    expect(s.harness).toBe('opencode');
    await idle('e2e');
    await send('e2e', 'please WRITE-THE-FILE now');
    await idle('e2e');
    expect(fs.readFileSync(target, 'utf8').trim()).toBe('hello-from-opencode');

    const ev = await events('e2e');
    expect(ev.find((e) => e.type === 'message.user')?.data).toMatchObject({ text: 'please WRITE-THE-FILE now' });
    const call = ev.find((e) => e.type === 'tool.call') as OmniEvent<'tool.call'> | undefined;
    expect(call?.data).toMatchObject({ tool: 'bash', kind: 'shell', input: { command: `echo hello-from-opencode > ${target}` } });
    const result = ev.find((e) => e.type === 'tool.result') as OmniEvent<'tool.result'> | undefined;
    expect(result?.data).toMatchObject({ callId: call?.data.callId, tool: 'bash', ok: true });
    const texts = ev.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text);
    expect(texts).toEqual(['Writing it.', 'I wrote the file for you.']);
    // Two model steps, 100 in / 20 out each; gpt-4.1 at $2/M in and $8/M out: $0.00036 each.
    const usage = ev.filter((e) => e.type === 'usage') as OmniEvent<'usage'>[];
    expect(usage).toHaveLength(2);
    for (const u of usage) {
      expect(u.data).toMatchObject({ model: 'gpt-4.1', inputTokens: 100, outputTokens: 20, source: 'opencode.plugin' });
      expect(u.data.computedCostUsd ?? 0).toBeGreaterThan(0);
    }
    const rec = (await t.omniJson<SessionRecord[]>(['ls'])).find((x) => x.name === 'e2e')!;
    expect(rec.harnessSessionId).toMatch(/^ses_/);
  });

  it('a denied call never runs and the model reads the reason; an ask holds the call until omni approve', async () => {
    const denied = path.join(t.work, 'denied.txt');
    const policy = path.join(t.dir, 'deny.yaml');
    fs.writeFileSync(policy, 'policies:\n  - name: no-touch\n    rules:\n      - when: { command: touch }\n        verdict: deny\n        reason: OC-DENY-REASON touching is not allowed\n');
    fake.script({ match: 'OC-DENY', turns: [{ toolUses: [{ name: 'bash', input: { command: `touch ${denied}`, description: 'touch' } }] }, { text: 'ok, not touching' }] });
    await t.omniJson<SessionRecord>(['opencode', '--name', 'deny', '--policy', policy]);
    await idle('deny');
    await send('deny', 'OC-DENY go');
    await idle('deny');
    await until(() => fake.requests.some((r) => JSON.stringify(r.body).includes('OC-DENY-REASON')), 30_000, 'the reason to reach the model');
    expect(fs.existsSync(denied)).toBe(false);

    const held = path.join(t.work, 'held.txt');
    fake.script({ match: 'OC-ASK', turns: [{ toolUses: [{ name: 'bash', input: { command: `touch ${held}`, description: 'touch' } }] }, { text: 'done after approval' }] });
    await t.omniJson<SessionRecord>(['opencode', '--name', 'ask', '--policy', 'ask_on_shell']);
    await idle('ask');
    await send('ask', 'OC-ASK go');
    const ask = await until(async () => (await t.omniJson<Approval[]>(['approvals'])).find((a) => a.sessionName === 'ask'), 90_000, 'the ask');
    await new Promise((r) => setTimeout(r, 3000));
    expect(fs.existsSync(held)).toBe(false);
    expect((await t.omni(['approve', ask.id])).exitCode).toBe(0);
    await until(() => fs.existsSync(held), 60_000, 'the approved command');
    await idle('ask');
  });

  // interrupt: not supported yet (docs/harnesses/opencode.md, "Interrupt and resume").
  it('stop then resume keeps the conversation', async () => {
    fake.script({ match: 'OC-FIRST', turns: [{ text: 'first reply' }] });
    fake.script({ match: 'OC-SECOND', turns: [{ text: 'second reply' }] });
    await t.omniJson<SessionRecord>(['opencode', '--name', 'ir']);
    await idle('ir');
    await send('ir', 'OC-FIRST remember the word PAPAYA');
    await idle('ir');
    expect((await t.omni(['stop', 'ir'])).exitCode).toBe(0);
    const resumed = await t.omni(['resume', 'ir', '--detach']);
    expect(resumed.exitCode, String(resumed.stderr)).toBe(0);
    await idle('ir');
    await send('ir', 'OC-SECOND what was the word?');
    await idle('ir');
    const second = fake.requests.find((r) => r.latestUserText.includes('OC-SECOND'));
    expect(JSON.stringify(second?.body)).toContain('PAPAYA');
    const ev = await events('ir');
    expect(ev.some((e) => e.type === 'session.resumed')).toBe(true);
    // Two OpenCode starts: past vitest's 180 s on the loaded 2-core machine.
  }, 420_000);

  it('omni run <spec> --harness opencode runs the agent spec', async () => {
    fake.script({ match: "Run the project's test suite", turns: [{ text: 'fixed on opencode' }] });
    const s = await t.omniJson<SessionRecord>(['run', path.join(ROOT, 'agents', 'fixer.yaml'), '--harness', 'opencode', '--name', 'fx']);
    expect(s.harness).toBe('opencode');
    await until(() => fake.requests.some((r) => r.latestUserText.includes("Run the project's test suite")), 120_000, "the spec's prompt to reach the model");
    await until(async () => String((await t.omni(['events', 'fx', '--json'])).stdout).includes('fixed on opencode'), 60_000, 'the reply');
  });
});
