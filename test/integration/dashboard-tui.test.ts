import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { OMNI_JS, makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { api, createScripted, getSession, pane, sendText, startScriptedDaemon, untilStatus, waitFor } from '../helpers/scripted.js';

/**
 * `omni` (the dashboard) as a person uses it: in a real terminal (a pane of "the user's" own tmux
 * server, 80 columns), against the real daemon and the scripted harness in omni's tmux. Keys go
 * in with send-keys, what is on screen comes back with capture-pane.
 */
describe('the dashboard in a real terminal', () => {
  let t: TestEnv;
  let sock: string;
  let alpha: SessionRecord;
  let beta: SessionRecord;
  const user = (args: string[]) => execa('tmux', ['-S', sock, ...args], { reject: false, extendEnv: true });
  const screen = async () => String((await user(['capture-pane', '-p', '-t', 'ui'])).stdout);
  const keys = (...k: string[]) => user(['send-keys', '-t', 'ui', ...k]);
  const type = (text: string) => user(['send-keys', '-t', 'ui', '-l', text]);
  const untilScreen = (pred: (s: string) => boolean, what: string, ms = 10_000) =>
    until(async () => {
      const s = await screen();
      return pred(s) && s;
    }, ms, what).catch(async (err) => {
      throw new Error(`${(err as Error).message}\n--- screen ---\n${await screen()}`);
    });
  /** The row of a session in the list: its line on screen. */
  const rowOf = (s: string, name: string) => s.split('\n').find((l) => new RegExp(`^[ ›][ •] ${name}\\b`).test(l));

  beforeAll(async () => {
    t = makeTestEnv();
    await startScriptedDaemon(t);
    alpha = await createScripted(t, { name: 'alpha' });
    beta = await createScripted(t, { name: 'beta' });
    await waitFor(t, 'alpha', 'idle');
    await waitFor(t, 'beta', 'idle');
    sock = path.join(t.dir, 'user.sock');
    const script = path.join(t.dir, 'dash.sh');
    const exports = Object.entries(t.env).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`);
    fs.writeFileSync(script, [...exports, `cd '${t.work}'`, 'echo BEFORE-DASHBOARD', `'${process.execPath}' '${OMNI_JS}'`, 'echo AFTER-DASHBOARD', 'exec sleep 600', ''].join('\n'));
    const r = await user(['-f', '/dev/null', 'new-session', '-d', '-s', 'ui', '-x', '80', '-y', '30', `sh ${script}`]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await user(['kill-server']);
    await t?.cleanup();
  });

  it('fits 80 columns with the spend, and previews the selected session live', async () => {
    const s = await untilScreen((s) => Boolean(rowOf(s, 'alpha') && rowOf(s, 'beta') && /scripted>/.test(s)), 'both rows and the preview');
    for (const name of ['alpha', 'beta']) expect(rowOf(s, name), s).toMatch(/ (-|\$[0-9.]+)\s*$/); // the spend ("-": nothing spent yet), on the row's own line
    expect(s).toMatch(/─ alpha \(idle\) ─/);
    // The preview follows the pane: something typed in alpha's own pane shows in the dashboard.
    await sendText(t, 'alpha', 'from outside');
    await untilScreen((s) => s.includes('echo: from outside'), 'the preview to show the new answer');
    await keys('j');
    await untilScreen((s) => /─ beta \(idle\) ─/.test(s) && !s.includes('echo: from outside'), "beta's screen in the preview");
    await keys('k');
    await untilScreen((s) => /─ alpha \(/.test(s), 'back on alpha');
  }, 60_000);

  it('s sends a prompt to the selected session; / filters', async () => {
    await keys('s');
    await untilScreen((s) => s.includes('send to alpha:'), 'the send line');
    await type('typed in the dashboard');
    await keys('Enter');
    await until(async () => (await pane(t, alpha)).includes('echo: typed in the dashboard'), 10_000, 'the answer in alpha');
    await untilScreen((s) => s.includes('sent to alpha') && s.includes('echo: typed in the dashboard'), 'the message and the preview');

    await keys('/');
    await type('bet');
    await untilScreen((s) => Boolean(rowOf(s, 'beta')) && !rowOf(s, 'alpha') && s.includes('/bet (1 shown)'), 'only beta');
    await keys('Escape');
    await untilScreen((s) => Boolean(rowOf(s, 'alpha') && rowOf(s, 'beta')), 'the filter cleared');
  }, 60_000);

  it('space marks sessions and s broadcasts one prompt to each', async () => {
    await keys('k'); // the filter left beta selected
    await untilScreen((s) => (rowOf(s, 'alpha') ?? '').startsWith('›'), 'alpha selected');
    await keys('Space');
    await keys('j');
    await keys('Space');
    await untilScreen((s) => s.includes('2 marked'), 'two marked');
    await keys('s');
    await untilScreen((s) => s.includes('send to alpha, beta:'), 'the broadcast line');
    await type('to both');
    await keys('Enter');
    await untilScreen((s) => s.includes('sent to alpha, beta'), 'the broadcast result');
    for (const rec of [alpha, beta]) await until(async () => (await pane(t, rec)).includes('echo: to both'), 10_000, `the broadcast in ${rec.name}`);
    await keys('*'); // all marked: * clears the marks
    await untilScreen((s) => !s.includes('marked'), 'the marks cleared');
  }, 60_000);

  it('i interrupts a busy session; r renames it', async () => {
    await keys('k'); // alpha
    await sendText(t, 'alpha', 'sleep: 60');
    await untilStatus(t, 'alpha', 'running');
    await untilScreen((s) => / running /.test(rowOf(s, 'alpha') ?? ''), 'alpha running');
    await keys('i');
    const idle = await waitFor(t, 'alpha', 'idle', 10);
    expect(idle.statusReason).toBe('interrupted');

    await keys('r');
    await untilScreen((s) => s.includes('rename to: alpha'), 'the rename line');
    for (let i = 0; i < 5; i++) await keys('BSpace');
    await type('gamma');
    await keys('Enter');
    await until(async () => (await getSession(t, alpha.id)).name === 'gamma', 5000, 'the rename');
    await untilScreen((s) => Boolean(rowOf(s, 'gamma')), 'the new name in the list');
  }, 60_000);

  it('n starts a session from the harness picker; x stops one', async () => {
    await keys('n');
    await untilScreen((s) => /new session:.*scripted/.test(s), 'the picker');
    const names = ((await api<{ harnesses: Array<{ name: string }> }>(t, 'GET', '/v1/harnesses')).body.harnesses ?? []).map((h) => h.name);
    for (let i = 0; i < names.indexOf('scripted'); i++) await keys('Right');
    await keys('Enter');
    const started = await until(async () => (await t.omniJson<SessionRecord[]>(['ls'])).find((s) => s.harness === 'scripted' && !['gamma', 'beta'].includes(s.name)), 15_000, 'a new session');
    expect(started.cwd).toBe(t.work);
    // At 80 columns the name column shows 9 cells: a longer name ends in "…" (scripted-1 → scripted…).
    const shown = started.name.length > 9 ? `${started.name.slice(0, 8)}…` : started.name;
    const rowShowing = (s: string) => s.split('\n').find((l) => /^[ ›][ •] /.test(l) && l.slice(3).startsWith(`${shown} `));
    await untilScreen((s) => s.includes(`started ${started.name}`) && (rowShowing(s) ?? '').length > 0, 'the new row, selected');

    await keys('x');
    await untilScreen((s) => s.includes(`stop ${started.name}? y/n`), 'the confirmation');
    await keys('y');
    await untilStatus(t, started.id, 'exited');
    await untilScreen((s) => !rowShowing(s), 'the row gone');
  }, 60_000);

  it('a opens the approvals view; q there comes back to a fresh dashboard', async () => {
    await keys('a');
    await untilScreen((s) => s.includes('omni approvals') && !s.includes('SESSION'), 'the approvals view alone');
    await keys('q');
    const back = await untilScreen((s) => s.includes('omni · ') && Boolean(rowOf(s, 'beta')), 'the dashboard again');
    expect(back).not.toContain('omni approvals');
    expect(back).not.toContain('No pending approvals');
  }, 60_000);

  it('omni rename and the screen endpoint, as scripts use them', async () => {
    const r = await t.omni(['rename', 'beta', 'bee']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toContain(`renamed beta to bee (${beta.id})`);
    await untilScreen((s) => Boolean(rowOf(s, 'bee')), 'the new name, from the event stream');
    expect((await t.omni(['rename', 'bee', 'bad name'])).exitCode).toBe(2);
    expect((await t.omni(['rename', 'bee', 'gamma'])).exitCode).toBe(2); // a live session has it
    const evs = String((await t.omni(['events', 'bee', '--json'])).stdout).trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: unknown });
    expect(evs.filter((e) => e.type === 'session.renamed').map((e) => e.data)).toEqual([{ name: 'bee', previous: 'beta' }]);
    const scr = await api<{ text: string; status: string }>(t, 'GET', '/v1/sessions/bee/screen');
    expect(scr.status).toBe(200);
    expect(scr.body.text).toMatch(/scripted>$/);
    const ended = (await t.omniJson<SessionRecord[]>(['ls', '--all'])).find((s) => s.status === 'exited');
    expect((await api(t, 'GET', `/v1/sessions/${ended!.id}/screen`)).status).toBe(409);
  }, 60_000);

  it('Enter attaches; detaching comes back to a fresh dashboard; q leaves the shell screen as it was', async () => {
    await keys('Enter');
    await untilScreen((s) => !s.includes('omni ·') && /scripted>/.test(s), "the session's own pane");
    // The person presses the prefix and d; from outside, the same detach.
    const clients = await until(async () => String((await t.tmux(['list-clients', '-F', '#{client_name}'])).stdout).split('\n').filter(Boolean), 5000, 'the attached client');
    for (const c of clients) await t.tmux(['detach-client', '-t', c]);
    const back = await untilScreen((s) => s.includes('detached from'), 'the dashboard again');
    expect(back.match(/omni · /g)?.length, back).toBe(1);
    await keys('q');
    const after = await untilScreen((s) => s.includes('AFTER-DASHBOARD'), 'the shell again');
    // The alternate screen: nothing of the dashboard is left on the shell's screen.
    expect(after).toContain('BEFORE-DASHBOARD');
    expect(after).not.toMatch(/omni · |SESSION|HARNESS|─ \w+ \(/);
  }, 60_000);
});
