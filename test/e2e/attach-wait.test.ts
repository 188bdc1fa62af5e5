import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { OMNI_JS, claudeEnv, makeTestEnv, until, type TestEnv } from '../helpers/omni.js';

describe('attach, wait and events around a real Claude Code session', () => {
  let fake: FakeModel;
  let t: TestEnv;
  let userTmux: string;

  beforeEach(async () => {
    fake = await startFakeModel();
    t = makeTestEnv(claudeEnv(fake.url));
    userTmux = path.join(t.dir, 'user-tmux.sock');
  });
  afterEach(async () => {
    await execa('tmux', ['-S', userTmux, 'kill-server'], { reject: false });
    await t.cleanup();
    await fake.close();
  });

  it('wait times out with 124, ends with 6 once the session is gone; events read plainly', async () => {
    await t.omniJson<SessionRecord>(['claude', '--name', 'w']);
    expect((await t.omni(['wait', 'w', '--timeout', '60'])).exitCode).toBe(0);
    const timeout = await t.omni(['wait', 'w', '--for', 'waiting', '--timeout', '1']);
    expect(timeout.exitCode).toBe(124);
    // The message says the 1 s timeout fired (no wall-clock bound: a loaded machine took 10.8 s to run the command).
    expect(String(timeout.stderr)).toMatch(/timed out after 1s waiting for w to be waiting \(it is idle\)/);

    // A follower sees new events live and ends by itself when the session exits.
    const follower = t.omni(['events', 'w', '--follow', '--json', '--since', '1']);
    const pending = t.omni(['wait', 'w', '--for', 'running', '--timeout', '60']);
    await new Promise((r) => setTimeout(r, 300));
    expect((await t.omni(['stop', 'w'])).exitCode).toBe(0);
    const ended = await pending;
    expect(ended.exitCode).toBe(6);
    expect(String(ended.stderr)).toMatch(/exited before becoming running/);
    const followed = await follower;
    expect(followed.exitCode).toBe(0);
    const types = String(followed.stdout)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { seq: number; type: string });
    expect(types[0]!.seq).toBe(2);
    expect(types.map((e) => e.type)).toContain('session.status');
    expect(types.at(-1)!.type).toBe('session.exited');
    const after = await t.omni(['wait', 'w', '--for', 'idle']);
    expect(after.exitCode).toBe(6);

    const human = await t.omni(['events', 'w']);
    expect(human.exitCode).toBe(0);
    const lines = String(human.stdout).split('\n');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d #1 started claude in /);
    expect(String(human.stdout)).toMatch(/#\d+ status idle/);
    expect(String(human.stdout)).toMatch(/#\d+ exited — stopped by omni stop/);
    expect(String(human.stdout)).not.toMatch(/\x1b\[/); // not a TTY: no colour codes
  });

  it("attaches from inside the user's own tmux (nested) and detaches with prefix prefix d", async () => {
    const s = await t.omniJson<SessionRecord>(['claude', '--name', 'att']);
    expect((await t.omni(['wait', 'att', '--timeout', '60'])).exitCode).toBe(0);

    // The user's own tmux server, with a shell in it; TMUX is set inside, as for a real user.
    const envArgs = Object.entries(t.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    await execa('tmux', ['-S', userTmux, '-f', '/dev/null', 'new-session', '-d', '-s', 'mine', '-x', '160', '-y', '45', ...envArgs, 'sh'], { extendEnv: true });
    const userPane = async () => String((await execa('tmux', ['-S', userTmux, 'capture-pane', '-p', '-t', 'mine'], { reject: false })).stdout);
    await execa('tmux', ['-S', userTmux, 'send-keys', '-t', 'mine', '-l', `cd ${t.work} && ${process.execPath} ${OMNI_JS} attach att; echo "attach-exit=$?"`]);
    await execa('tmux', ['-S', userTmux, 'send-keys', '-t', 'mine', 'Enter']);

    // Claude's screen shows up inside the user's pane.
    await until(async () => /Claude Code v\d/.test(await userPane()), 20_000, "Claude's screen in the user's tmux");
    const clients = await t.tmux(['list-clients', '-F', '#{client_session}']);
    expect(String(clients.stdout).trim()).toBe(s.id);

    // A person presses C-b C-b d: the outer tmux turns C-b C-b into one C-b for the pane (its
    // send-prefix binding). send-keys writes to the pane directly, past the outer bindings, so
    // what the pane receives is sent here: C-b d, which detaches the nested omni client.
    await execa('tmux', ['-S', userTmux, 'send-keys', '-t', 'mine', 'C-b', 'd']);
    await until(async () => /attach-exit=0/.test(await userPane()), 20_000, 'omni attach to return after detaching');
    const ls = await t.omniJson<SessionRecord[]>(['ls']);
    expect(ls.find((x) => x.name === 'att')?.status).toBe('idle'); // detaching leaves the agent running
  });
});
