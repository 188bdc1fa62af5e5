import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import { OMNI_JS, until, type TestEnv } from '../helpers/omni.js';
import { api, sendText, waitFor } from '../helpers/scripted.js';
import { startTwoHosts } from '../helpers/two-hosts.js';

/**
 * The dashboard and the approvals view across hosts as a person uses them: `omni` in a real
 * terminal (a pane of the user's own tmux, 100 columns), this machine's scripted daemon and a
 * "remote" one reached as a `unix://` host of hosts.json, plus a host that is down. Keys go in
 * with send-keys, the screen comes back with capture-pane.
 */
describe('the dashboard and approvals view across hosts, in a real terminal', () => {
  let near: TestEnv;
  let far: TestEnv;
  let sock: string;
  const user = (args: string[]) => execa('tmux', ['-S', sock, ...args], { reject: false, extendEnv: true });
  const screen = async () => String((await user(['capture-pane', '-p', '-t', 'ui'])).stdout);
  const keys = (...k: string[]) => user(['send-keys', '-t', 'ui', ...k]);
  const untilScreen = (pred: (s: string) => boolean, what: string, ms = 15_000) =>
    until(async () => {
      const s = await screen();
      return pred(s) && s;
    }, ms, what).catch(async (err) => {
      throw new Error(`${(err as Error).message}\n--- screen ---\n${await screen()}`);
    });
  const rowOf = (s: string, name: string) => s.split('\n').find((l) => new RegExp(`^[ ›][ •] ${name}\\b`).test(l));
  const pending = async (t: TestEnv) => (await api<{ approvals: Approval[] }>(t, 'GET', '/v1/approvals')).body.approvals;

  beforeAll(async () => {
    ({ near, far } = await startTwoHosts());
    fs.mkdirSync(path.join(near.omniHome, 'config'), { recursive: true });
    fs.writeFileSync(
      path.join(near.omniHome, 'config', 'hosts.json'),
      JSON.stringify({
        hosts: [
          { name: 'devbox', url: `unix://${path.join(far.omniHome, 'run', 'omni.sock')}` },
          { name: 'dead', url: `unix://${path.join(near.dir, 'nobody', 'omni.sock')}` },
        ],
      }),
    );
    sock = path.join(near.dir, 'user.sock');
    const script = path.join(near.dir, 'dash.sh');
    const exports = Object.entries(near.env).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`);
    fs.writeFileSync(script, [...exports, `cd '${near.work}'`, `'${process.execPath}' '${OMNI_JS}'`, 'echo AFTER-DASHBOARD', 'exec sleep 600', ''].join('\n'));
    const r = await user(['-f', '/dev/null', 'new-session', '-d', '-s', 'ui', '-x', '100', '-y', '32', `sh ${script}`]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await user(['kill-server']);
    await Promise.all([near?.cleanup(), far?.cleanup()]);
  });

  it("shows devbox's session as devbox:there next to the local one, marks the dead host, and previews and sends to the remote session", async () => {
    // One line for the dead host (cut to the width), and the others shown all the same.
    await untilScreen((s) => Boolean(rowOf(s, 'here') && rowOf(s, 'devbox:there')) && /^dead: unreachable: the omni daemon is not running/m.test(s), 'both rows and the dead host');
    // The dead host does not keep the view "connecting": the streams of the others are live.
    await untilScreen((s) => !s.includes('connecting to the daemon') && !s.includes('lost the daemon'), 'the streams live');
    await keys('j');
    await untilScreen((s) => /─ devbox:there \(idle\) ─/.test(s) && /scripted>/.test(s), "devbox's screen in the preview");
    await keys('s');
    await untilScreen((s) => s.includes('send to there:'), 'the send line');
    await user(['send-keys', '-t', 'ui', '-l', 'tool: touch from-dash.txt']);
    await keys('Enter');
    // The ask is devbox's: the dashboard's asks list shows it with its host, counted on its row.
    await until(async () => (await pending(far)).length === 1, 10_000, 'the ask on devbox');
    await untilScreen((s) => /devbox:there/.test(s.split('\n').filter((l) => !rowOf(l, 'devbox:there')).join('\n')) && /touch from-dash\.txt/.test(s), 'the ask in the dashboard');
  }, 60_000);

  it('a opens the approvals view with the remote ask, and a approves it on devbox', async () => {
    const [ask] = await pending(far);
    await keys('a');
    await untilScreen((s) => s.includes('omni approvals') && s.includes('devbox:there') && s.includes(ask!.id), 'the approvals view with the remote ask');
    expect(await screen()).toMatch(/^dead: unreachable: /m);
    await keys('a');
    await until(() => fs.existsSync(path.join(far.work, 'from-dash.txt')), 10_000, 'the approved call run on devbox');
    await untilScreen((s) => s.includes(`approved ${ask!.id} (devbox:there) once`), 'the answer in the view');
    const answered = (await api<{ approvals: Approval[] }>(far, 'GET', '/v1/approvals?all=1')).body.approvals.find((a) => a.id === ask!.id);
    expect(answered?.resolution?.via).toBe('tui');
    await keys('q');
    await untilScreen((s) => Boolean(rowOf(s, 'here')) && !s.includes('omni approvals'), 'back in the dashboard');
    await keys('q');
    await untilScreen((s) => s.includes('AFTER-DASHBOARD'), 'the dashboard gone');
    await waitFor(far, 'there', 'idle');
  }, 60_000);
});
