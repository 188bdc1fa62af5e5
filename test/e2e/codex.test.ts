import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { answerCodexTitles, codexUserEnv, writeCodexUserConfig } from '../conformance/profiles/codex.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents, toolResultText } from '../helpers/events.js';
import { makeTestEnv, until, pinnedCli, type TestEnv } from '../helpers/omni.js';

const installed = pinnedCli('codex');

describe.skipIf(!installed)('Codex end to end (real codex in omni tmux, fake model)', () => {
  let fake: FakeModel;
  let t: TestEnv;
  let codexHome: string;

  beforeEach(async () => {
    fake = await startFakeModel();
    t = makeTestEnv();
    Object.assign(t.env, codexUserEnv(t));
    codexHome = writeCodexUserConfig(t.home, fake.url);
    answerCodexTitles(fake);
  });

  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  it('runs an exec_command call from a sent prompt and logs tool.call, tool.result, the reply and usage', async () => {
    const target = path.join(t.work, 'made-by-codex.txt');
    const configBefore = fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8');
    fake.script({
      match: 'WRITE-THE-FILE',
      turns: [
        { text: 'Writing it.', toolUses: [{ name: 'exec_command', input: { cmd: `echo hello-from-codex > ${target}` } }], usage: { input_tokens: 300, cache_read_input_tokens: 200, output_tokens: 30 } },
        { text: 'I wrote the file for you.', usage: { input_tokens: 500, output_tokens: 40 } },
      ],
    });

    const session = await t.omniJson<SessionRecord>(['codex', '--name', 'e2e']);
    expect(session.harness).toBe('codex');
    expect(session.command).toContain('--dangerously-bypass-hook-trust');

    const ready = await t.omni(['wait', 'e2e', '--for', 'idle', '--timeout', '60']);
    expect(ready.exitCode, `${ready.stderr}`).toBe(0);

    const sent = await t.omni(['send', 'e2e', 'please WRITE-THE-FILE now']);
    expect(sent.exitCode, `${sent.stderr}`).toBe(0);
    const done = await t.omni(['wait', 'e2e', '--for', 'idle', '--timeout', '60']);
    expect(done.exitCode, `${done.stderr}`).toBe(0);

    expect(fs.readFileSync(target, 'utf8').trim()).toBe('hello-from-codex');

    const events = parseEvents((await t.omni(['events', 'e2e', '--json'])).stdout);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));

    const user = events.find((e) => e.type === 'message.user') as OmniEvent<'message.user'> | undefined;
    expect(user?.data.text).toBe('please WRITE-THE-FILE now');

    // Codex's hooks call its shell tool `Bash` with `{command}` (the model's tool is exec_command {cmd}).
    const call = events.find((e) => e.type === 'tool.call') as OmniEvent<'tool.call'> | undefined;
    expect(call?.data).toMatchObject({ tool: 'Bash', kind: 'shell', input: { command: `echo hello-from-codex > ${target}` } });
    expect(call?.data.callId).toMatch(/^call_/);

    const result = events.find((e) => e.type === 'tool.result') as OmniEvent<'tool.result'> | undefined;
    expect(result?.data).toMatchObject({ callId: call?.data.callId, tool: 'Bash', ok: true });

    const texts = events.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text);
    expect(texts).toEqual(['Writing it.', 'I wrote the file for you.']);

    // One usage event per model response, from the rollout; OpenAI counts cached input inside
    // input_tokens, omni counts it apart.
    const usage = events.filter((e) => e.type === 'usage') as OmniEvent<'usage'>[];
    expect(usage.map((u) => [u.data.inputTokens, u.data.cacheReadTokens, u.data.outputTokens])).toEqual([
      [300, 200, 30],
      [500, 0, 40],
    ]);
    for (const u of usage) expect(u.data).toMatchObject({ model: 'gpt-5.5', cacheWriteTokens: 0, source: 'codex.rollout' });
    expect(usage.every((u) => u.data.reportedCostUsd === undefined)).toBe(true);

    // The tool's outcome reached the model; the session ends idle, after the reply.
    expect(toolResultText(fake, call!.data.callId)).toContain('Process exited with code 0');
    const lastIdle = events.map((e) => e.type === 'session.status' && (e.data as { status: string }).status === 'idle').lastIndexOf(true);
    expect(lastIdle).toBeGreaterThan(events.findIndex((e) => e.type === 'message.assistant' && (e.data as { text: string }).text === 'I wrote the file for you.'));

    // Codex's session id and rollout were captured (for resume), in the user's own Codex home.
    const rec = (await t.omniJson<SessionRecord[]>(['ls'])).find((s) => s.name === 'e2e')!;
    expect(rec.harnessSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(rec.transcriptPath).toContain(path.join(codexHome, 'sessions'));
    expect(rec.transcriptPath).toContain(rec.harnessSessionId!);

    expect((await t.omni(['stop', 'e2e'])).exitCode).toBe(0);
    const all = await t.omniJson<SessionRecord[]>(['ls', '--all']);
    expect(all.find((s) => s.name === 'e2e')?.status).toBe('exited');

    // omni wrote nothing into the user's config (Codex itself may add its own notes).
    const configAfter = fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8');
    expect(configAfter.startsWith(configBefore)).toBe(true);
    expect(configAfter).not.toMatch(/hooks|trust_level|omni/);
    expect(fs.existsSync(path.join(codexHome, 'hooks.json'))).toBe(false);
  });

  it('a failing command is a tool.result with ok false; a model error ends the turn idle with an error event', async () => {
    fake.script({ match: 'FAIL-CMD', turns: [{ toolUses: [{ name: 'exec_command', input: { cmd: 'ls /no-such-dir-for-omni' } }] }, { text: 'that failed' }] });
    fake.script({ match: 'BAD-REQUEST', turns: [{ error: { status: 400, message: 'fake says no' } }] });
    await t.omniJson<SessionRecord>(['codex', '--name', 'errs', '--detach']);
    expect((await t.omni(['wait', 'errs', '--for', 'idle', '--timeout', '60'])).exitCode).toBe(0);

    expect((await t.omni(['send', 'errs', 'FAIL-CMD please'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'errs', '--for', 'idle', '--timeout', '60'])).exitCode).toBe(0);
    let events = parseEvents((await t.omni(['events', 'errs', '--json'])).stdout);
    const result = events.find((e) => e.type === 'tool.result') as OmniEvent<'tool.result'> | undefined;
    expect(result?.data.ok).toBe(false);
    expect(String(result?.data.output)).toContain('No such file or directory');

    // No Stop hook fires for a failed model call: the rollout's task_complete ends the turn.
    expect((await t.omni(['send', 'errs', 'BAD-REQUEST please'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'errs', '--for', 'idle', '--timeout', '30'])).exitCode).toBe(0);
    events = parseEvents((await t.omni(['events', 'errs', '--json'])).stdout);
    expect(events.some((e) => e.type === 'error' && (e.data as { message: string }).message === 'fake says no')).toBe(true);
  });

  it('leaves no Codex process behind (no background app-server)', async () => {
    const s = await t.omniJson<SessionRecord>(['codex', '--name', 'gone', '--detach']);
    expect((await t.omni(['wait', 'gone', '--for', 'idle', '--timeout', '60'])).exitCode).toBe(0);
    expect((await t.omni(['stop', 'gone'])).exitCode).toBe(0);
    // Every process that ran Codex for this test has this test's HOME in its environment.
    await until(() => codexPids(t.home).length === 0, 10_000, `no codex process for ${s.id}`);
  });
});

/** Codex processes whose environment names this HOME. */
function codexPids(home: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (!/codex/.test(cmd)) continue;
      if (fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(`HOME=${home}`)) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}
