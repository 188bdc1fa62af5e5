import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import { runNumber } from '../../src/debby/heads.js';
import type { DebbyExchange, DebbyRun } from '../../src/debby/types.js';
import { execa } from 'execa';
import { parseEvents } from '../helpers/events.js';
import { makeTestEnv, OMNI_JS, until, type TestEnv } from '../helpers/omni.js';
import { api, getSession, sendText, startScriptedDaemon, untilStatus } from '../helpers/scripted.js';

/**
 * The Debby service in the real daemon (dist/), with two scripted heads in real tmux panes: the
 * scripted harness answers `echo: <prompt>` (or runs `tool: CMD`), so what each head was typed
 * is visible in its answer and in its own log.
 */
describe('debby: heads side by side, ask, debate', () => {
  let t: TestEnv;
  let run: DebbyRun;

  beforeAll(async () => {
    t = makeTestEnv();
    await startScriptedDaemon(t);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const events = async (ref: string): Promise<OmniEvent[]> => parseEvents((await t.omni(['events', ref, '--json'])).stdout);
  const userTexts = async (ref: string) => (await events(ref)).filter((e) => e.type === 'message.user').map((e) => String((e.data as { text: string }).text));
  const ask = (text: string, timeoutS?: number) => api<{ run: DebbyRun; exchange: DebbyExchange; error?: { code: string; message: string } }>(t, 'POST', `/v1/debby/${run.id}/ask`, { text, ...(timeoutS ? { timeoutS } : {}) });

  it('refuses an unknown harness (404, listing them) and a single head (400), starting nothing', async () => {
    const unknown = await api<{ error: { code: string; message: string } }>(t, 'POST', '/v1/debby', { cwd: t.work, env: t.env, heads: ['scripted', 'nosuch'] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('unknown_harness');
    expect(unknown.body.error.message).toContain('scripted');
    const one = await api<{ error: { code: string } }>(t, 'POST', '/v1/debby', { cwd: t.work, env: t.env, heads: ['scripted'] });
    expect(one.status).toBe(400);
    const badSynth = await api<{ error: { code: string } }>(t, 'POST', '/v1/debby', { cwd: t.work, env: t.env, heads: ['scripted', 'scripted'], synth: 'codex' });
    expect(badSynth.status).toBe(400);
    expect((await api<{ sessions: unknown[] }>(t, 'GET', '/v1/sessions')).body.sessions).toHaveLength(0);
  });

  it('starts one root session per head, labelled, tagged, with ask_on_write, and stores the run 0600', async () => {
    const r = await api<{ run: DebbyRun }>(t, 'POST', '/v1/debby', { cwd: t.work, env: t.env, heads: ['scripted', 'scripted'] });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    run = r.body.run;
    expect(run.id).toMatch(/^d_[a-z0-9]{8}$/);
    expect(run.heads.map((h) => [h.label, h.name])).toEqual([
      ['scripted', 'debby-1-scripted'],
      ['scripted-2', 'debby-1-scripted-2'],
    ]);
    expect(run).toMatchObject({ synth: 'scripted', status: 'live', exchanges: [], cwd: t.work });
    for (const h of run.heads) {
      const s = await getSession(t, h.session);
      expect(s.parent).toBeUndefined();
      expect(s.tags).toEqual(expect.arrayContaining(['debby', `debby-${run.id}`]));
      const pol = (await api<{ policies: Array<{ source: string }> }>(t, 'GET', `/v1/sessions/${h.session}/policies`)).body;
      expect(JSON.stringify(pol)).toContain('ask_on_write');
    }
    const file = path.join(t.omniHome, 'debby', `${run.id}.json`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect((JSON.parse(fs.readFileSync(file, 'utf8')) as DebbyRun).heads).toHaveLength(2);
  });

  it('refuses a debate before any question (409)', async () => {
    const r = await api<{ error: { code: string; message: string } }>(t, 'POST', `/v1/debby/${run.id}/debate`, {});
    expect(r.status).toBe(409);
    expect(r.body.error.message).toContain('ask a question first');
  });

  it('one exchange at a time: a second ask or a debate while one runs is 409', async () => {
    const first = ask('sleep: 2');
    await until(async () => (await api<{ run: DebbyRun }>(t, 'GET', `/v1/debby/${run.id}`)).body.run.busy, 10_000, 'the run to be busy');
    const second = await ask('too soon');
    expect(second.status).toBe(409);
    expect(second.body.error?.code).toBe('conflict');
    expect((await api(t, 'POST', `/v1/debby/${run.id}/debate`, {})).status).toBe(409);
    const r = await first;
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.exchange.answers.map((a) => [a.head, a.text, a.error])).toEqual([
      ['scripted', 'slept 2s', undefined],
      ['scripted-2', 'slept 2s', undefined],
    ]);
    expect(r.body.run.busy).toBeUndefined();
  });

  it('asks every head at once and stores each answer with its turn, logging debby.exchange in each head', async () => {
    const r = await ask('tool: echo head-$OMNI_SESSION_ID');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const ex = r.body.exchange;
    expect(ex).toMatchObject({ n: 2, kind: 'ask', prompt: 'tool: echo head-$OMNI_SESSION_ID' });
    for (const [i, h] of run.heads.entries()) {
      const a = ex.answers[i]!;
      expect(a.head).toBe(h.label);
      expect(a.text).toBe(`ran call_1: head-${h.session}`);
      expect(a.from).toBeGreaterThan(0);
      expect(a.to).toBeGreaterThan(a.from!);
      const evs = await events(h.session);
      expect(evs.find((e) => e.seq === a.from)?.type).toBe('message.user');
      const marks = evs.filter((e) => e.type === 'debby.exchange' && (e.data as { n: number }).n === 2).map((e) => (e.data as { state: string }).state);
      expect(marks).toEqual(['started', 'done']);
    }
    const stored = JSON.parse(fs.readFileSync(path.join(t.omniHome, 'debby', `${run.id}.json`), 'utf8')) as DebbyRun;
    expect(stored.exchanges.map((e) => e.kind)).toEqual(['ask', 'ask']);
  });

  it("debates: each head's prompt holds the other's latest answer under its label; then the synth head's synthesis", async () => {
    const [a, b] = run.heads as [DebbyRun['heads'][0], DebbyRun['heads'][0]];
    const r = await api<{ run: DebbyRun; exchanges: DebbyExchange[] }>(t, 'POST', `/v1/debby/${run.id}/debate`, { rounds: 1 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const [critique, synthesis] = r.body.exchanges;
    expect(r.body.exchanges).toHaveLength(2);
    expect(critique).toMatchObject({ n: 3, kind: 'critique', round: 1 });
    // What each head was typed (its own log) holds the other's answer, not its own.
    const typedA = (await userTexts(a.session)).at(-2)!; // the last is the synthesis prompt (a is the synth head)
    const typedB = (await userTexts(b.session)).at(-1)!;
    expect(typedA).toContain('debate round 1 of 1');
    expect(typedA).toContain(`[${b.label}]\nran call_1: head-${b.session}`);
    expect(typedA).not.toContain(`head-${a.session}`);
    expect(typedB).toContain(`[${a.label}]\nran call_1: head-${a.session}`);
    expect(typedB).not.toContain(`head-${b.session}`);
    // The scripted heads echo their prompt: the stored answers are those echoes.
    expect(critique!.answers.map((x) => x.head)).toEqual([a.label, b.label]);
    expect(critique!.answers[0]!.text).toContain(`head-${b.session}`);
    expect(critique!.answers[1]!.text).toContain(`head-${a.session}`);
    // The synthesis: by the synth head only, over both heads' final (critique) answers.
    expect(synthesis).toMatchObject({ n: 4, kind: 'synthesis' });
    expect(synthesis!.answers.map((x) => x.head)).toEqual([a.label]);
    const synthTyped = (await userTexts(a.session)).at(-1)!;
    expect(synthTyped).toContain('synthesis');
    expect(synthTyped).toContain(`[${a.label}]\n${critique!.answers[0]!.text}`);
    expect(synthTyped).toContain(`[${b.label}]\n${critique!.answers[1]!.text}`);
    expect((await userTexts(b.session)).some((x) => x.includes('synthesis'))).toBe(false);
  });

  it('reads: list, latest for this cwd, costs filled in', async () => {
    const list = (await api<{ runs: DebbyRun[] }>(t, 'GET', '/v1/debby')).body.runs;
    expect(list.map((r) => r.id)).toEqual([run.id]);
    const latest = (await api<{ run: DebbyRun }>(t, 'GET', `/v1/debby/latest?cwd=${encodeURIComponent(t.work)}`)).body.run;
    expect(latest.id).toBe(run.id);
    expect(latest.exchanges).toHaveLength(4);
    expect(latest.costUsd).toBe(0); // the scripted harness reports no usage
    for (const h of latest.heads) expect(h.costUsd).toBe(0);
    const missing = await api<{ error: { code: string; message: string } }>(t, 'GET', '/v1/debby/d_nosuchxx');
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain(run.id);
  });

  it('a head that ends: its answer has an error, the other answers; when all have ended the run has too', async () => {
    const [a, b] = run.heads as [DebbyRun['heads'][0], DebbyRun['heads'][0]];
    await sendText(t, b.session, 'exit: 0').catch(() => {}); // it exits before the Prompt hook's answer is checked
    await untilStatus(t, b.session, 'exited');
    const r = await ask('still there?');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.exchange.answers[0]).toMatchObject({ head: a.label, text: 'echo: still there?' });
    expect(r.body.exchange.answers[1]!.error).toMatch(/exited/);
    expect(r.body.run.status).toBe('live');

    const stopped = await api<{ run: DebbyRun }>(t, 'POST', `/v1/debby/${run.id}/stop`);
    expect(stopped.body.run.status).toBe('ended');
    expect((await getSession(t, a.session)).status).toBe('exited');
    const after = await ask('anyone?');
    expect(after.status).toBe(409);
  });

  it('keeps runs across a daemon restart', async () => {
    await api(t, 'POST', '/v1/daemon/stop');
    await until(async () => !(await api(t, 'GET', '/v1/daemon').then(() => true, () => false)), 10_000, 'the daemon to stop');
    await startScriptedDaemon(t);
    const again = (await api<{ run: DebbyRun }>(t, 'GET', `/v1/debby/${run.id}`)).body.run;
    expect(again.status).toBe('ended');
    expect(again.exchanges.map((e) => e.kind)).toEqual(['ask', 'ask', 'critique', 'synthesis', 'ask']);
  });
});

describe('omni debby, the CLI, on scripted heads', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = makeTestEnv();
    await startScriptedDaemon(t);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('starts (no terminal: prints the run id), asks, debates, shows, lists, times out with 124, stops', async () => {
    const started = await t.omni(['debby', '--heads', 'scripted,scripted']);
    expect(started.exitCode, String(started.stderr)).toBe(0);
    const id = String(started.stdout).trim();
    expect(id).toMatch(/^d_[a-z0-9]{8}$/);
    expect(String(started.stderr)).toContain('not a terminal');

    const asked = await t.omni(['debby', 'ask', id, 'hello', 'there']);
    expect(asked.exitCode, String(asked.stderr)).toBe(0);
    expect(String(asked.stdout)).toBe('── scripted ──\necho: hello there\n\n── scripted-2 ──\necho: hello there');

    const debated = await t.omni(['debby', 'debate', 'latest', '--rounds', '1']);
    expect(debated.exitCode, String(debated.stderr)).toBe(0);
    expect(String(debated.stdout)).toContain('── scripted · round 1 ──\necho: This is debate round 1 of 1');
    expect(String(debated.stdout)).toContain('── synthesis (scripted) ──\necho: Write the synthesis');

    const shown = await t.omniJson<DebbyRun>(['debby', 'show', id]);
    expect(shown.exchanges.map((e) => e.kind)).toEqual(['ask', 'critique', 'synthesis']);
    expect(String((await t.omni(['debby', 'ls'])).stdout)).toContain(id);

    const late = await t.omni(['debby', 'ask', id, '--timeout', '1', 'sleep: 4']);
    expect(late.exitCode).toBe(124);
    expect(String(late.stdout)).toMatch(/had not finished/);

    const stopped = await t.omni(['debby', 'stop', id]);
    expect(stopped.exitCode, String(stopped.stderr)).toBe(0);
    expect((await t.omniJson<DebbyRun>(['debby', 'show', id])).status).toBe('ended');
    const refused = await t.omni(['debby', 'ask', id, 'anyone?']);
    expect(refused.exitCode).toBe(8);
    expect(String(refused.stderr)).toContain('has ended');
    const none = await t.omni(['debby', 'show', 'd_nosuchxx']);
    expect(none.exitCode).toBe(3);
  });

  it("on a terminal, opens the Debby view in a tmux session debby-<n> of omni's server and attaches this terminal to it", async () => {
    // A terminal of its own: a pane of another tmux server (not the person's tmux: TMUX unset).
    const term = path.join(t.dir, 'term.sock');
    const env = { ...t.env, TMUX: '', TMUX_PANE: '' };
    await execa('tmux', ['-S', term, '-f', '/dev/null', 'new-session', '-d', '-s', 'term', '-x', '160', '-y', '40', '-c', t.work, `env -u TMUX ${process.execPath} ${OMNI_JS} debby --heads scripted,scripted; sleep 30`], { env, extendEnv: false });
    try {
      const run = await until(async () => (await api<{ runs: DebbyRun[] }>(t, 'GET', '/v1/debby')).body.runs.find((r) => r.status === 'live'), 20_000, 'the run');
      const name = `debby-${runNumber(run)}`;
      expect(run.heads.map((h) => h.name)).toEqual([`${name}-scripted`, `${name}-scripted-2`]);
      // The view runs in omni's tmux as `omni debby view <run>`, with a client on it: this terminal.
      const view = await until(async () => {
        const r = await t.tmux(['list-panes', '-t', `=${name}`, '-F', '#{pane_start_command}']);
        return r.exitCode === 0 && String(r.stdout).includes(`debby view ${run.id}`) && String(r.stdout);
      }, 20_000, `the view session ${name}`);
      expect(view).toContain(OMNI_JS);
      await until(async () => String((await t.tmux(['list-clients', '-t', `=${name}`, '-F', '#{client_session}'])).stdout).trim() === name, 20_000, `a client attached to ${name}`);
      // The heads keep their own tmux sessions.
      for (const h of run.heads) expect((await t.tmux(['has-session', '-t', `=${h.session}`])).exitCode).toBe(0);
    } finally {
      await execa('tmux', ['-S', term, 'kill-server'], { reject: false });
    }
  });
});
