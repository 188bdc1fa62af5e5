import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import { makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { api, createScripted, pane, sendText, startScriptedDaemon, untilStatus, waitFor } from '../helpers/scripted.js';

/**
 * The verbs and errors a new user hits, typed as the user types them (the real `omni` binary),
 * against the real daemon with the scripted harness in real tmux: approving by session or all
 * at once (each through the approval gate), `stop` on an ended session, `--policy` with a
 * missing file, commander's own errors, and the human `omni events` view.
 */
describe('omni verbs as a new user types them', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = makeTestEnv();
    await startScriptedDaemon(t);
    fs.writeFileSync(
      path.join(t.dir, 'ask.yaml'),
      ['policies:', '  - name: asker', '    rules:', '      - when: { command: touch }', '        verdict: ask', '        reason: a human approves new files', ''].join('\n'),
    );
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const pending = async (session?: string) =>
    (await api<{ approvals: Approval[] }>(t, 'GET', `/v1/approvals${session ? `?session=${session}` : ''}`)).body.approvals;
  /** A session with the asking policy, idle. */
  const asking = async (name: string) => {
    const rec = await createScripted(t, { name, policies: [{ ref: path.join(t.dir, 'ask.yaml') }] });
    await waitFor(t, name, 'idle');
    return rec;
  };
  /** Send a prompt whose tool calls ask, and wait until `n` asks of the session are pending. */
  const ask = async (name: string, prompt: string, n: number) => {
    await sendText(t, name, prompt);
    await until(async () => (await pending(name)).length === n, 10_000, `${n} pending asks in ${name}`);
  };

  it('approves a session\'s single ask by the session\'s name, and lists several instead of guessing (exit 2)', async () => {
    await asking('one');
    await ask('one', 'tool: touch one.txt', 1);
    const [a] = await pending('one');
    const r = await t.omni(['approve', 'one']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toBe(`approved ${a!.id} (one) once`);
    await waitFor(t, 'one', 'idle');
    expect(fs.existsSync(path.join(t.work, 'one.txt'))).toBe(true);
    const none = await t.omni(['approve', 'one']);
    expect(none.exitCode).toBe(3);
    expect(String(none.stderr)).toBe('omni: no pending ask in session one');

    await asking('two');
    await ask('two', 'tools: touch two-a.txt ;; touch two-b.txt', 2);
    const ids = (await pending('two')).map((x) => x.id);
    const several = await t.omni(['approve', 'two']);
    expect(several.exitCode).toBe(2);
    expect(String(several.stderr)).toMatch(new RegExp(`^omni: session two has 2 pending asks: approve one by its id \\(${ids.join(', ')}\\), or all of them with omni approve --all two$`));
    for (const id of ids) expect(String(several.stdout)).toContain(id); // the listing, to pick from
    expect(await pending('two')).toHaveLength(2); // nothing answered
    const json = await t.omni(['deny', 'two', '--json']);
    expect(json.exitCode).toBe(2);
    expect((JSON.parse(String(json.stdout)) as Approval[]).map((x) => x.id)).toEqual(ids);

    const d = await t.omni(['deny', '--all', '--session', 'two', '--reason', 'not today']);
    expect(d.exitCode, String(d.stderr)).toBe(0);
    expect(String(d.stdout).split('\n')).toEqual(ids.map((id) => `denied ${id} (two) (reason: not today)`));
    await waitFor(t, 'two', 'idle');
    expect(await pane(t, (await api<{ session: never }>(t, 'GET', '/v1/sessions/two')).body.session)).toMatch(/PreTool call_\d+ answered exit 2: .*not today/);
    expect(fs.existsSync(path.join(t.work, 'two-a.txt')) || fs.existsSync(path.join(t.work, 'two-b.txt'))).toBe(false);
  });

  it('approves --all across sessions or of one session, and each answer still passes the approval gate', async () => {
    await asking('x');
    await asking('y');
    await ask('x', 'tools: touch x1.txt ;; touch x2.txt', 2);
    await ask('y', 'tool: touch y1.txt', 1);
    const before = await pending();
    expect(before).toHaveLength(3);

    // From a process carrying a live session's environment (an agent), --all answers nothing.
    const x = (await api<{ session: { id: string } }>(t, 'GET', '/v1/sessions/x')).body.session;
    const agent = await t.omni(['approve', '--all'], { env: { OMNI_SESSION_ID: x.id } });
    expect(agent.exitCode).toBe(8);
    expect(String(agent.stderr)).toMatch(/^omni: approval refused: .*carries session x's environment/);
    expect(await pending()).toHaveLength(3);

    const onlyX = await t.omni(['approve', '--all', '--session', 'x', '--json']);
    expect(onlyX.exitCode, String(onlyX.stderr)).toBe(0);
    const answered = JSON.parse(String(onlyX.stdout)) as Approval[];
    expect(answered.map((a) => [a.sessionName, a.status, a.resolution?.scope, a.resolution?.via])).toEqual([
      ['x', 'approved', 'once', 'cli'],
      ['x', 'approved', 'once', 'cli'],
    ]);
    await waitFor(t, 'x', 'idle');
    expect(fs.existsSync(path.join(t.work, 'x1.txt')) && fs.existsSync(path.join(t.work, 'x2.txt'))).toBe(true);
    expect((await pending()).map((a) => a.sessionName)).toEqual(['y']);

    const rest = await t.omni(['approve', '--all']);
    expect(rest.exitCode, String(rest.stderr)).toBe(0);
    expect(String(rest.stdout)).toMatch(/^approved ap_\S+ \(y\) once$/);
    await waitFor(t, 'y', 'idle');
    expect(fs.existsSync(path.join(t.work, 'y1.txt'))).toBe(true);
    const nothing = await t.omni(['approve', '--all']);
    expect([nothing.exitCode, String(nothing.stdout)]).toEqual([0, 'nothing pending']);

    // The old spelling still approves by id for the rest of the session.
    await ask('y', 'tool: touch y2.txt', 1);
    const [y2] = await pending('y');
    const old = await t.omni(['approve', '--session', y2!.id]);
    expect([old.exitCode, String(old.stdout)]).toEqual([0, `approved ${y2!.id} (y) for the rest of the session`]);
  });

  it('says a session had already ended when stopped again, and exits 0', async () => {
    await createScripted(t, { name: 'st' });
    await waitFor(t, 'st', 'idle');
    const first = await t.omni(['stop', 'st']);
    expect(first.exitCode).toBe(0);
    expect(String(first.stdout)).toMatch(/^stopped st \(s_\w+\) scripted exited/);
    const again = await t.omni(['stop', 'st']);
    expect(again.exitCode, String(again.stderr)).toBe(0);
    // The reason is "stopped by omni stop", unless a supervision poll saw the pane go first.
    expect(String(again.stdout)).toMatch(/^st \(s_\w+\) had already ended — (stopped by omni stop|the tmux session is gone); nothing to stop$/);
    const json = JSON.parse(String((await t.omni(['stop', 'st', '--json'])).stdout)) as { status: string; alreadyEnded?: boolean };
    expect(json).toMatchObject({ status: 'exited', alreadyEnded: true });
    expect((await t.omni(['stop', 'nosuch'])).exitCode).toBe(3);
  });

  it('names a missing --policy file as the user typed it, and still finds named policies in the config dir', async () => {
    await createScripted(t, { name: 'pol' });
    await waitFor(t, 'pol', 'idle');
    for (const ref of ['./nope.yaml', 'nope.yaml', 'sub/nope.yml']) {
      const r = await t.omni(['policy', 'add', 'pol', ref]);
      expect(r.exitCode).toBe(2);
      expect(String(r.stderr)).toBe(`omni: no such file ${ref} (${path.join(t.work, ref)})`);
      expect(String(r.stderr)).not.toMatch(/\.ya?ml\.yaml/);
    }
    const start = await t.omni(['claude', '--policy', './nope.yaml', '--detach']);
    expect([start.exitCode, String(start.stderr)]).toEqual([2, `omni: no such file ./nope.yaml (${path.join(t.work, 'nope.yaml')})`]);
    expect((await api<{ sessions: Array<{ harness: string }> }>(t, 'GET', '/v1/sessions?all=1')).body.sessions.filter((x) => x.harness === 'claude')).toEqual([]);
    fs.mkdirSync(path.join(t.omniHome, 'config', 'policies'), { recursive: true });
    fs.copyFileSync(path.join(t.dir, 'ask.yaml'), path.join(t.omniHome, 'config', 'policies', 'team.yaml'));
    const named = await t.omni(['policy', 'add', 'pol', 'team', '--json']);
    expect(named.exitCode, String(named.stderr)).toBe(0);
    expect(JSON.parse(String(named.stdout))).toMatchObject({ added: { source: path.join(t.omniHome, 'config', 'policies', 'team.yaml') } });
    const unknown = await t.omni(['policy', 'add', 'pol', 'teem']);
    expect([unknown.exitCode, String(unknown.stderr)]).toEqual([2, expect.stringMatching(/^omni: unknown policy "teem" \(did you mean "team"\?\)/)]);
  });

  it('renders tool results and approvals as text in the human events view (and --json unchanged)', async () => {
    await asking('ev');
    await ask('ev', 'tool: touch ev.txt && echo made it', 1);
    expect((await t.omni(['approve', 'ev'])).exitCode).toBe(0);
    await waitFor(t, 'ev', 'idle');
    const human = String((await t.omni(['events', 'ev'])).stdout).split('\n');
    expect(human.find((l) => / result shell /.test(l))).toMatch(/ result shell made it$/);
    expect(human.find((l) => / ask ap_/.test(l))).toMatch(/ ask ap_\S+ tool_call by asker — .*a human approves new files/);
    expect(human.find((l) => / approved ap_/.test(l))).toMatch(/ approved ap_\S+ by \S+ via cli$/);
    for (const l of human) expect(l).not.toMatch(/[{}]"/);
    const json = String((await t.omni(['events', 'ev', '--json'])).stdout).trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: unknown });
    expect(json.find((e) => e.type === 'tool.result')?.data).toEqual({ callId: 'call_1', tool: 'shell', ok: true, output: 'made it' });
  });

  it("prints commander's own errors as omni: … with exit 2, and keeps --help", async () => {
    const cases: Array<[string[], RegExp]> = [
      [['lss'], /^omni: unknown command 'lss' \(did you mean ls\?\) \(see omni --help\)$/],
      [['ls', '--bogus'], /^omni: unknown option '--bogus' \(see omni ls --help\)$/],
      [['wait'], /^omni: missing required argument 'session' \(see omni wait --help\)$/],
      [['wait', 'x', '--for', 'nap'], /^omni: option '--for <status>' argument 'nap' is invalid\. Allowed choices are idle, waiting, running, exited\. \(see omni wait --help\)$/],
      [['policy', 'add', 'x'], /^omni: missing required argument 'policy' \(see omni policy add --help\)$/],
      [['approve'], /^omni: which ask\? give its id \(ap_…\), a session whose single pending ask to approve, or --all \(see omni approve --help\)$/],
    ];
    for (const [args, want] of cases) {
      const r = await t.omni(args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(String(r.stderr), args.join(' ')).toMatch(want);
      expect(String(r.stderr)).not.toMatch(/^error:/m);
    }
    const help = await t.omni(['approve', '--help']);
    expect(help.exitCode).toBe(0);
    expect(String(help.stdout)).toMatch(/^Usage: omni approve \[options\] \[target\]/);
    expect(String(help.stdout)).toContain('--all');
  });
});
