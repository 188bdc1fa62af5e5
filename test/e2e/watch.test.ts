import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents } from '../helpers/events.js';
import { OMNI_JS, claudeEnv, makeTestEnv, pinnedCli, until, type TestEnv } from '../helpers/omni.js';

/**
 * `omni watch`: a read-only tmux client on the session (real Claude Code, fake model). The
 * person's terminals are panes of a tmux server of their own: the watcher runs inside it (TMUX
 * set, a nested client), the driver outside any tmux (TMUX unset). Keys typed into the
 * watcher's terminal never reach the agent, while the driver's do (so the check can fail).
 */
describe.skipIf(!pinnedCli('claude'))('omni watch (real claude, fake model)', () => {
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

  const user = (args: string[]) => execa('tmux', ['-S', userTmux, '-f', '/dev/null', ...args], { reject: false, extendEnv: true });
  const terminal = async (name: string) => String((await user(['capture-pane', '-p', '-t', `=${name}:`])).stdout);

  it("shows the pane live, drops the watcher's keys, and omni ls says who is attached and how", async () => {
    fake.script({ match: 'SHOW-THE-WATCHER', turns: [{ text: 'REPLY-THE-WATCHER-SEES' }] });
    const s = await t.omniJson<SessionRecord>(['claude', '--name', 'w']);
    expect((await t.omni(['wait', 'w', '--timeout', '90'])).exitCode).toBe(0);
    const agentPane = async () => String((await t.tmux(['capture-pane', '-p', '-t', `=${s.tmuxSession}:`])).stdout);

    // Nobody attached: no clients on the record, no ATTACHED column.
    expect((await t.omniJson<SessionRecord[]>(['ls']))[0]!.clients).toBeUndefined();
    expect(String((await t.omni(['ls'])).stdout)).not.toContain('ATTACHED');

    const envArgs = Object.entries(t.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    await user(['new-session', '-d', '-s', 'watcher', '-x', '160', '-y', '45', ...envArgs, 'sh']);
    await user(['new-session', '-d', '-s', 'driver', '-x', '160', '-y', '45', ...envArgs, 'sh']);
    await user(['send-keys', '-t', '=watcher:', '-l', `cd ${t.work} && ${process.execPath} ${OMNI_JS} watch w; echo "watch-exit=$?"`]);
    await user(['send-keys', '-t', '=watcher:', 'Enter']);
    await until(async () => /Claude Code v\d/.test(await terminal('watcher')), 20_000, "Claude's screen in the watcher's terminal");

    const watched = (await t.omniJson<SessionRecord[]>(['ls']))[0]!;
    expect(watched.clients).toEqual([{ user: expect.any(String), mode: 'watch', tty: expect.stringMatching(/^\/dev\//) }]);
    expect(String((await t.omni(['ls'])).stdout)).toMatch(/ATTACHED[\s\S]*1 \(1 watching\)/);

    // Keys typed into the watcher's terminal: tmux drops them (a read-only client).
    await user(['send-keys', '-t', '=watcher:', '-l', 'TYPED-BY-WATCHER']);
    await user(['send-keys', '-t', '=watcher:', 'Enter']);

    // The driver attaches from outside any tmux and types: its keys do reach the input box.
    await user(['send-keys', '-t', '=driver:', '-l', `cd ${t.work} && env -u TMUX -u TMUX_PANE ${process.execPath} ${OMNI_JS} attach w; echo "attach-exit=$?"`]);
    await user(['send-keys', '-t', '=driver:', 'Enter']);
    await until(async () => /Claude Code v\d/.test(await terminal('driver')), 20_000, "Claude's screen in the driver's terminal");
    const both = (await t.omniJson<SessionRecord[]>(['ls']))[0]!;
    expect(both.clients?.map((c) => c.mode).sort()).toEqual(['drive', 'watch']);
    expect(String((await t.omni(['ls'])).stdout)).toContain('2 (1 watching)');
    await user(['send-keys', '-t', '=driver:', '-l', 'TYPED-BY-DRIVER']);
    await until(async () => /TYPED-BY-DRIVER/.test(await agentPane()), 10_000, "the driver's keys in the agent's input box");
    expect(await agentPane()).not.toContain('TYPED-BY-WATCHER');
    // Clear what the driver typed (Claude's input box: C-u clears the line) before the next prompt.
    await user(['send-keys', '-t', '=driver:', 'C-u']);
    await until(async () => !/TYPED-BY-DRIVER/.test(await agentPane()), 10_000, 'the input box cleared');

    // The watcher sees new output live.
    expect((await t.omni(['send', 'w', 'please SHOW-THE-WATCHER'])).exitCode).toBe(0);
    await until(async () => /REPLY-THE-WATCHER-SEES/.test(await terminal('watcher')), 30_000, 'the reply on the watcher\'s screen');
    expect((await t.omni(['wait', 'w', '--timeout', '90'])).exitCode).toBe(0);

    // Nothing the watcher typed reached the agent or the model.
    const prompts = parseEvents((await t.omni(['events', 'w', '--json'])).stdout).filter((e) => e.type === 'message.user').map((e) => JSON.stringify(e.data));
    expect(prompts.join('\n')).toContain('SHOW-THE-WATCHER');
    expect(prompts.join('\n')).not.toContain('TYPED-BY-WATCHER');
    expect(fake.requests.map((r) => JSON.stringify(r.body ?? '')).join('\n')).not.toContain('TYPED-BY-WATCHER');

    // The watcher leaves the way any tmux client does (prefix d; send-keys skips the outer bindings).
    await user(['send-keys', '-t', '=watcher:', 'C-b', 'd']);
    await until(async () => /watch-exit=0/.test(await terminal('watcher')), 20_000, 'omni watch to return after detaching');
    expect((await t.omniJson<SessionRecord[]>(['ls']))[0]!.clients?.map((c) => c.mode)).toEqual(['drive']);
  });
});
