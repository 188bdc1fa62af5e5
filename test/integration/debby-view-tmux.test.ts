import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import type { DebbyRun } from '../../src/debby/types.js';
import { OMNI_JS, makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { api, createScripted, getSession, startScriptedDaemon, untilPrompt, waitFor } from '../helpers/scripted.js';

const RUN = 'd_tmuxview';

/**
 * `omni debby view` as a person uses it: in a real terminal (a pane of "the user's" own tmux
 * server, 100 columns), against the real daemon with a Debby run whose two heads are scripted
 * sessions in omni's tmux (they answer `echo: <prompt>`). The run is seeded in
 * `$OMNI_HOME/debby/` before the daemon starts, as the daemon keeps it, with one exchange
 * already answered. Keys go in with send-keys, the screen comes back with capture-pane.
 */
describe('the Debby view in a real terminal', () => {
  let t: TestEnv;
  let sock: string;
  let heads: SessionRecord[];
  const user = (args: string[]) => execa('tmux', ['-S', sock, ...args], { reject: false, extendEnv: true });
  const screen = async () => String((await user(['capture-pane', '-p', '-t', 'ui'])).stdout);
  const keys = (...k: string[]) => user(['send-keys', '-t', 'ui', ...k]);
  const type = (text: string) => user(['send-keys', '-t', 'ui', '-l', text]);
  const untilScreen = (pred: (s: string) => boolean, what: string, ms = 15_000) =>
    until(async () => {
      const s = await screen();
      return pred(s) && s;
    }, ms, what).catch(async (err) => {
      throw new Error(`${(err as Error).message}\n--- screen ---\n${await screen()}`);
    });
  /** The screen line that has both texts: the two columns side by side. */
  const sideBySide = (s: string, a: string, b: string) => s.split('\n').find((l) => l.indexOf(a) !== -1 && l.indexOf(a) < l.indexOf('│') && l.indexOf('│') < l.lastIndexOf(b));
  /** Nothing under way: the view takes a question (a refused one would stay on the line). */
  const ready = (s: string) => !/asking…|debating…|answering…/.test(s);
  const getRun = async () => (await api<{ run: DebbyRun }>(t, 'GET', `/v1/debby/${RUN}`)).body.run;

  beforeAll(async () => {
    t = makeTestEnv();
    await startScriptedDaemon(t);
    heads = [
      await createScripted(t, { name: 'debby-1-scripted', tags: ['debby', `debby-${RUN}`] }),
      await createScripted(t, { name: 'debby-1-scripted-2', tags: ['debby', `debby-${RUN}`] }),
    ];
    for (const h of heads) {
      await waitFor(t, h.id, 'idle');
      await untilPrompt(t, h); // no hook in flight when the daemon stops
    }
    // The daemon reads its Debby runs when it starts: stop it, seed the run, start it again (it adopts the heads).
    await api(t, 'POST', '/v1/daemon/stop');
    await until(async () => api(t, 'GET', '/v1/daemon').then(() => false, () => true), 10_000, 'the daemon to stop');
    const at = new Date().toISOString();
    const run: DebbyRun = {
      id: RUN,
      createdAt: at,
      cwd: t.work,
      heads: heads.map((h, i) => ({ label: i ? `scripted-${i + 1}` : 'scripted', harness: 'scripted', session: h.id, name: h.name })),
      synth: 'scripted',
      status: 'live',
      exchanges: [
        {
          n: 1,
          kind: 'ask',
          prompt: 'how should the workers share the cache?',
          startedAt: at,
          endedAt: at,
          answers: [
            { head: 'scripted', text: 'Guard the shared cache with a mutex.' },
            { head: 'scripted-2', text: 'Guard the shared cache with a channel.' },
          ],
        },
      ],
    };
    fs.mkdirSync(path.join(t.omniHome, 'debby'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(t.omniHome, 'debby', `${RUN}.json`), JSON.stringify(run, null, 2), { mode: 0o600 });
    await startScriptedDaemon(t);
    for (const h of heads) await waitFor(t, h.id, 'idle');

    sock = path.join(t.dir, 'user.sock');
    const script = path.join(t.dir, 'view.sh');
    const exports = Object.entries(t.env).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`);
    fs.writeFileSync(script, [...exports, `cd '${t.work}'`, `'${process.execPath}' '${OMNI_JS}' debby view`, 'echo "AFTER-VIEW rc=$?"', 'exec sleep 600', ''].join('\n'));
    const r = await user(['-f', '/dev/null', 'new-session', '-d', '-s', 'ui', '-x', '100', '-y', '30', `sh ${script}`]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
  }, 90_000);
  afterAll(async () => {
    await user(['kill-server']);
    await t?.cleanup();
  });

  it('draws the latest run (no RUN given) with a column per head side by side, the agreement line and the costs', async () => {
    const s = await untilScreen(
      (s) => Boolean(sideBySide(s, 'Guard the shared cache with a mutex.', 'Guard the shared cache with a channel.') && sideBySide(s, 'idle', 'idle')),
      'both answers side by side, and the heads idle',
    );
    expect(s).toMatch(new RegExp(`omni debby ${RUN} · live · 2 heads · total \\$0`));
    expect(s).toContain('question: how should the workers share the cache?');
    expect(sideBySide(s, 'scripted ·', 'scripted-2 (scripted) ·')).toMatch(/scripted · idle · \$0 · synth\s+│ scripted-2 \(scripted\) · idle · \$0/);
    expect(sideBySide(s, 'ask 1', 'ask 1')).toBeTruthy();
    // {guard, shared, cache, mutex} and {guard, shared, cache, channel}: 3 words of 5.
    expect(s).toContain('agree 60% · only scripted: mutex · only scripted-2: channel');
    for (const l of s.split('\n')) expect(l.length).toBeLessThanOrEqual(100);
  }, 30_000);

  it('a line typed in the view is a question to every head; both answers show side by side; input waits while they answer', async () => {
    await type('sleep: 2');
    await keys('Enter');
    await untilScreen((s) => s.includes('asking…'), 'asking…');
    await type('too soon');
    await keys('Enter');
    await untilScreen((s) => s.includes('one exchange at a time') && s.includes('› too soon'), 'the line refused and kept');
    await untilScreen((s) => Boolean(sideBySide(s, 'slept 2s', 'slept 2s')) && ready(s), 'both heads slept');
    expect((await getRun()).exchanges.map((x) => x.prompt)).toEqual(['how should the workers share the cache?', 'sleep: 2']);

    for (let i = 0; i < 'too soon'.length; i++) await keys('BSpace');
    await type('what is six times seven?');
    await keys('Enter');
    const s = await untilScreen((s) => Boolean(sideBySide(s, 'echo: what is six times seven?', 'echo: what is six times seven?')) && ready(s), 'both echoes side by side');
    expect(s).toContain('question: what is six times seven?');
    expect(sideBySide(s, 'ask 3', 'ask 3')).toBeTruthy();
    const run = await getRun();
    expect(run.exchanges[2]).toMatchObject({ kind: 'ask', prompt: 'what is six times seven?' });
    expect(run.exchanges[2]!.answers.map((a) => a.text)).toEqual(['echo: what is six times seven?', 'echo: what is six times seven?']);
  }, 60_000);

  it('/debate runs a round and a synthesis: the synth head shows it, the other its critique', async () => {
    await type('/debate');
    await keys('Enter');
    await untilScreen((s) => s.includes('debating…'), 'debating…');
    const s = await untilScreen((s) => ready(s) && Boolean(sideBySide(s, 'synthesis', 'debate round 1')), 'the synthesis beside the critique', 60_000);
    expect(s).not.toContain('failed');
    // The synthesis (the scripted head echoes its whole prompt) is longer than the screen: its
    // last lines are shown and the frame still fits, header and input line included.
    expect(s.split('\n')[0]).toMatch(new RegExp(`^omni debby ${RUN} · live`));
    expect(s).toMatch(/… \d+ lines above/);
    expect(s).toMatch(/^›/m);
    const run = await getRun();
    expect(run.exchanges.map((x) => x.kind)).toEqual(['ask', 'ask', 'ask', 'critique', 'synthesis']);
    expect(run.exchanges[4]!.answers.map((a) => a.head)).toEqual(['scripted']);
  }, 90_000);

  it('/quit leaves the view; the heads keep running', async () => {
    await type('/quit');
    await keys('Enter');
    const s = await untilScreen((s) => s.includes('AFTER-VIEW rc=0'), 'the shell after the view');
    expect(s).not.toContain('omni debby'); // the alternate screen is gone with the view
    for (const h of heads) expect((await getSession(t, h.id)).status).toBe('idle');
    expect((await getRun()).status).toBe('live');
  }, 30_000);
});
