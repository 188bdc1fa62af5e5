import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { answerCodexTitles, codexUserEnv, writeCodexUserConfig } from '../conformance/profiles/codex.js';
import { writePiUserConfig } from '../conformance/profiles/pi.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents } from '../helpers/events.js';
import { claudeWorld } from '../helpers/world.js';
import { makeTestEnv, pinnedCli, until, type TestEnv } from '../helpers/omni.js';

/**
 * Scripts can trust `send` and `wait` (issue 13, items 1-3), with the real Claude Code, which
 * puts a prompt its hook blocked back in its input box.
 */
describe('a prompt blocked by policy (real claude, fake model)', () => {
  let fake: FakeModel;
  let t: TestEnv;

  claudeWorld((w) => ({ fake, t } = w));

  const userTexts = async (name: string) =>
    parseEvents((await t.omni(['events', name, '--json'])).stdout)
      .filter((e) => e.type === 'message.user')
      .map((e) => (e as OmniEvent<'message.user'>).data.text);
  const policy = (yaml: string) => {
    const f = path.join(t.dir, `p${Math.random().toString(36).slice(2)}.yaml`);
    fs.writeFileSync(f, yaml);
    return f;
  };
  const start = async (name: string, args: string[]) => {
    await t.omniJson<SessionRecord>(['claude', '--name', name, ...args]);
    expect((await t.omni(['wait', name, '--timeout', '90'])).exitCode).toBe(0);
  };
  /** What Claude's input box holds a moment from now (it puts a blocked prompt back within ~100 ms). */
  const inputBox = async (name: string) => {
    await new Promise((r) => setTimeout(r, 1000));
    const screen = String((await t.tmux(['capture-pane', '-p', '-t', `=${(await t.omniJson<SessionRecord>(['ls'])).find((s) => s.name === name)!.id}:`])).stdout);
    const line = screen.split('\n').filter((l) => l.startsWith('❯')).at(-1);
    return line?.slice(2).trim();
  };

  it('a denied prompt: send and wait exit 9 with the policy and reason, the box is left empty, and the next prompt runs alone', async () => {
    fake.script({ match: 'what is 2+2', turns: [{ text: 'Four.' }] });
    await start('pd', ['--policy', policy('policies:\n- name: p\n  rules:\n  - when: {prompt: "/secret/i"}\n    verdict: deny\n    reason: no secrets here\n')]);

    const sent = await t.omni(['send', 'pd', 'tell me the secret', '--json']);
    expect(sent.exitCode, String(sent.stderr)).toBe(9);
    expect(JSON.parse(String(sent.stdout))).toMatchObject({ accepted: true, blocked: { policy: 'p', reason: 'no secrets here' } });
    expect(String(sent.stderr)).toContain('blocked by policy p: no secrets here');
    expect(await inputBox('pd')).toBe('');

    const waited = await t.omni(['wait', 'pd', '--json']);
    expect(waited.exitCode).toBe(9);
    expect(JSON.parse(String(waited.stdout))).toMatchObject({ status: 'idle', blocked: { policy: 'p', reason: 'no secrets here' } });
    expect(String(waited.stderr)).toContain('last prompt was blocked by policy p: no secrets here');

    const next = await t.omni(['send', 'pd', 'what is 2+2']);
    expect(next.exitCode, String(next.stderr)).toBe(0);
    const done = await t.omni(['wait', 'pd', '--json']);
    expect(done.exitCode, String(done.stderr)).toBe(0);
    expect(JSON.parse(String(done.stdout)).blocked).toBeUndefined();
    expect(await userTexts('pd')).toEqual(['tell me the secret', 'what is 2+2']);
    expect(fake.turns().map((r) => r.latestUserText)).toContain('what is 2+2');
  });

  it('a held prompt: wait says at once which approval it waits on, --for attention exits 10, and after omni deny wait exits 9 and the next prompt runs alone', async () => {
    fake.script({ match: 'what is 3+3', turns: [{ text: 'Six.' }] });
    await start('pa', ['--policy', policy('policies:\n- name: gate\n  rules:\n  - when: {prompt: "/deploy/i"}\n    verdict: ask\n    reason: deploys need a person\n')]);

    const sent = await t.omni(['send', 'pa', 'deploy to prod', '--json']);
    expect(sent.exitCode, String(sent.stderr)).toBe(0);
    const held = JSON.parse(String(sent.stdout)).held as { approval: string; policy: string; reason: string };
    expect(held).toMatchObject({ approval: expect.stringMatching(/^ap_/), policy: 'gate', reason: expect.stringContaining('deploys need a person') });
    expect(String(sent.stderr)).toContain(`omni approve ${held.approval}`);

    // A plain wait keeps waiting, but says so on stderr at once.
    const waiting = t.omni(['wait', 'pa', '--timeout', '60']) as ReturnType<TestEnv['omni']> & { stderr: Readable };
    let stderr = '';
    waiting.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const t0 = Date.now();
    await until(() => stderr.includes(held.approval), 5_000, 'wait to name the approval');
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(stderr).toContain('policy gate');
    expect(stderr).toContain('deploys need a person');
    expect(stderr).toContain(`omni deny ${held.approval}`);

    const attention = await t.omni(['wait', 'pa', '--for', 'attention', '--timeout', '10']);
    expect(attention.exitCode).toBe(10);
    expect(String(attention.stderr)).toContain(`omni approve ${held.approval}`);

    expect((await t.omni(['deny', held.approval, '--reason', 'not today'])).exitCode).toBe(0);
    const after = await waiting;
    expect(after.exitCode, stderr).toBe(9);
    expect(stderr).toContain('not today');
    expect(await inputBox('pa')).toBe('');

    expect((await t.omni(['send', 'pa', 'what is 3+3'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'pa'])).exitCode).toBe(0);
    expect(await userTexts('pa')).toEqual(['deploy to prod', 'what is 3+3']);
  });

  it('after a cost_budget hard-limit deny the next prompt is typed alone (and denied on its own)', async () => {
    // Claude Sonnet 4.5 is priced in the bundled price book: 2,000 input + 5,000 output tokens = $0.081.
    fake.defaultUsage = { input_tokens: 2_000, output_tokens: 5_000 };
    fake.script({ match: 'SPEND', turns: [{ text: 'Spent.' }] });
    await start('pb', ['--model', 'claude-sonnet-4-5-20250929', '--policy', 'cost_budget:{"hard_limit_usd": 0.05}']);
    expect((await t.omni(['send', 'pb', 'SPEND'])).exitCode).toBe(0);
    await until(async () => ((await t.omniJson<SessionRecord[]>(['ls'])).find((s) => s.name === 'pb')?.cost?.computedUsd ?? 0) > 0.05, 30_000, 'the spend');
    await until(async () => (await t.omniJson<SessionRecord[]>(['ls'])).find((s) => s.name === 'pb')?.status === 'idle', 30_000, 'idle');

    const first = await t.omni(['send', 'pb', 'first after the limit']);
    expect(first.exitCode, String(first.stderr)).toBe(9);
    expect(String(first.stderr)).toContain('reached the hard limit');
    // Several lines: every one of them is cleared from the box.
    const second = await t.omni(['send', 'pb', 'second\nafter\nthe limit', '--json']);
    expect(second.exitCode, String(second.stderr)).toBe(9);
    expect(JSON.parse(String(second.stdout)).blocked).toMatchObject({ policy: 'cost_budget', reason: expect.stringContaining('hard limit') });
    expect((await userTexts('pb')).slice(-2)).toEqual(['first after the limit', 'second\nafter\nthe limit']);
    expect(await inputBox('pb')).toBe('');
    const third = await t.omni(['send', 'pb', 'third']);
    expect(third.exitCode, String(third.stderr)).toBe(9);
    expect((await userTexts('pb')).at(-1)).toBe('third');
    expect(await inputBox('pb')).toBe('');
  });
});

/** Codex and Pi leave their input box empty after a blocked prompt: send and wait still say it never ran. */
describe.each([
  { harness: 'codex', setup: (t: TestEnv, fake: FakeModel) => (Object.assign(t.env, codexUserEnv(t)), writeCodexUserConfig(t.home, fake.url), answerCodexTitles(fake)) },
  { harness: 'pi', setup: (t: TestEnv, fake: FakeModel) => ((t.env.PI_OFFLINE = '1'), writePiUserConfig(t.home, fake.url)) },
])('a prompt blocked by policy (real $harness, fake model)', ({ harness, setup }) => {
  let fake: FakeModel;
  let t: TestEnv;
  beforeEach(async () => {
    fake = await startFakeModel();
    t = makeTestEnv();
    setup(t, fake);
  });
  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  it.skipIf(!pinnedCli(harness))('send and wait exit 9, and the next prompt runs alone', async () => {
    fake.script({ match: 'what is 2+2', turns: [{ text: 'Four.' }] });
    const f = path.join(t.dir, 'p.yaml');
    fs.writeFileSync(f, 'policies:\n- name: p\n  rules:\n  - when: {prompt: "/secret/i"}\n    verdict: deny\n    reason: no secrets here\n');
    await t.omniJson<SessionRecord>([harness, '--name', 'x', '--policy', f]);
    expect((await t.omni(['wait', 'x', '--timeout', '90'])).exitCode).toBe(0);
    const sent = await t.omni(['send', 'x', 'tell me the secret', '--json']);
    expect(sent.exitCode, String(sent.stderr)).toBe(9);
    expect(JSON.parse(String(sent.stdout)).blocked).toEqual({ policy: 'p', reason: 'no secrets here' });
    expect((await t.omni(['wait', 'x'])).exitCode).toBe(9);
    expect((await t.omni(['send', 'x', 'what is 2+2'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'x', '--timeout', '60'])).exitCode).toBe(0);
    const texts = parseEvents((await t.omni(['events', 'x', '--json'])).stdout)
      .filter((e) => e.type === 'message.user')
      .map((e) => (e as OmniEvent<'message.user'>).data.text);
    expect(texts).toEqual(['tell me the secret', 'what is 2+2']);
  });
});
