import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { GEMINI_TEST_MODEL, geminiUserEnv, writeGeminiUserConfig } from '../conformance/profiles/gemini.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents } from '../helpers/events.js';
import { makeTestEnv, until, pinnedCli, type TestEnv } from '../helpers/omni.js';

const installed = pinnedCli('gemini');

/**
 * The real Gemini CLI (0.61.0) as a user with an API key runs it: "Use Gemini API key" chosen in
 * their own ~/.gemini/settings.json (the test's HOME), GEMINI_API_KEY and GOOGLE_GEMINI_BASE_URL
 * (the fake) in the environment. No flags of the test's own: an omni policy that allows a
 * command gets it past Gemini's own confirmation; with no opinion from omni, Gemini asks as usual.
 */
describe.skipIf(!installed)('Gemini CLI end to end (real gemini in omni tmux, fake model)', () => {
  let fake: FakeModel;
  let t: TestEnv;
  let settingsBefore: string;
  const wait = async (name: string, timeout = '90') => {
    const r = await t.omni(['wait', name, '--for', 'idle', '--timeout', timeout]);
    expect(r.exitCode, `${r.stderr}`).toBe(0);
  };
  const events = async (name: string) => parseEvents((await t.omni(['events', name, '--json'])).stdout);

  beforeEach(async () => {
    fake = await startFakeModel();
    t = makeTestEnv();
    Object.assign(t.env, geminiUserEnv(fake));
    const dir = writeGeminiUserConfig(t.home);
    settingsBefore = fs.readFileSync(path.join(dir, 'settings.json'), 'utf8');
  });

  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  it('runs a shell call from a sent prompt (tool.call, tool.result, reply, priced usage); stop + resume keeps the conversation', async () => {
    const target = path.join(t.work, 'made-by-gemini.txt');
    fake.script({
      match: 'WRITE-THE-FILE',
      turns: [
        { text: 'Writing it.', toolUses: [{ name: 'run_shell_command', input: { command: `echo hello-from-gemini > ${target}`, description: 'write' } }], usage: { input_tokens: 300, cache_read_input_tokens: 200, output_tokens: 30 } },
        { text: 'I wrote the file for you.', usage: { input_tokens: 500, output_tokens: 40 } },
      ],
    });
    fake.script({ match: 'SECOND-TURN', turns: [{ text: 'still remembered' }] });

    const allow = path.join(t.dir, 'allow-echo.yaml');
    fs.writeFileSync(allow, ['policies:', '  - name: echo-ok', '    rules:', '      - when: { command: echo }', '        verdict: allow', ''].join('\n'));
    const session = await t.omniJson<SessionRecord>(['gemini', '--name', 'e2e', '--detach', '--policy', allow]);
    expect(session.harness).toBe('gemini');
    await wait('e2e');
    expect((await t.omni(['send', 'e2e', 'please WRITE-THE-FILE now'])).exitCode).toBe(0);
    await wait('e2e');
    expect(fs.readFileSync(target, 'utf8').trim()).toBe('hello-from-gemini');

    let ev = await events('e2e');
    expect(ev.find((e) => e.type === 'message.user')?.data).toEqual({ text: 'please WRITE-THE-FILE now' });
    const call = ev.find((e) => e.type === 'tool.call') as OmniEvent<'tool.call'> | undefined;
    expect(call?.data).toMatchObject({ tool: 'run_shell_command', kind: 'shell', input: { command: `echo hello-from-gemini > ${target}` } });
    const result = ev.find((e) => e.type === 'tool.result') as OmniEvent<'tool.result'> | undefined;
    expect(result?.data).toMatchObject({ callId: call?.data.callId, tool: 'run_shell_command', ok: true });
    await until(async () => (await events('e2e')).filter((e) => e.type === 'usage').length >= 2, 10_000, 'two usage events');
    ev = await events('e2e');
    expect(ev.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text)).toEqual(['Writing it.', 'I wrote the file for you.']);
    // Gemini counts cached input inside promptTokenCount; omni counts it apart. Priced by the daemon (Gemini reports no cost).
    const usage = ev.filter((e) => e.type === 'usage') as OmniEvent<'usage'>[];
    expect(usage.map((u) => [u.data.inputTokens, u.data.cacheReadTokens, u.data.outputTokens])).toEqual([
      [300, 200, 30],
      [500, 0, 40],
    ]);
    for (const u of usage) {
      expect(u.data).toMatchObject({ model: GEMINI_TEST_MODEL, source: 'gemini.chat' });
      expect(u.data.computedCostUsd).toBeGreaterThan(0);
    }
    // omni's allow answered for Gemini: the shell ran without its own "Allow execution?" question.
    const pane = String((await t.tmux(['capture-pane', '-p', '-t', session.id])).stdout);
    expect(pane).not.toMatch(/Allow execution/);

    const rec = (await t.omniJson<SessionRecord[]>(['ls'])).find((s) => s.name === 'e2e')!;
    expect(rec.harnessSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(rec.transcriptPath).toContain(path.join(t.home, '.gemini', 'tmp'));

    expect((await t.omni(['stop', 'e2e'])).exitCode).toBe(0);
    expect((await t.omni(['resume', 'e2e', '--detach'])).exitCode).toBe(0);
    await wait('e2e');
    expect((await t.omni(['send', 'e2e', 'SECOND-TURN what did you write?'])).exitCode).toBe(0);
    await wait('e2e');
    const second = fake.requests.find((r) => r.latestUserText.includes('SECOND-TURN'));
    expect(JSON.stringify(second?.body)).toContain('WRITE-THE-FILE');
    expect(JSON.stringify(second?.body)).toContain('I wrote the file for you.');

    // omni wrote nothing into the user's settings.
    expect(fs.readFileSync(path.join(t.home, '.gemini', 'settings.json'), 'utf8')).toBe(settingsBefore);
  });

  it('with no opinion from omni, Gemini asks its own question (the session is waiting) and a person answers it in the pane', async () => {
    const target = path.join(t.work, 'asked-by-gemini.txt');
    fake.script({ match: 'ASK-GEMINI', turns: [{ toolUses: [{ name: 'run_shell_command', input: { command: `echo asked > ${target}`, description: 'write' } }] }, { text: 'written after you said yes' }] });
    const session = await t.omniJson<SessionRecord>(['gemini', '--name', 'own', '--detach']);
    await wait('own');
    expect((await t.omni(['send', 'own', 'ASK-GEMINI now'])).exitCode).toBe(0);
    const waiting = await t.omni(['wait', 'own', '--for', 'waiting', '--timeout', '60']);
    expect(waiting.exitCode, `${waiting.stderr}`).toBe(0);
    await until(async () => /Allow execution/.test(String((await t.tmux(['capture-pane', '-p', '-t', session.id])).stdout)), 15_000, "Gemini's question on the pane");
    expect(fs.existsSync(target)).toBe(false);
    // The person at the pane picks the highlighted answer ("Allow once").
    await t.tmux(['send-keys', '-t', session.id, 'Enter']);
    await wait('own');
    expect(fs.readFileSync(target, 'utf8').trim()).toBe('asked');
    expect(await t.omniJson<Approval[]>(['approvals'])).toEqual([]);
  });

  it("a deny's reason reaches the model, an ask holds until `omni approve`, and Esc interrupts a generation", async () => {
    const denied = path.join(t.work, 'denied.txt');
    const held = path.join(t.work, 'held-dir');
    const policy = path.join(t.dir, 'policy.yaml');
    fs.writeFileSync(
      policy,
      [
        'policies:',
        '  - name: no-touch',
        '    rules:',
        '      - when: { command: touch }',
        '        verdict: deny',
        '        reason: GEMINI-DENY-REASON touching is not allowed',
        '      - when: { command: mkdir }',
        '        verdict: ask',
        '        reason: making a folder needs a human',
        '',
      ].join('\n'),
    );
    fake.script({ match: 'DENY-ME', turns: [{ toolUses: [{ name: 'run_shell_command', input: { command: `touch ${denied}` } }] }, { text: 'ok, not touching' }] });
    fake.script({ match: 'ASK-ME', turns: [{ toolUses: [{ name: 'run_shell_command', input: { command: `mkdir ${held}` } }] }, { text: 'made it after approval' }] });
    const gate = fake.gate();
    fake.script({ match: 'LONG-ONE', turns: [{ text: 'a very long answer that never finishes', gate }] });

    await t.omniJson<SessionRecord>(['gemini', '--name', 'pol', '--detach', '--policy', policy]);
    await wait('pol');

    expect((await t.omni(['send', 'pol', 'DENY-ME go'])).exitCode).toBe(0);
    await wait('pol');
    expect(fs.existsSync(denied)).toBe(false);
    const follow = fake.requests.find((r) => r.servedBy === 'followup' && JSON.stringify(r.body).includes('GEMINI-DENY-REASON'));
    expect(JSON.stringify(follow?.body)).toContain('Tool execution blocked: GEMINI-DENY-REASON');

    expect((await t.omni(['send', 'pol', 'ASK-ME go'])).exitCode).toBe(0);
    const ask = await until(async () => (await t.omniJson<Approval[]>(['approvals'])).find((a) => a.sessionName === 'pol'), 60_000, 'the ask');
    await new Promise((r) => setTimeout(r, 1500));
    expect(fs.existsSync(held)).toBe(false);
    expect((await t.omni(['approve', ask.id])).exitCode).toBe(0);
    await until(() => fs.existsSync(held), 30_000, 'the approved command');
    await wait('pol');
    const ev = await events('pol');
    expect(ev.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text)).toContain('made it after approval');

    expect((await t.omni(['send', 'pol', 'LONG-ONE'])).exitCode).toBe(0);
    await gate.reached;
    expect((await t.omni(['interrupt', 'pol'])).exitCode).toBe(0);
    await wait('pol', '30');
    const long = fake.requests.find((r) => r.latestUserText.includes('LONG-ONE'));
    await until(() => long?.status === 'aborted', 10_000, 'the request to be dropped');
    gate.release();

    // The pane going away (tmux killed) ends Gemini: no process is left behind.
    expect(geminiPids(t.home).length).toBeGreaterThan(0);
    await t.tmux(['kill-server']);
    await until(() => geminiPids(t.home).length === 0, 15_000, 'no gemini process left');
  });
});

/** Gemini CLI processes whose environment names this HOME. */
function geminiPids(home: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // The binary itself (`…/gemini`), not any path that merely contains the word.
      if (!/\/gemini(\.js)?\0/.test(fs.readFileSync(`/proc/${d}/cmdline`, 'utf8'))) continue;
      if (fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(`HOME=${home}`)) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}
