import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { OMNI_JS, claudeEnv, makeTestEnv, pinnedCli, until, type TestEnv } from '../helpers/omni.js';
import { startUserTmux, type UserTmux } from '../helpers/user-tmux.js';

/**
 * When the harness's OWN dialog (not an omni approval) needs a person, with the real pinned
 * Claude Code against the fake model: `omni wait` says so on stderr while it waits and
 * `--for attention` exits 10 (issue 13, item 3); the daemon tells the person's own tmux (status
 * line message, bell) and desktop (a fake notify-send) that the session needs them (item 15).
 */
describe.skipIf(!pinnedCli('claude'))("Claude's own permission dialog needs a person: wait notes, attention exit, notifications", () => {
  let fake: FakeModel;
  let t: TestEnv;
  let user: UserTmux;

  beforeEach(async () => {
    fake = await startFakeModel();
    t = makeTestEnv(claudeEnv(fake.url));
    user = await startUserTmux(t.dir);
    // The daemon runs notify-send from its PATH: the fake one first.
    t.env.PATH = `${user.binDir}:${t.env.PATH}`;
  });

  afterEach(async () => {
    await user?.close();
    await t?.cleanup();
    await fake?.close();
  });

  it('wait notes the dialog at once, --for attention exits 10, the user tmux and desktop are told', async () => {
    const target = path.join(t.work, 'needs-permission.txt');
    fake.script({ match: 'ASK-ME', turns: [{ toolUses: [{ name: 'Bash', input: { command: `touch ${target}`, description: 'touch' } }] }, { text: 'done' }] });

    // The daemon first, from a shell outside tmux: only the session should carry the user's $TMUX.
    expect((await t.omni(['daemon', 'start'])).exitCode).toBe(0);
    // Started from a pane of the user's own tmux, so the session records where to notify.
    // `--permission-mode default`: Claude 2.1.330's default "auto" mode shows no permission
    // dialog (its classifier decides), and that dialog is what this test is about.
    const started = await t.omni(['claude', '--name', 'perm', '--json', '--', '--permission-mode', 'default'], { env: user.env });
    expect(started.exitCode, String(started.stderr)).toBe(0);
    const session = JSON.parse(String(started.stdout)) as SessionRecord;
    expect(session.callerTmux).toEqual({ socket: user.socket, pane: user.pane });
    expect((await t.omni(['wait', 'perm', '--timeout', '60'])).exitCode).toBe(0);
    const sendsBefore = user.notifySends().length;
    const bellsBefore = user.bells();

    // `send && wait`, as a script does: the wait notes the dialog on stderr while it still waits.
    expect((await t.omni(['send', 'perm', 'ASK-ME'])).exitCode).toBe(0);
    const waiter = execa(process.execPath, [OMNI_JS, 'wait', 'perm', '--for', 'idle', '--timeout', '90'], { env: t.env, extendEnv: false, reject: false, cwd: t.work, stdin: 'ignore' });
    let waiterErr = '';
    waiter.stderr.on('data', (d: Buffer) => (waiterErr += d.toString()));
    let waiterDone = false;
    void waiter.then(() => (waiterDone = true));

    const note = /omni: perm waits on a person at its own screen \(([^)]*permission[^)]*)\); attach to answer it: omni attach perm$/m;
    await until(() => note.test(waiterErr) || waiterDone || undefined, 60_000, "the dialog note on the running wait's stderr");
    expect(waiterDone, `the wait ended first: ${waiterErr}`).toBe(false);
    expect(waiterErr).toMatch(note);

    // Waiting on the dialog: --for attention stops at once with 10 and says why.
    const t0 = Date.now();
    const attention = await t.omni(['wait', 'perm', '--for', 'attention', '--timeout', '60']);
    expect(attention.exitCode, String(attention.stderr)).toBe(10);
    expect(String(attention.stderr)).toMatch(note);
    expect(String(attention.stdout)).toMatch(/perm/);
    expect(Date.now() - t0).toBeLessThan(10_000);

    // The person's own tmux and desktop: "needs you", with what Claude asks.
    const title = 'omni: perm needs you';
    const dialog = await until(() => user.notifySends().slice(sendsBefore).find((a) => a.includes(title)), 10_000, 'notify-send for the dialog');
    expect(dialog.slice(0, 3)).toEqual(['--app-name=omni', '--urgency=critical', title]);
    expect(dialog[3]).toMatch(/permission/);
    await until(async () => /omni: perm needs you: .*permission/.test(await user.screen()) || undefined, 10_000, "the dialog message on the user's tmux");
    await until(() => user.bells() > bellsBefore || undefined, 10_000, "a bell on the user's tmux");
    // Claude's own dialog, not an omni ask: no approval was told, and nothing ran yet.
    expect(user.notifySends().filter((a) => a.includes('omni: perm asks'))).toEqual([]);
    expect(fs.existsSync(target)).toBe(false);

    // The person answers at Claude's screen ("1. Yes"): the turn ends and the first wait with it.
    // Claude fires PermissionRequest as it opens the dialog, which can be drawn a second later
    // (measured: +1.05 s on a loaded box) and a key typed before that is dropped: answer, as a
    // person does, what is on the screen, and press again if a key was lost.
    const pane = session.paneId ?? `${session.tmuxSession}:`;
    const dialogUp = async () => /Do you want to proceed\?[\s\S]*❯\s1\. Yes/.test(String((await t.tmux(['capture-pane', '-p', '-t', pane])).stdout));
    await until(() => dialogUp() || undefined, 10_000, "Claude's permission dialog on its screen");
    for (let press = 0; ; press++) {
      expect((await t.tmux(['send-keys', '-t', pane, '1'])).exitCode).toBe(0);
      const gone = await until(async () => !(await dialogUp()) || undefined, 3_000, 'the dialog to close').catch(() => false);
      if (gone) break;
      expect(press, 'the dialog took no key').toBeLessThan(2);
    }
    const done = await waiter;
    expect(done.exitCode, String(done.stderr)).toBe(0);
    await until(() => fs.existsSync(target) || undefined, 10_000, 'the approved touch');
    // Each dialog said once, however many times it was seen waiting.
    const notes = waiterErr.split('\n').filter((l) => note.test(l));
    expect(new Set(notes).size).toBe(notes.length);
    expect((await t.omni(['stop', 'perm'])).exitCode).toBe(0);
  });
});
