import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { parseEvents } from '../helpers/events.js';
import { makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { api, createScripted, getSession, pane, sendText, startScriptedDaemon, untilPrompt, untilStatus, waitFor } from '../helpers/scripted.js';

/**
 * The fast tier: SessionManager, the policy service, the agent socket and the HTTP API, driven
 * through the real `omni` CLI against the scripted harness (test/fixtures/scripted/harness.mjs)
 * in real tmux. Seconds, where the same paths through a real agent CLI take minutes.
 */
describe('sessions with the scripted harness', () => {
  // One daemon and OMNI_HOME for the file (each test has its own session): starting and tearing
  // down a world per test would cost more than the tests.
  let t: TestEnv;
  let daemonPid: number;
  beforeAll(async () => {
    t = makeTestEnv();
    daemonPid = await startScriptedDaemon(t);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const events = async (ref: string): Promise<OmniEvent[]> => {
    const r = await t.omni(['events', ref, '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    return parseEvents(r.stdout);
  };
  const statuses = (evs: OmniEvent[]) => evs.filter((e) => e.type === 'session.status').map((e) => (e.data as { status: string }).status);
  // The CLI where its own behaviour is under test; elsewhere the endpoints it calls (a node
  // start per command is most of this file's time on a busy machine).
  const send = async (ref: string, text: string) => expect(await sendText(t, ref, text)).toMatchObject({ verified: true });
  const waitIdle = (ref: string) => waitFor(t, ref, 'idle');

  it('starts (starting → idle), takes typed input as message.user, and logs the turn', async () => {
    const rec = await createScripted(t, { name: 'a' });
    expect(rec.status).toBe('starting');
    expect(rec.harness).toBe('scripted');
    const started = await t.omni(['wait', 'a', '--for', 'idle', '--timeout', '10']);
    expect(started.exitCode, String(started.stderr)).toBe(0);
    const sent = await t.omni(['send', 'a', 'hello there']);
    expect(sent.exitCode, String(sent.stderr)).toBe(0);
    await waitIdle('a');
    expect(await untilPrompt(t, rec)).toMatch(/scripted> hello there\n+echo: hello there\n+scripted>$/);

    const evs = await events('a');
    expect(evs.map((e) => e.seq)).toEqual(evs.map((_, i) => i + 1));
    expect(evs[0]).toMatchObject({ type: 'session.started', session: rec.id, data: { harness: 'scripted', name: 'a', cwd: t.work } });
    expect(statuses(evs)).toEqual(['idle', 'running', 'idle']);
    const user = evs.findIndex((e) => e.type === 'message.user');
    expect(evs[user]?.data).toEqual({ text: 'hello there' });
    expect(evs.slice(user).find((e) => e.type === 'message.assistant')?.data).toEqual({ text: 'echo: hello there' });
    const ls = await t.omniJson<SessionRecord[]>(['ls']);
    expect(ls.find((s) => s.name === 'a')).toMatchObject({ id: rec.id, status: 'idle', harnessSessionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it("puts a policy's deny reason in front of the harness, and holds an ask until it is approved over the API", async () => {
    const policy = path.join(t.dir, 'guard.yaml');
    fs.writeFileSync(
      policy,
      [
        'policies:',
        '  - name: guard',
        '    rules:',
        '      - when: { command: rm }',
        '        verdict: deny',
        '        reason: nothing is removed here',
        '      - when: { command: touch }',
        '        verdict: ask',
        '        reason: a human approves new files',
        '',
      ].join('\n'),
    );
    const rec = await createScripted(t, { name: 'p', policies: [{ ref: policy }] });
    await waitIdle('p');
    fs.writeFileSync(path.join(t.work, 'keep.txt'), 'x');

    await send('p', 'tool: rm keep.txt');
    await waitIdle('p');
    expect(await pane(t, rec)).toMatch(/PreTool answered exit 2: .*nothing is removed here/);
    expect(fs.existsSync(path.join(t.work, 'keep.txt'))).toBe(true);

    await send('p', 'tool: touch made.txt');
    const held = await untilStatus(t, 'p', 'waiting');
    expect(held.statusSource).toBe('daemon');
    const { body } = await api<{ approvals: Array<{ id: string; reason: string; request: { command?: string } }> }>(t, 'GET', '/v1/approvals?session=p');
    expect(body.approvals).toHaveLength(1);
    expect(body.approvals[0]).toMatchObject({ reason: expect.stringContaining('a human approves new files'), request: { command: 'touch made.txt' } });
    // Held means held: the tool has not run while nobody answered.
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.existsSync(path.join(t.work, 'made.txt'))).toBe(false);
    const ok = await api(t, 'POST', `/v1/approvals/${body.approvals[0]!.id}/approve`, {});
    expect(ok.status).toBe(200);
    await waitIdle('p');
    expect(fs.existsSync(path.join(t.work, 'made.txt'))).toBe(true);

    const evs = await events('p');
    const calls = evs.filter((e) => e.type === 'tool.call').map((e) => e.data);
    expect(calls).toEqual([
      { callId: 'call_1', tool: 'shell', kind: 'shell', input: { command: 'rm keep.txt' } },
      { callId: 'call_2', tool: 'shell', kind: 'shell', input: { command: 'touch made.txt' } },
    ]);
    expect(evs.filter((e) => e.type === 'tool.result').map((e) => e.data)).toEqual([{ callId: 'call_2', tool: 'shell', ok: true, output: '' }]);
    const decisions = evs.filter((e) => e.type === 'policy.decision').map((e) => e.data as { verdict: string; callId?: string });
    expect(decisions).toEqual(expect.arrayContaining([expect.objectContaining({ verdict: 'deny', callId: 'call_1' }), expect.objectContaining({ verdict: 'ask', callId: 'call_2' })]));
    expect(evs.find((e) => e.type === 'approval.resolved')?.data).toMatchObject({ verdict: 'approve', via: 'api' });
    expect(statuses(evs)).toEqual(['idle', 'running', 'idle', 'running', 'waiting', 'running', 'idle']);
  });

  it('interrupts a running turn with the harness\'s key, stops a session, and says so in omni wait\'s exit code', async () => {
    const rec = await createScripted(t, { name: 'i' });
    await waitIdle('i');
    await send('i', 'sleep: 30');
    expect((await getSession(t, 'i')).status).toBe('running');
    const timeout = await t.omni(['wait', 'i', '--for', 'idle', '--timeout', '0.5']);
    expect(timeout.exitCode).toBe(124);
    const intr = await t.omni(['interrupt', 'i']);
    expect(intr.exitCode, String(intr.stderr)).toBe(0);
    const idle = await untilStatus(t, 'i', 'idle', 5_000);
    expect(idle.statusReason).toBe('interrupted');
    expect(await pane(t, rec)).toMatch(/\^ interrupted/);

    const waiter = t.omni(['wait', 'i', '--for', 'running', '--timeout', '20']);
    await new Promise((r) => setTimeout(r, 300));
    const stop = await t.omni(['stop', 'i']);
    expect(stop.exitCode, String(stop.stderr)).toBe(0);
    expect((await waiter).exitCode).toBe(6); // ended before it ran again
    const gone = await getSession(t, 'i');
    // The reason is usually "stopped by omni stop"; a supervision poll that lists panes right
    // after the kill can get there first ("the tmux session is gone").
    expect(gone).toMatchObject({ status: 'exited', statusReason: expect.stringMatching(/^(stopped by omni stop|the tmux session is gone)$/) });
    expect((await t.tmux(['has-session', '-t', `=${rec.tmuxSession}`])).exitCode).not.toBe(0);
    expect((await t.omni(['wait', 'i', '--for', 'idle'])).exitCode).toBe(6);
    expect((await t.omni(['wait', 'nobody', '--for', 'idle'])).exitCode).toBe(3);
  });

  it('records the exit code when the harness exits by itself', async () => {
    await createScripted(t, { name: 'x' });
    await waitIdle('x');
    await send('x', 'exit: 3');
    const ended = await untilStatus(t, 'x', 'exited');
    expect(ended.exitCode).toBe(3);
    const evs = await events('x');
    expect(evs.at(-1)).toMatchObject({ type: 'session.exited', data: { code: 3 } });
    expect((await t.omni(['send', 'x', 'anyone?'])).exitCode).not.toBe(0);
  });

  it('re-adopts the live session after kill -9 of the daemon, without losing or repeating an event', async () => {
    const rec = await createScripted(t, { name: 'k' });
    await waitIdle('k');
    await send('k', 'before the crash');
    await waitIdle('k');
    await untilPrompt(t, rec); // no hook in flight when the daemon dies
    const before = await events('k');

    process.kill(daemonPid, 'SIGKILL');
    await until(async () => (await api(t, 'GET', '/v1/daemon').then(() => false, () => true)), 5_000, 'the daemon to be gone');
    const pid2 = await startScriptedDaemon(t);
    expect(pid2).not.toBe(daemonPid);

    const after = await getSession(t, 'k');
    expect(after).toMatchObject({ status: 'idle', paneId: rec.paneId });
    await send('k', 'after the crash');
    await waitIdle('k');
    const evs = await events('k');
    expect(evs.slice(0, before.length)).toEqual(before);
    expect(evs.map((e) => e.seq)).toEqual(evs.map((_, i) => i + 1));
    const tail = evs.slice(before.length);
    expect(tail.filter((e) => e.type === 'session.adopted')).toHaveLength(1);
    expect(tail.filter((e) => e.type === 'message.user').map((e) => e.data)).toEqual([{ text: 'after the crash' }]);
    expect(tail.find((e) => e.type === 'message.assistant')?.data).toEqual({ text: 'echo: after the crash' });
  });
});
