import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { answerQwenClassifier, QWEN_FAKE_MODEL, writeQwenUserConfig } from '../conformance/profiles/qwen.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents, toolResultText } from '../helpers/events.js';
import { makeTestEnv, pinnedCli, ROOT, until, type TestEnv } from '../helpers/omni.js';

const installed = pinnedCli('qwen');

const events = async (t: TestEnv, name: string) => parseEvents((await t.omni(['events', name, '--json'])).stdout);
const ok = async (p: Promise<{ exitCode?: number; stderr: unknown }>) => {
  const r = await p;
  expect(r.exitCode, String(r.stderr)).toBe(0);
};

describe.skipIf(!installed)('Qwen Code end to end (real qwen in omni tmux, fake model, Qwen defaults)', () => {
  let fake: FakeModel;
  let t: TestEnv;
  let settingsFile: string;

  beforeEach(async () => {
    fake = await startFakeModel();
    t = makeTestEnv();
    settingsFile = writeQwenUserConfig(t.home, fake.url);
    answerQwenClassifier(fake, 'undecided');
  });

  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  it('runs a shell call omni allows, denies one with the reason reaching the model, interrupts, and resumes the conversation after stop', async () => {
    const target = path.join(t.work, 'made-by-qwen.txt');
    const denied = path.join(t.work, 'denied.txt');
    const policy = path.join(t.dir, 'policy.yaml');
    fs.writeFileSync(
      policy,
      [
        'policies:',
        '  - name: shell-rules',
        '    rules:',
        '      - when: { command: echo }',
        '        verdict: allow',
        '      - when: { command: touch }',
        '        verdict: deny',
        '        reason: QWEN-DENY-REASON touching is not allowed',
        '',
      ].join('\n'),
    );
    const settingsBefore = fs.readFileSync(settingsFile, 'utf8');
    fake.script({
      match: 'WRITE-THE-FILE',
      turns: [
        { text: 'Writing it.', toolUses: [{ name: 'run_shell_command', input: { command: `echo hello-from-qwen > ${target}`, description: 'write' } }], usage: { input_tokens: 300, cache_read_input_tokens: 200, output_tokens: 30 } },
        { text: 'I wrote the file for you.', usage: { input_tokens: 500, output_tokens: 40 } },
      ],
    });
    fake.script({ match: 'TOUCH-IT', turns: [{ toolUses: [{ name: 'run_shell_command', input: { command: `touch ${denied}` } }] }, { text: 'ok, not touching' }] });

    const session = await t.omniJson<SessionRecord>(['qwen', '--name', 'e2e', '--policy', policy]);
    expect(session.harness).toBe('qwen');
    await ok(t.omni(['wait', 'e2e', '--for', 'idle', '--timeout', '90']));

    await ok(t.omni(['send', 'e2e', 'please WRITE-THE-FILE now']));
    await ok(t.omni(['wait', 'e2e', '--for', 'idle', '--timeout', '90']));
    expect(fs.readFileSync(target, 'utf8').trim()).toBe('hello-from-qwen');
    // Auto mode asked its classifier, which could not decide: Qwen then asks its own question.
    expect(fake.requests.some((r) => /^## Pending tool call to classify[\s\S]*hello-from-qwen/.test(r.latestUserText))).toBe(true);

    let ev = await events(t, 'e2e');
    const seqs = ev.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect((ev.find((e) => e.type === 'message.user') as OmniEvent<'message.user'>).data.text).toBe('please WRITE-THE-FILE now');
    // Qwen asked its own question (PermissionRequest); omni's policy allowed, and the hook answered it.
    const call = ev.find((e) => e.type === 'tool.call') as OmniEvent<'tool.call'> | undefined;
    expect(call?.data).toMatchObject({ tool: 'run_shell_command', kind: 'shell', input: { command: `echo hello-from-qwen > ${target}` } });
    expect(call?.data.callId).toMatch(/^call_/); // the model's own id, read from Qwen's chat log
    expect(ev.filter((e) => e.type === 'tool.call')).toHaveLength(1); // decided once, not again at PreToolUse
    const result = ev.find((e) => e.type === 'tool.result') as OmniEvent<'tool.result'> | undefined;
    expect(result?.data).toMatchObject({ callId: call?.data.callId, tool: 'run_shell_command', ok: true });
    expect(toolResultText(fake, call!.data.callId)).toContain('Exit Code: 0');
    const texts = ev.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text);
    expect(texts).toEqual(['Writing it.', 'I wrote the file for you.']);
    // One usage per model response from Qwen's chat log; cached input counted apart; priced by omni.
    const usage = ev.filter((e) => e.type === 'usage') as OmniEvent<'usage'>[];
    expect(usage.map((u) => [u.data.inputTokens, u.data.cacheReadTokens, u.data.outputTokens])).toEqual([
      [300, 200, 30],
      [500, 0, 40],
    ]);
    for (const u of usage) expect(u.data).toMatchObject({ model: QWEN_FAKE_MODEL, source: 'qwen.transcript' });
    expect(usage.every((u) => (u.data.computedCostUsd ?? 0) > 0)).toBe(true);

    // A denied command: never runs, and the model reads the reason.
    await ok(t.omni(['send', 'e2e', 'now TOUCH-IT please']));
    await ok(t.omni(['wait', 'e2e', '--for', 'idle', '--timeout', '90']));
    await until(() => fake.requests.some((r) => JSON.stringify(r.body).includes('QWEN-DENY-REASON')), 15_000, 'the deny reason to reach the model');
    expect(fs.existsSync(denied)).toBe(false);

    // Interrupt a generation in flight: the request is aborted and the session idle again.
    const gate = fake.gate();
    fake.script({ match: 'LONG-ONE', turns: [{ text: 'a very long answer that never finishes', gate }] });
    await ok(t.omni(['send', 'e2e', 'LONG-ONE go']));
    await gate.reached;
    await ok(t.omni(['interrupt', 'e2e']));
    await ok(t.omni(['wait', 'e2e', '--for', 'idle', '--timeout', '60']));
    gate.release();
    expect(fake.requests.find((r) => r.latestUserText.includes('LONG-ONE'))?.status).toBe('aborted');

    // Stop and resume: Qwen's own session comes back with the conversation.
    const rec = (await t.omniJson<SessionRecord[]>(['ls'])).find((s) => s.name === 'e2e')!;
    expect(rec.harnessSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(rec.transcriptPath).toContain(path.join(t.home, '.qwen', 'projects'));
    await ok(t.omni(['stop', 'e2e']));
    fake.script({ match: 'AFTER-RESUME', turns: [{ text: 'still here' }] });
    await ok(t.omni(['resume', 'e2e', '--detach']));
    await ok(t.omni(['wait', 'e2e', '--for', 'idle', '--timeout', '90']));
    await ok(t.omni(['send', 'e2e', 'AFTER-RESUME what did you write?']));
    await ok(t.omni(['wait', 'e2e', '--for', 'idle', '--timeout', '90']));
    const after = fake.requests.find((r) => r.latestUserText.includes('AFTER-RESUME'));
    expect(JSON.stringify(after?.body)).toContain('WRITE-THE-FILE');
    ev = await events(t, 'e2e');
    expect(ev.some((e) => e.type === 'message.assistant' && (e.data as { text: string }).text === 'still here')).toBe(true);

    // omni wrote nothing into the user's Qwen settings (Qwen itself notes the auto mode notice there).
    const settingsAfter = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
    expect(settingsAfter).toMatchObject(JSON.parse(settingsBefore));
    expect(JSON.stringify(settingsAfter)).not.toMatch(/hooks|omni/);
  });

  it('holds a shell call on an ask until `omni approve`, then runs it', async () => {
    const file = path.join(t.work, 'held.txt');
    fake.script({ match: 'ASK-FIRST', turns: [{ toolUses: [{ name: 'run_shell_command', input: { command: `touch ${file}` } }] }, { text: 'done after approval' }] });
    await t.omniJson<SessionRecord>(['qwen', '--name', 'ask', '--detach', '--policy', 'ask_on_shell']);
    await ok(t.omni(['wait', 'ask', '--for', 'idle', '--timeout', '90']));
    await ok(t.omni(['send', 'ask', 'ASK-FIRST go']));
    const ask = await until(async () => (await t.omniJson<Approval[]>(['approvals'])).find((a) => a.sessionName === 'ask'), 90_000, 'the ask');
    await new Promise((r) => setTimeout(r, 2000));
    expect(fs.existsSync(file)).toBe(false);
    await ok(t.omni(['approve', ask.id]));
    await until(() => fs.existsSync(file), 30_000, 'the approved command');
    await ok(t.omni(['wait', 'ask', '--for', 'idle', '--timeout', '60']));
    const ev = await events(t, 'ask');
    expect(ev.some((e) => e.type === 'message.assistant' && (e.data as { text: string }).text === 'done after approval')).toBe(true);
  });

  it('omni run <spec> --harness qwen starts the agent on Qwen Code', async () => {
    fake.script({ match: "Run the project's test suite", turns: [{ text: 'fixed on qwen' }] });
    const s = await t.omniJson<SessionRecord>(['run', path.join(ROOT, 'agents', 'fixer.yaml'), '--harness', 'qwen', '--name', 'fx']);
    expect(s.harness).toBe('qwen');
    expect(s.agent?.name).toBe('fixer');
    await until(async () => String((await t.omni(['events', 'fx', '--json'])).stdout).includes('fixed on qwen'), 120_000, 'the reply');
  });

  it("omni's MCP tools (omni run, spawn: true): the model's omni_agents call runs without a dialog and its result reaches the model", async () => {
    const script = fake.script({ match: 'LIST-THE-AGENTS', turns: [{ toolUses: [{ mcp: 'omni_agents', input: {} }] }, { text: 'I can start two agents.' }] });
    const file = path.join(t.work, 'lead.yaml');
    fs.writeFileSync(file, ['name: lead-qwen', 'prompt: LIST-THE-AGENTS please', 'executor:', '  harness: qwen', 'spawn: true', 'agents:', '  zebra-coder:', '    description: writes code', '    executor: { harness: pi }', '    worktree: false', ''].join('\n'));
    const session = await t.omniJson<SessionRecord>(['run', file]);
    expect(session.spawn).toBe(true);
    // Qwen keeps MCP tools deferred: the model finds them with `tool_search` and calls them
    // through `tool_call {name, arguments}`; its hooks name the tool itself.
    const followup = await fake.waitForRequest((r) => r.script === script && r.servedBy === 'followup' && r.answer?.text === 'I can start two agents.', 150_000);
    const served = script.served.flatMap((r) => r.answer?.toolUses ?? []);
    expect(served.map((u) => u.name)).toEqual(['tool_search', 'tool_call']);
    expect(served[1]!.input).toEqual({ name: 'mcp__omni__omni_agents', arguments: {} });
    expect(JSON.stringify(followup.body?.messages?.at(-1))).toContain('zebra-coder');
    await ok(t.omni(['wait', session.id, '--for', 'idle', '--timeout', '60']));
    const ev = await events(t, session.id);
    const calls = ev.filter((e) => e.type === 'tool.call') as OmniEvent<'tool.call'>[];
    expect(calls.map((c) => [c.data.tool, c.data.kind])).toEqual([
      ['tool_search', 'other'],
      ['mcp__omni__omni_agents', 'mcp'],
    ]);
    expect(ev.filter((e) => e.type === 'session.status' && (e as OmniEvent<'session.status'>).data.status === 'waiting')).toEqual([]);
  });
});
