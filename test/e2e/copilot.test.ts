import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { COPILOT_FAKE_MODEL, copilotUserEnv } from '../conformance/profiles/copilot.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents, toolResultText } from '../helpers/events.js';
import { ROOT, makeTestEnv, until, pinnedCli, type TestEnv } from '../helpers/omni.js';

const installed = pinnedCli('copilot');

/**
 * GitHub Copilot CLI launched the way a user launches it (`omni copilot`), with their own model
 * provider in the environment (COPILOT_PROVIDER_*), against the fake's Chat Completions API. No
 * permission flags: Copilot asks before a command as it would without omni unless an omni policy
 * allows it, which answers for Copilot. The tests that run commands start with such a policy.
 */
describe.skipIf(!installed)('Copilot CLI end to end (real copilot in omni tmux, fake model)', () => {
  let fake: FakeModel;
  let t: TestEnv;
  const events = async (name: string) => parseEvents((await t.omni(['events', name, '--json'])).stdout);
  const idle = async (name: string, timeout = 90) => {
    const r = await t.omni(['wait', name, '--for', 'idle', '--timeout', String(timeout)]);
    expect(r.exitCode, `${r.stderr}`).toBe(0);
  };
  /** Without a --policy of the test's own: an omni policy allowing shell calls. */
  const start = async (name: string, extra: string[] = []) => {
    const allow = path.join(t.dir, 'allow-shell.yaml');
    fs.writeFileSync(allow, 'policies:\n  - name: shell-ok\n    rules:\n      - when: { kind: shell }\n        verdict: allow\n');
    const policy = extra.includes('--policy') ? [] : ['--policy', allow];
    const s = await t.omniJson<SessionRecord>(['copilot', '--name', name, '--detach', ...policy, ...extra]);
    await idle(name);
    return s;
  };

  beforeEach(async () => {
    fake = await startFakeModel();
    t = makeTestEnv();
    Object.assign(t.env, copilotUserEnv(fake));
  });

  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  it('runs a bash call from a sent prompt: tool.call, tool.result, the reply, and usage priced from the tokens', async () => {
    const target = path.join(t.work, 'made-by-copilot.txt');
    fake.script({
      match: 'WRITE-THE-FILE',
      turns: [{ toolUses: [{ name: 'bash', input: { command: `echo hello-from-copilot > ${target}`, description: 'write the file' } }] }, { text: 'I wrote the file for you.' }],
    });
    const s = await start('e2e');
    expect(s.harness).toBe('copilot');
    expect(s.command).toContain('--plugin-dir');

    expect((await t.omni(['send', 'e2e', 'please WRITE-THE-FILE now'])).exitCode).toBe(0);
    await idle('e2e');
    expect(fs.readFileSync(target, 'utf8').trim()).toBe('hello-from-copilot');

    const ev = await events('e2e');
    expect((ev.find((e) => e.type === 'message.user') as OmniEvent<'message.user'>).data.text).toBe('please WRITE-THE-FILE now');
    const call = ev.find((e) => e.type === 'tool.call') as OmniEvent<'tool.call'>;
    expect(call.data).toMatchObject({ tool: 'bash', kind: 'shell', input: { command: `echo hello-from-copilot > ${target}` } });
    // The model's own call id (from events.jsonl): the tool's output went back under it.
    expect(call.data.callId).toMatch(/^call_/);
    expect(toolResultText(fake, call.data.callId)).toContain('exit code 0');
    const result = ev.find((e) => e.type === 'tool.result') as OmniEvent<'tool.result'>;
    expect(result.data).toMatchObject({ callId: call.data.callId, tool: 'bash', ok: true });
    expect(ev.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text)).toEqual(['I wrote the file for you.']);

    // One usage per model call (100 in / 20 out, the fake's default), priced by omni: gpt-4.1 is
    // $2/M in, $8/M out → $0.00036 each. Copilot reports no dollars for a custom provider.
    const usage = ev.filter((e) => e.type === 'usage') as OmniEvent<'usage'>[];
    expect(usage).toHaveLength(2);
    for (const u of usage) {
      expect(u.data).toMatchObject({ model: COPILOT_FAKE_MODEL, inputTokens: 100, outputTokens: 20, source: 'copilot.events' });
      expect(u.data.reportedCostUsd).toBeUndefined();
      expect(u.data.computedCostUsd).toBeGreaterThan(0);
    }

    // Copilot's own session was captured for resume, in the user's Copilot home.
    const rec = (await t.omniJson<SessionRecord[]>(['ls'])).find((x) => x.name === 'e2e')!;
    expect(rec.harnessSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(rec.transcriptPath).toBe(path.join(t.home, '.copilot', 'session-state', rec.harnessSessionId!, 'events.jsonl'));

    // Nothing of omni's in the user's repo or hooks; only the folder trust in config.json.
    expect(fs.existsSync(path.join(t.work, '.github'))).toBe(false);
    expect(fs.existsSync(path.join(t.home, '.copilot', 'hooks'))).toBe(false);
    const cfg = fs.readFileSync(path.join(t.home, '.copilot', 'config.json'), 'utf8');
    expect(cfg).toContain(t.work);
    expect(cfg).not.toMatch(/omni/);
  });

  it('with no opinion from omni, Copilot asks its own question (the session is waiting) and a person answers it in the pane', async () => {
    const target = path.join(t.work, 'asked-by-copilot.txt');
    fake.script({ match: 'ASK-COPILOT', turns: [{ toolUses: [{ name: 'bash', input: { command: `echo asked > ${target}`, description: 'write' } }] }, { text: 'written after you said yes' }] });
    const s = await t.omniJson<SessionRecord>(['copilot', '--name', 'own', '--detach']);
    await idle('own');
    expect((await t.omni(['send', 'own', 'ASK-COPILOT now'])).exitCode).toBe(0);
    const waiting = await t.omni(['wait', 'own', '--for', 'waiting', '--timeout', '60']);
    expect(waiting.exitCode, `${waiting.stderr}`).toBe(0);
    await until(async () => /Do you want to run this command/i.test(String((await t.tmux(['capture-pane', '-p', '-t', s.id])).stdout)), 15_000, "Copilot's question on the pane");
    expect(fs.existsSync(target)).toBe(false);
    // The person at the pane picks the highlighted answer ("Yes").
    await t.tmux(['send-keys', '-t', s.id, 'Enter']);
    await idle('own');
    expect(fs.readFileSync(target, 'utf8').trim()).toBe('asked');
    expect(await t.omniJson<Approval[]>(['approvals'])).toEqual([]);
  });

  it('a deny stops the command and its reason reaches the model', async () => {
    const file = path.join(t.work, 'denied.txt');
    const policy = path.join(t.dir, 'deny.yaml');
    fs.writeFileSync(policy, 'policies:\n  - name: no-touch\n    rules:\n      - when: { command: touch }\n        verdict: deny\n        reason: COPILOT-DENY-REASON touching is not allowed\n');
    fake.script({ match: 'TOUCH-IT', turns: [{ toolUses: [{ name: 'bash', input: { command: `touch ${file}`, description: 'touch' } }] }, { text: 'ok, not touching' }] });
    await start('deny', ['--policy', policy]);
    expect((await t.omni(['send', 'deny', 'TOUCH-IT go'])).exitCode).toBe(0);
    await idle('deny');
    expect(fs.existsSync(file)).toBe(false);
    const call = (await events('deny')).find((e) => e.type === 'tool.call') as OmniEvent<'tool.call'>;
    expect(toolResultText(fake, call.data.callId)).toContain('COPILOT-DENY-REASON');
  });

  it('an ask holds the command past the default 30 s hook timeout until omni approve', async () => {
    const file = path.join(t.work, 'held.txt');
    fake.script({ match: 'HOLD-IT', turns: [{ toolUses: [{ name: 'bash', input: { command: `touch ${file}`, description: 'touch' } }] }, { text: 'done after approval' }] });
    await start('ask', ['--policy', 'ask_on_shell']);
    expect((await t.omni(['send', 'ask', 'HOLD-IT go'])).exitCode).toBe(0);
    const ask = await until(async () => (await t.omniJson<Approval[]>(['approvals'])).find((a) => a.sessionName === 'ask'), 60_000, 'the ask');
    await new Promise((r) => setTimeout(r, 35_000));
    expect(fs.existsSync(file)).toBe(false);
    // Copilot did not fall back to its own prompt either.
    const pane = String((await t.tmux(['capture-pane', '-p', '-t', ask.session])).stdout);
    expect(pane).not.toMatch(/Do you want to run this command\?/);
    expect((await t.omni(['approve', ask.id])).exitCode).toBe(0);
    await until(() => fs.existsSync(file), 30_000, 'the approved command');
    await idle('ask');
    expect((await events('ask')).some((e) => e.type === 'message.assistant' && (e.data as { text: string }).text === 'done after approval')).toBe(true);
  }, 240_000);

  it('interrupt stops a generation in flight; stop and resume keep the conversation', async () => {
    const gate = fake.gate();
    fake.script({ match: 'LONG-ONE', turns: [{ text: 'a very long answer that never finishes', gate }] });
    fake.script({ match: 'FIRST-WORD', turns: [{ text: 'noted' }] });
    fake.script({ match: 'SECOND-WORD', turns: [{ text: 'it was PAPAYA' }] });
    await start('res');
    expect((await t.omni(['send', 'res', 'LONG-ONE'])).exitCode).toBe(0);
    await gate.reached;
    expect((await t.omni(['interrupt', 'res'])).exitCode).toBe(0);
    await idle('res', 30);
    gate.release();
    expect(fake.requests.find((r) => r.latestUserText.includes('LONG-ONE'))?.status).toBe('aborted');

    expect((await t.omni(['send', 'res', 'FIRST-WORD remember the word PAPAYA'])).exitCode).toBe(0);
    await idle('res');
    expect((await t.omni(['stop', 'res'])).exitCode).toBe(0);
    expect((await t.omni(['resume', 'res', '--detach'])).exitCode).toBe(0);
    await idle('res');
    expect((await t.omni(['send', 'res', 'SECOND-WORD what was the word?'])).exitCode).toBe(0);
    await idle('res');
    const second = fake.requests.find((r) => r.latestUserText.includes('SECOND-WORD'));
    expect(JSON.stringify(second?.body)).toContain('PAPAYA');
    const rec = (await t.omniJson<SessionRecord[]>(['ls'])).find((x) => x.name === 'res')!;
    expect(rec.command).toContain('--resume');
  }, 300_000);

  it("omni's MCP tools (spawn: true): the model's omni_agents call runs and its result reaches the model", async () => {
    const script = fake.script({ match: 'LIST-THE-AGENTS', turns: [{ toolUses: [{ mcp: 'omni_agents', input: {} }] }, { text: 'I can start one agent.' }] });
    const file = path.join(t.work, 'lead.yaml');
    fs.writeFileSync(file, ['name: lead', 'prompt: LIST-THE-AGENTS please', 'executor:', '  harness: copilot', 'spawn: true', 'agents:', '  zebra-coder:', '    executor: { harness: pi }', '    worktree: false', ''].join('\n'));
    const session = await t.omniJson<SessionRecord>(['run', file]);
    expect(session.spawn).toBe(true);
    // Copilot asks before an MCP tool even after preToolUse allowed it; omni's permissionRequest hook answers.
    const followup = await fake.waitForRequest((r) => r.script === script && r.servedBy === 'followup', 120_000);
    const first = script.served[0]!;
    const offered = first.toolNames.filter((n) => n.endsWith('omni_agents'));
    expect(offered, `tools offered: ${first.toolNames.join(', ')}`).toHaveLength(1);
    const callId = first.answer!.toolUses[0]!.id;
    expect(JSON.stringify(followup.body)).toContain('zebra-coder');
    expect(toolResultText(fake, callId)).toContain('zebra-coder');
    await idle(session.id);
    const ev = await events(session.id);
    const call = ev.find((e) => e.type === 'tool.call') as OmniEvent<'tool.call'>;
    expect(call.data).toMatchObject({ tool: offered[0], kind: 'mcp' });
    expect(ev.some((e) => e.type === 'session.status' && (e.data as { status: string }).status === 'waiting')).toBe(false);
  });

  it('a failing command is a tool.result with ok false; a model error ends the turn idle with an error event', async () => {
    fake.script({ match: 'FAIL-CMD', turns: [{ toolUses: [{ name: 'bash', input: { command: 'ls /no-such-dir-for-omni', description: 'list' } }] }, { text: 'that failed' }] });
    fake.script({ match: 'BAD-REQUEST', turns: Array.from({ length: 10 }, () => ({ error: { status: 400, message: 'fake says no' } })) });
    await start('errs');
    expect((await t.omni(['send', 'errs', 'FAIL-CMD please'])).exitCode).toBe(0);
    await idle('errs');
    const result = (await events('errs')).find((e) => e.type === 'tool.result') as OmniEvent<'tool.result'>;
    expect(result.data.ok).toBe(false);
    expect((await t.omni(['send', 'errs', 'BAD-REQUEST please'])).exitCode).toBe(0);
    await idle('errs', 60);
    const ev = await events('errs');
    // No agentStop follows a failed model call: events.jsonl's session.error ends the turn.
    expect(ev.some((e) => e.type === 'error' && (e.data as { message: string }).message === '400 fake says no')).toBe(true);
  });

  it('a prompt the policy denies never reaches the model: a stand-in does, and the session ends idle', async () => {
    const policy = path.join(t.dir, 'prompt.yaml');
    fs.writeFileSync(policy, 'policies:\n- name: p\n  rules:\n  - when: {prompt: "/secret/i"}\n    verdict: deny\n    reason: no secrets here\n');
    await start('pd', ['--policy', policy]);
    const sent = await t.omni(['send', 'pd', 'the SECRET-WORD is swordfish']);
    const waited = await t.omni(['wait', 'pd', '--for', 'idle', '--timeout', '60']);
    // As with the other harnesses: send and wait exit 9 and say which policy blocked it.
    expect(sent.exitCode).toBe(9);
    expect(String(waited.stderr)).toContain('last prompt was blocked by policy p: no secrets here');
    // The stand-in turn may still be on its way when wait returns.
    await until(() => fake.requests.some((r) => r.latestUserText.includes('blocked by policy: no secrets here')), 30_000, 'the stand-in prompt');
    expect(JSON.stringify(fake.requests.map((r) => r.body))).not.toContain('swordfish');
    expect(waited.exitCode).toBe(9);
  });

  it('omni run <spec> --harness copilot', async () => {
    fake.script({ match: "Run the project's test suite", turns: [{ text: 'fixed on copilot' }] });
    const s = await t.omniJson<SessionRecord>(['run', path.join(ROOT, 'agents', 'fixer.yaml'), '--harness', 'copilot', '--name', 'fx']);
    expect(s.harness).toBe('copilot');
    expect(s.agent?.name).toBe('fixer');
    await until(() => fake.requests.some((r) => r.latestUserText.includes("Run the project's test suite")), 90_000, "the spec's prompt to reach the model");
    await until(async () => String((await t.omni(['events', 'fx', '--json'])).stdout).includes('fixed on copilot'), 60_000, 'the reply');
  });
});

describe.skipIf(!installed)('Copilot CLI in omni sandbox (real bubblewrap, fake model)', () => {
  it('reaches the model through the proxy with the key injected, writes in the work dir, and sees no other secret', async () => {
    const fake = await startFakeModel();
    const t = makeTestEnv();
    try {
      // The user's defaults: no COPILOT_OFFLINE, so its own start-up traffic (telemetry, update check) runs too.
      const { COPILOT_OFFLINE: _offline, ...env } = copilotUserEnv(fake);
      Object.assign(t.env, env, { COPILOT_PROVIDER_API_KEY: 'real-model-key-abcdef' });
      fs.mkdirSync(path.join(t.home, '.ssh'), { recursive: true });
      fs.writeFileSync(path.join(t.home, '.ssh', 'id_rsa'), 'SSH-KEY-MATERIAL\n');
      const file = path.join(t.work, 'sandboxed.txt');
      const probe = `echo "KEY:$(env | grep -c model-key-abcdef)"; echo "SSH:$(cat ~/.ssh/id_rsa 2>&1 | head -c 60)"; echo sandboxed > ${file}; echo PROBE-DONE`;
      fake.script({ match: 'SANDBOX-PROBE', turns: [{ toolUses: [{ name: 'bash', input: { command: probe, description: 'probe' } }] }, { text: 'probed' }] });
      const allow = path.join(t.dir, 'allow-shell.yaml');
      fs.writeFileSync(allow, 'policies:\n  - name: shell-ok\n    rules:\n      - when: { kind: shell }\n        verdict: allow\n');
      const s = await t.omniJson<SessionRecord>(['copilot', '--sandbox', '--name', 'sbx', '--detach', '--policy', allow]);
      expect(s.sandbox).toBe(true);
      expect((await t.omni(['wait', 'sbx', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
      expect((await t.omni(['send', 'sbx', 'SANDBOX-PROBE go'])).exitCode).toBe(0);
      expect((await t.omni(['wait', 'sbx', '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
      expect(fs.readFileSync(file, 'utf8').trim()).toBe('sandboxed');
      const ev = parseEvents((await t.omni(['events', 'sbx', '--json'])).stdout);
      const call = ev.find((e) => e.type === 'tool.call') as OmniEvent<'tool.call'>;
      const out = toolResultText(fake, call.data.callId) ?? '';
      expect(out).toContain('PROBE-DONE');
      expect(out).toMatch(/KEY:0/);
      expect(out).not.toContain('SSH-KEY-MATERIAL');
      // The key reached the model only through the proxy.
      expect(fake.requests.filter((r) => r.kind === 'turn').every((r) => r.headers.authorization === 'Bearer real-model-key-abcdef')).toBe(true);
      const egress = ev.filter((e) => e.type === 'egress.request') as Array<OmniEvent<'egress.request'>>;
      expect(egress.some((e) => e.data.path === '/v1/chat/completions' && e.data.verdict === 'allow')).toBe(true);
      // Copilot's own start-up traffic neither held an egress ask nor left the session waiting.
      expect(ev.filter((e) => e.type === 'approval.requested').map((e) => (e.data as { reason: string }).reason)).toEqual([]);
      expect(ev.some((e) => e.type === 'session.status' && (e.data as { status: string }).status === 'waiting')).toBe(false);
    } finally {
      await t.cleanup();
      await fake.close();
    }
  }, 240_000);
});
