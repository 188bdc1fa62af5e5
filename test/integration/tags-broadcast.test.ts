import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import type { BroadcastResult } from '../../src/daemon/broadcast.js';
import { parseEvents } from '../helpers/events.js';
import { makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { api, createScripted, startScriptedDaemon, untilStatus, waitFor } from '../helpers/scripted.js';

/**
 * Tags and broadcast over several sessions: the real daemon, real tmux and the `omni` CLI,
 * with the scripted harness (test/helpers/scripted-harness.mjs) in the panes.
 */
describe('tags and broadcast (scripted harness, real tmux)', () => {
  let t: TestEnv;
  let daemonPid: number;
  beforeAll(async () => {
    t = makeTestEnv();
    daemonPid = await startScriptedDaemon(t);
    await Promise.all([
      createScripted(t, { name: 'api1', tags: ['api', 'fast'] }),
      createScripted(t, { name: 'api2', tags: ['api'] }),
      createScripted(t, { name: 'web' }),
    ]);
    await Promise.all(['api1', 'api2', 'web'].map((n) => waitFor(t, n, 'idle')));
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const userTexts = async (ref: string): Promise<string[]> => {
    const r = await t.omni(['events', ref, '--json']);
    return parseEvents(r.stdout)
      .filter((e: OmniEvent) => e.type === 'message.user')
      .map((e) => (e.data as { text: string }).text);
  };
  const lsJson = async (args: string[] = []) => t.omniJson<SessionRecord[]>(['ls', ...args]);

  it('keeps the tags given at start, lists and changes them with omni tag, filters omni ls by them', async () => {
    expect((await lsJson()).map((s) => [s.name, s.tags])).toEqual([
      ['api1', ['api', 'fast']],
      ['api2', ['api']],
      ['web', []],
    ]);
    const listed = await t.omni(['tag', 'api1']);
    expect(listed.exitCode, String(listed.stderr)).toBe(0);
    expect(listed.stdout).toBe('api fast');

    const changed = await t.omni(['tag', 'web', '+front', 'ui', '--json']);
    expect(changed.exitCode, String(changed.stderr)).toBe(0);
    expect(JSON.parse(changed.stdout)).toMatchObject({ name: 'web', tags: ['front', 'ui'] });
    const removed = await t.omni(['tag', 'web', '-ui']);
    expect(removed.exitCode, String(removed.stderr)).toBe(0);
    expect(removed.stdout).toBe('front');
    const bad = await t.omni(['tag', 'web', '+no way']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('invalid tag "no way"');

    expect((await lsJson(['--tag', 'api'])).map((s) => s.name)).toEqual(['api1', 'api2']);
    expect((await lsJson(['--tag', 'api', '--tag', 'fast'])).map((s) => s.name)).toEqual(['api1']);
    const table = await t.omni(['ls', '--tag', 'api']);
    const [head, ...rows] = String(table.stdout).split('\n');
    expect(head).toMatch(/\bTAGS\b/);
    expect(rows.find((r) => r.includes('api1'))).toMatch(/\bapi,fast\b/);
    expect(rows.some((r) => r.includes('web'))).toBe(false);
    const none = await t.omni(['ls', '--tag', 'nothing']);
    expect(none.stdout).toContain('no live sessions tagged nothing');
  });

  it('sends one prompt to every live session with a tag, one row each, and leaves the others alone', async () => {
    const r = await t.omni(['send', '--tag', 'api', 'hello', 'api', 'sessions', '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const result = JSON.parse(r.stdout) as BroadcastResult;
    expect(result).toMatchObject({ sent: 2, failed: 0 });
    expect(result.results.map((x) => [x.name, x.ok, x.verified]).sort()).toEqual([
      ['api1', true, true],
      ['api2', true, true],
    ]);
    await Promise.all(['api1', 'api2'].map((n) => waitFor(t, n, 'idle')));
    expect(await userTexts('api1')).toEqual(['hello api sessions']);
    expect(await userTexts('api2')).toEqual(['hello api sessions']);
    expect(await userTexts('web')).toEqual([]);

    // The human form: a row per session.
    const plain = await t.omni(['send', '--tag', 'fast', 'second']);
    expect(plain.exitCode, String(plain.stderr)).toBe(0);
    expect(plain.stdout).toMatch(/api1\s+sent/);
    await waitFor(t, 'api1', 'idle');
    expect(await userTexts('api1')).toEqual(['hello api sessions', 'second']);
    expect(await userTexts('api2')).toEqual(['hello api sessions']);
  });

  it('--to names the sessions; one that cannot take it fails its row and the exit code, the others still get it', async () => {
    await api(t, 'POST', '/v1/sessions/api2/stop');
    await untilStatus(t, 'api2', 'exited');
    const r = await t.omni(['send', '--to', 'web,api2', '--to', 'nosuch', 'to', 'a', 'few']);
    expect(r.exitCode).toBe(7);
    expect(r.stdout).toMatch(/web\s+sent/);
    expect(r.stdout).toMatch(/api2\s+failed: session api2 \(s_\w+\) has exited/);
    expect(r.stdout).toMatch(/nosuch\s+nosuch\s+failed: no session "nosuch"/);
    expect(r.stderr).toContain('2 of 3 sessions did not take the text');
    await waitFor(t, 'web', 'idle');
    expect(await userTexts('web')).toEqual(['to a few']);

    // Only live sessions carry a tag's broadcast: api2 has ended, so "api" is api1 alone.
    const json = await t.omniJson<BroadcastResult>(['send', '--tag', 'api', 'just one']);
    expect(json.results.map((x) => x.name)).toEqual(['api1']);
    await waitFor(t, 'api1', 'idle');

    const nobody = await t.omni(['send', '--tag', 'nothing', 'anyone?']);
    expect(nobody.exitCode).toBe(3);
    expect(nobody.stderr).toContain('no live session is tagged "nothing"');
    const noTarget = await t.omni(['send']);
    expect(noTarget.exitCode).toBe(2);
  });

  it('keeps tags in the session record across a daemon restart, ended sessions included', async () => {
    process.kill(daemonPid, 'SIGKILL');
    await until(async () => api(t, 'GET', '/v1/daemon').then(() => false, () => true), 5_000, 'the daemon to be gone');
    daemonPid = await startScriptedDaemon(t);
    expect((await lsJson(['--all', '--tag', 'api'])).map((s) => [s.name, s.status, s.tags])).toEqual([
      ['api1', 'idle', ['api', 'fast']],
      ['api2', 'exited', ['api']],
    ]);
    const tagged = await t.omni(['tag', 'api2', '+old']);
    expect(tagged.stdout).toBe('api old');
  });
});
