import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { parseEvents } from '../helpers/events.js';
import { makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { api, sendText, startScriptedDaemon, waitFor } from '../helpers/scripted.js';
import { startUserTmux, type UserTmux } from '../helpers/user-tmux.js';

/**
 * Notifications (src/daemon/notifier.ts) through the real daemon and the scripted harness: the
 * session is started with the $TMUX/$TMUX_PANE of a pane on "the user's own tmux" (a second
 * tmux server with a client attached), and what the person would get is read back from there:
 * the status-line message (capture-pane of their terminal), the bell (an alert-bell hook) and
 * the desktop notification (a fake notify-send on the daemon's PATH).
 */
describe('notifications on the user tmux and the desktop', () => {
  let t: TestEnv;
  let user: UserTmux;
  beforeAll(async () => {
    t = makeTestEnv();
    user = await startUserTmux(t.dir);
    t.env.PATH = `${user.binDir}:${t.env.PATH}`;
    await startScriptedDaemon(t);
  });
  afterAll(async () => {
    await user?.close();
    await t?.cleanup();
  });

  const sends = (title: string) => user.notifySends().filter((argv) => argv.includes(title));
  const onScreen = (text: string) => until(async () => (await user.screen()).includes(text) || undefined, 10_000, `"${text}" on the user's tmux`);

  it('tells the user tmux and the desktop when a turn ends, an ask waits and the session exits, as config.yaml says', async () => {
    const policy = path.join(t.dir, 'ask.yaml');
    fs.writeFileSync(policy, 'policies:\n  - name: careful\n    rules:\n      - when: { command: touch }\n        verdict: ask\n        reason: a human approves new files\n');
    const created = await api<{ session: SessionRecord }>(t, 'POST', '/v1/sessions', { harness: 'scripted', cwd: t.work, env: { ...t.env, ...user.env }, name: 'n', policies: [{ ref: policy }] });
    expect(created.status).toBe(201);
    expect(created.body.session.callerTmux).toEqual({ socket: user.socket, pane: user.pane });
    await waitFor(t, 'n', 'idle');
    // Starting up is not a finished turn.
    await new Promise((r) => setTimeout(r, 300));
    expect(user.notifySends()).toEqual([]);

    // A finished turn: all three channels.
    expect(await sendText(t, 'n', 'hello')).toMatchObject({ verified: true });
    await until(() => sends('omni: n finished its turn').length === 1 || undefined, 10_000, 'notify-send for the turn');
    expect(sends('omni: n finished its turn')[0]).toEqual(['--app-name=omni', '--urgency=normal', 'omni: n finished its turn', 'omni attach n']);
    await onScreen('omni: n finished its turn: omni attach n');
    await until(() => user.bells() >= 1 || undefined, 5000, 'the bell on the user tmux');

    // An omni ask: the id and how to answer it.
    const bellsBefore = user.bells();
    expect(await sendText(t, 'n', 'tool: touch made.txt')).toMatchObject({ verified: true });
    await waitFor(t, 'n', 'waiting');
    const { body } = await api<{ approvals: Array<{ id: string }> }>(t, 'GET', '/v1/approvals?session=n');
    const id = body.approvals[0]!.id;
    const asked = await until(() => sends('omni: n asks')[0], 10_000, 'notify-send for the ask');
    expect(asked).toEqual(['--app-name=omni', '--urgency=critical', 'omni: n asks', `careful: a human approves new files (omni approve ${id} / omni deny ${id})`]);
    await onScreen(`omni: n asks: careful: a human approves new files (omni approve ${id}`);
    await until(() => user.bells() > bellsBefore || undefined, 5000, 'a bell for the ask');
    // Held by omni: not also told as the harness's own dialog.
    expect(user.notifySends().filter((a) => a.includes('omni: n needs you'))).toEqual([]);
    expect((await api(t, 'POST', `/v1/approvals/${id}/approve`, {})).status).toBe(200);
    await waitFor(t, 'n', 'idle');
    await until(() => sends('omni: n finished its turn').length === 2 || undefined, 10_000, 'notify-send for the second turn');

    // $TMUX went to the daemon, never into the agent's environment.
    expect(await sendText(t, 'n', 'tool: env')).toMatchObject({ verified: true });
    await waitFor(t, 'n', 'idle');
    const evs = parseEvents(String((await t.omni(['events', 'n', '--json'])).stdout));
    const envOut = JSON.stringify(evs.filter((e) => e.type === 'tool.result').at(-1)?.data);
    expect(envOut).toContain('PATH=');
    expect(envOut).not.toContain('TMUX');
    expect(envOut).not.toContain(user.socket);
    await until(() => sends('omni: n finished its turn').length === 3 || undefined, 10_000, 'notify-send for the third turn');

    // config.yaml, read at each notification: turns only on the desktop, no bell at all.
    fs.mkdirSync(path.join(t.omniHome, 'config'), { recursive: true });
    fs.writeFileSync(path.join(t.omniHome, 'config', 'config.yaml'), 'notify:\n  events:\n    idle: [desktop]\n  channels:\n    bell: false\n');
    const bells = user.bells();
    expect(await sendText(t, 'n', 'quiet turn')).toMatchObject({ verified: true });
    await waitFor(t, 'n', 'idle');
    await until(() => sends('omni: n finished its turn').length === 4 || undefined, 10_000, 'notify-send for the fourth turn');
    // An exit with a code: message and desktop, still no bell.
    await sendText(t, 'n', 'exit: 3');
    const exited = await until(() => sends('omni: n exited')[0], 10_000, 'notify-send for the exit');
    expect(exited.at(-1)).toMatch(/^exit code 3/);
    await onScreen('omni: n exited: exit code 3');
    await new Promise((r) => setTimeout(r, 500));
    expect(user.bells()).toBe(bells);

    // notify: false turns everything off.
    fs.writeFileSync(path.join(t.omniHome, 'config', 'config.yaml'), 'notify: false\n');
    const count = user.notifySends().length;
    const again = await api<{ session: SessionRecord }>(t, 'POST', '/v1/sessions', { harness: 'scripted', cwd: t.work, env: { ...t.env, ...user.env }, name: 'm' });
    expect(again.status).toBe(201);
    await waitFor(t, 'm', 'idle');
    expect(await sendText(t, 'm', 'hello')).toMatchObject({ verified: true });
    await waitFor(t, 'm', 'idle');
    await new Promise((r) => setTimeout(r, 500));
    expect(user.notifySends().length).toBe(count);
  });
});
