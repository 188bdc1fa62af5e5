import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { writePiUserConfig } from '../conformance/profiles/pi.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents, toolResultText } from '../helpers/events.js';
import { makeTestEnv, until, pinnedCli, type TestEnv } from '../helpers/omni.js';

const installed = pinnedCli('pi');

describe.skipIf(!installed)('Pi end to end (real pi in omni tmux, fake model)', () => {
  let fake: FakeModel;
  let t: TestEnv;

  beforeEach(async () => {
    fake = await startFakeModel();
    t = makeTestEnv({ PI_OFFLINE: '1' });
    writePiUserConfig(t.home, fake.url);
  });

  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  it('runs a bash tool call from a sent prompt and logs tool.call, tool.result, the reply and priced usage', async () => {
    const target = path.join(t.work, 'made-by-pi.txt');
    fake.script({
      match: 'WRITE-THE-FILE',
      turns: [{ text: 'Writing it.', toolUses: [{ name: 'bash', input: { command: `echo hello-from-pi > ${target}` } }] }, { text: 'I wrote the file for you.' }],
    });

    const session = await t.omniJson<SessionRecord>(['pi', '--name', 'e2e']);
    expect(session.harness).toBe('pi');
    expect(session.command).toContain('-e');

    expect((await t.omni(['wait', 'e2e', '--for', 'idle', '--timeout', '60'])).exitCode).toBe(0);
    const sent = await t.omni(['send', 'e2e', 'please WRITE-THE-FILE now']);
    expect(sent.exitCode, `${sent.stderr}`).toBe(0);
    const done = await t.omni(['wait', 'e2e', '--for', 'idle', '--timeout', '60']);
    expect(done.exitCode, `${done.stderr}`).toBe(0);

    expect(fs.readFileSync(target, 'utf8').trim()).toBe('hello-from-pi');

    const events = parseEvents((await t.omni(['events', 'e2e', '--json'])).stdout);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));

    const user = events.find((e) => e.type === 'message.user') as OmniEvent<'message.user'> | undefined;
    expect(user?.data.text).toBe('please WRITE-THE-FILE now');

    const call = events.find((e) => e.type === 'tool.call') as OmniEvent<'tool.call'> | undefined;
    expect(call?.data).toMatchObject({ tool: 'bash', kind: 'shell', input: { command: `echo hello-from-pi > ${target}` } });

    const result = events.find((e) => e.type === 'tool.result') as OmniEvent<'tool.result'> | undefined;
    expect(result?.data).toMatchObject({ callId: call?.data.callId, tool: 'bash', ok: true });

    const texts = events.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text);
    expect(texts).toEqual(['Writing it.', 'I wrote the file for you.']);

    // Two model messages, 100 in / 20 out each (the fake's default), priced by Pi from models.json:
    // 100 × $3/M + 20 × $15/M = $0.0006 per message.
    const usage = events.filter((e) => e.type === 'usage') as OmniEvent<'usage'>[];
    expect(usage).toHaveLength(2);
    for (const u of usage) {
      expect(u.data).toMatchObject({ model: 'fake-model', inputTokens: 100, outputTokens: 20, source: 'pi.extension' });
      expect(u.data.reportedCostUsd).toBeCloseTo(0.0006, 12);
    }
    expect(new Set(usage.map((u) => u.data.messageId)).size).toBe(2);

    // The reply came after the tool, and the session went idle after the reply.
    const idx = (pred: (e: OmniEvent) => boolean) => events.findIndex(pred);
    const lastIdle = events.map((e) => e.type === 'session.status' && (e.data as { status: string }).status === 'idle').lastIndexOf(true);
    expect(idx((e) => e.type === 'tool.result')).toBeLessThan(idx((e) => e.type === 'message.assistant' && (e.data as { text: string }).text === 'I wrote the file for you.'));
    expect(lastIdle).toBe(events.length - 1);

    // Pi's own session was captured for resume.
    const rec = (await t.omniJson<SessionRecord[]>(['ls'])).find((s) => s.name === 'e2e')!;
    expect(rec.harnessSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(rec.transcriptPath).toContain(rec.harnessSessionId!);
    expect(fs.existsSync(rec.transcriptPath!)).toBe(true);
    expect(toolResultText(fake, call!.data.callId)).toBeDefined();

    expect((await t.omni(['stop', 'e2e'])).exitCode).toBe(0);
    const all = await t.omniJson<SessionRecord[]>(['ls', '--all']);
    expect(all.find((s) => s.name === 'e2e')?.status).toBe('exited');
  });

  it('a gate with the daemon down starts it again (the session is re-adopted) and the turn goes on', async () => {
    fake.script({ match: 'AFTER-CRASH', turns: [{ toolUses: [{ name: 'bash', input: { command: 'echo survived' } }] }, { text: 'still here' }] });
    const s = await t.omniJson<SessionRecord>(['pi', '--name', 'phoenix']);
    expect((await t.omni(['wait', 'phoenix', '--for', 'idle', '--timeout', '60'])).exitCode).toBe(0);
    expect((await t.omni(['daemon', 'stop'])).exitCode).toBe(0);

    // Typed straight into the pane: the Prompt gate finds no daemon, runs `omni daemon start`, retries.
    await until(async () => /^─{20,}/m.test(String((await t.tmux(['capture-pane', '-p', '-t', s.id])).stdout)), 10_000, 'the editor');
    await t.tmux(['send-keys', '-t', s.id, '-l', 'AFTER-CRASH go']);
    await t.tmux(['send-keys', '-t', s.id, 'Enter']);
    await until(async () => (await t.omni(['daemon', 'status'])).exitCode === 0, 30_000, 'the gate to restart the daemon');
    expect((await t.omni(['wait', 'phoenix', '--for', 'idle', '--timeout', '60'])).exitCode).toBe(0);

    const events = parseEvents((await t.omni(['events', 'phoenix', '--json'])).stdout);
    expect(events.some((e) => e.type === 'session.adopted')).toBe(true);
    expect(events.find((e) => e.type === 'message.user')?.data).toEqual({ text: 'AFTER-CRASH go' });
    expect(events.some((e) => e.type === 'tool.result')).toBe(true);
    expect(events.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text)).toEqual(['still here']);
  });
});
