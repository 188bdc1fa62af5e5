import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import { parseEvents } from '../helpers/events.js';
import type { Approval } from '../../src/approvals/types.js';
import type { SessionRecord } from '../../src/core/session.js';
import type { FakeModel } from '../fake-model/server.js';
import { makeTestEnv, pinnedCli, until, type TestEnv } from '../helpers/omni.js';
import { claudeWorld } from '../helpers/world.js';
import { api, createScripted, getSession, sendText, startScriptedDaemon, untilStatus, waitFor } from '../helpers/scripted.js';
import { pidAlive } from './fault-kit.js';

/**
 * kill -9 of the harness in its pane while it holds an ask: the session becomes exited with the
 * signal in its reason, everything it logged until then is kept, and the ask is withdrawn
 * (saying the session exited) instead of waiting for an answer nobody can use.
 */
describe('the harness killed -9 in its pane', () => {
  let t: TestEnv;
  let daemonPid: number;
  beforeAll(async () => {
    t = makeTestEnv();
    daemonPid = await startScriptedDaemon(t);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  /** The harness's own process: the pane's process, or the child of it that runs harness.mjs. */
  function harnessPid(panePid: number): number {
    const cmd = (pid: number) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    };
    if (cmd(panePid).includes('harness.mjs')) return panePid;
    for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      try {
        const ppid = Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
        if (ppid === panePid && cmd(Number(d)).includes('harness.mjs')) return Number(d);
      } catch {
        /* gone */
      }
    }
    throw new Error(`no harness process under pane pid ${panePid}`);
  }

  it('exits with the signal in the reason, keeps the events, and withdraws the held ask', async () => {
    const policy = path.join(t.dir, 'ask.yaml');
    fs.writeFileSync(policy, ['policies:', '  - name: ask-touch', '    rules:', '      - when: { command: touch }', '        verdict: ask', '        reason: a human approves new files', ''].join('\n'));
    const rec = await createScripted(t, { name: 'victim', policies: [{ ref: policy }] });
    await waitFor(t, 'victim', 'idle');
    await sendText(t, 'victim', 'hello');
    await waitFor(t, 'victim', 'idle');
    await sendText(t, 'victim', 'tool: touch held.txt');
    await untilStatus(t, 'victim', 'waiting');
    const held = (await api<{ approvals: Array<{ id: string }> }>(t, 'GET', '/v1/approvals?session=victim')).body.approvals;
    expect(held).toHaveLength(1);
    const before = parseEvents((await t.omni(['events', 'victim', '--json'])).stdout);

    const live = await getSession(t, 'victim');
    const pid = harnessPid(live.panePid!);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const exited = await untilStatus(t, 'victim', 'exited', 15_000);
    const noticedMs = Date.now() - killedAt;
    expect(exited.statusReason).toMatch(/killed by SIGKILL \(signal 9\)/);

    const after = parseEvents((await t.omni(['events', 'victim', '--json'])).stdout);
    expect(after.slice(0, before.length)).toEqual(before);
    const ended = after.find((e: OmniEvent) => e.type === 'session.exited');
    expect(ended?.data).toMatchObject({ reason: expect.stringContaining('SIGKILL') });
    expect(after.filter((e) => e.type === 'message.user').map((e) => (e.data as { text: string }).text)).toEqual(['hello', 'tool: touch held.txt']);

    // The ask: withdrawn, saying why, and nothing left pending.
    const all = (await api<{ approvals: Array<{ id: string; status: string; resolution?: { reason?: string } }> }>(t, 'GET', '/v1/approvals?all=1')).body.approvals;
    const ask = all.find((a) => a.id === held[0]!.id);
    // Whichever ends first says why: the hook's connection (its process went with the harness)
    // or the session's exit (a hook process that outlived the harness).
    expect(ask).toMatchObject({ status: 'cancelled', resolution: { reason: expect.stringMatching(/^the session exited: .*SIGKILL|^the agent stopped waiting/) } });
    expect((await api<{ approvals: unknown[] }>(t, 'GET', '/v1/approvals')).body.approvals).toEqual([]);
    expect(fs.existsSync(path.join(t.work, 'held.txt'))).toBe(false);
    expect(pidAlive(daemonPid)).toBe(true);
    console.log(`[figure] harness kill -9 noticed after ${noticedMs} ms`);
    await until(() => !fs.existsSync(path.join(t.omniHome, 'run', 'agent', rec.id)), 5_000, 'the agent socket to be closed');
  });
});

/** The same with the real Claude Code (pinned, test/harness-clis) against the fake model. */
describe.skipIf(!pinnedCli('claude'))('Claude Code killed -9 in its pane while an ask is held', () => {
  let fake: FakeModel;
  let t: TestEnv;
  claudeWorld((w) => ({ fake, t } = w));

  it('exits with SIGKILL in the reason, keeps the turn, and leaves no ask pending', async () => {
    const policy = path.join(t.dir, 'ask.yaml');
    fs.writeFileSync(policy, ['policies:', '  - name: ask-touch', '    rules:', '      - when: { phase: tool_call, command: touch }', '        verdict: ask', '        reason: a human approves new files', ''].join('\n'));
    const target = path.join(t.work, 'never.txt');
    fake.script({ match: 'TOUCH-IT', turns: [{ toolUses: [{ id: 'toolu_kill_1', name: 'Bash', input: { command: `touch ${target}` } }] }, { text: 'done' }] });
    const s = await t.omniJson<SessionRecord>(['claude', '--name', 'k9', '--policy', policy]);
    expect((await t.omni(['wait', 'k9', '--timeout', '90'])).exitCode).toBe(0);
    expect((await t.omni(['send', 'k9', 'TOUCH-IT'])).exitCode).toBe(0);
    const ask = await until(async () => (await t.omniJson<Approval[]>(['approvals'])).find((a) => a.sessionName === 'k9'), 60_000, 'the touch to be held');
    const before = parseEvents((await t.omni(['events', 'k9', '--json'])).stdout);
    expect(before.some((e) => e.type === 'approval.requested')).toBe(true);

    const live = (await t.omniJson<SessionRecord[]>(['ls'])).find((x) => x.id === s.id)!;
    process.kill(live.panePid!, 'SIGKILL'); // the pane runs Claude itself (launch.sh execs it)
    const ended = await until(async () => {
      const r = (await t.omniJson<SessionRecord[]>(['ls', '--all'])).find((x) => x.id === s.id);
      return r?.status === 'exited' && r;
    }, 20_000, 'k9 to be exited');
    expect(ended.statusReason).toMatch(/killed by SIGKILL \(signal 9\)/);
    const after = parseEvents((await t.omni(['events', 'k9', '--json'])).stdout);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(await t.omniJson<Approval[]>(['approvals'])).toEqual([]);
    const all = await t.omniJson<Approval[]>(['approvals', '--all']);
    expect(all.find((a) => a.id === ask.id)?.status).toBe('cancelled');
    expect(fs.existsSync(target)).toBe(false);
  });
});
