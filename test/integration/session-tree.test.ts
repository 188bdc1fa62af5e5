import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { api, createScripted, startScriptedDaemon, waitFor } from '../helpers/scripted.js';

type Nested = SessionRecord & { treeCost?: { usd: number }; children: Nested[] };

/**
 * `omni ls --tree` and `omni stop --tree` against the real daemon with the scripted harness in
 * real tmux. Only the daemon's composer makes sessions with `parent`; here the parents are
 * written into the stopped daemon's state (as a composer would have stored them), and the
 * restarted daemon adopts the live sessions with them.
 */
describe('the session tree in the CLI', () => {
  let t: TestEnv;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    t = makeTestEnv();
    let pid = await startScriptedDaemon(t);
    for (const name of ['lead', 'solo', 'coder', 'helper', 'reviewer']) ids[name] = (await createScripted(t, { name })).id;
    for (const name of Object.keys(ids)) await waitFor(t, name, 'idle');
    process.kill(pid, 'SIGTERM');
    await until(() => !fs.existsSync(path.join(t.omniHome, 'run', 'omni.sock')) || !alive(pid), 10_000, 'the daemon to stop');
    await until(() => !alive(pid), 10_000, 'the daemon to exit');
    const parents: Record<string, string> = { coder: ids.lead!, helper: ids.coder!, reviewer: ids.lead! };
    const indexFile = path.join(t.omniHome, 'state', 'sessions.json');
    const index = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as { sessions: SessionRecord[] };
    for (const s of index.sessions) {
      const parent = parents[s.name];
      if (!parent) continue;
      s.parent = parent;
      const meta = path.join(t.omniHome, 'state', 'sessions', s.id, 'session.json');
      fs.writeFileSync(meta, JSON.stringify({ ...JSON.parse(fs.readFileSync(meta, 'utf8')), parent }));
    }
    fs.writeFileSync(indexFile, JSON.stringify(index));
    pid = await startScriptedDaemon(t);
    await until(async () => {
      const r = await api<{ sessions: SessionRecord[] }>(t, 'GET', '/v1/sessions');
      return r.body.sessions.filter((s) => s.status === 'idle').length === 5;
    }, 15_000, 'the restarted daemon to adopt the five sessions');
  }, 90_000);
  afterAll(async () => {
    await t?.cleanup();
  });

  it('ls --tree puts children under their lead; --json nests them; plain --json has parent and treeCost', async () => {
    const r = await t.omni(['ls', '--tree', '--wide']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const lines = String(r.stdout).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+HARNESS\s+STATUS\s+COST\s+TREE\s+AGE\s+CWD/);
    expect(lines.slice(1).map((l) => /^.*?s_\w+/.exec(l)?.[0])).toEqual([ids.lead, `├─ ${ids.coder}`, `│  └─ ${ids.helper}`, `└─ ${ids.reviewer}`, ids.solo]);
    expect(lines[1]).toMatch(/idle\s+-\s+-\s/); // own and tree spend: the scripted harness uses no model

    const nested = await t.omniJson<Nested[]>(['ls', '--tree', '--json']);
    expect(nested.map((n) => [n.name, n.children.map((c) => [c.name, c.children.map((g) => g.name)])])).toEqual([
      ['lead', [['coder', ['helper']], ['reviewer', []]]],
      ['solo', []],
    ]);
    expect(nested[0]!.treeCost).toEqual({ usd: 0 });

    const flat = await t.omniJson<Array<SessionRecord & { treeCost?: { usd: number } }>>(['ls', '--json']);
    const by = (name: string) => flat.find((s) => s.name === name)!;
    expect(by('coder').parent).toBe(ids.lead);
    expect(by('helper').parent).toBe(ids.coder);
    expect(by('lead').treeCost).toEqual({ usd: 0 });
    expect(by('solo').treeCost).toBeUndefined();
    expect(by('helper').treeCost).toBeUndefined();
  });

  it('stop --tree stops the session and everything under it, deepest first, and nothing else', async () => {
    const r = await t.omni(['stop', '--tree', 'coder']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout).trimEnd().split('\n')).toEqual([expect.stringMatching(/^stopped helper \(s_\w+\) scripted exited/), expect.stringMatching(/^stopped coder \(s_\w+\) scripted exited/)]);

    const j = await t.omniJson<{ stopped: SessionRecord[]; alreadyEnded: string[] }>(['stop', '--tree', 'lead', '--json']);
    expect(j.stopped.map((s) => s.name)).toEqual(['reviewer', 'lead']);
    expect(j.alreadyEnded.sort()).toEqual([ids.coder, ids.helper].sort());
    const live = await t.omniJson<SessionRecord[]>(['ls', '--json']);
    expect(live.map((s) => s.name)).toEqual(['solo']);
    // The ended tree still shows whole with --all.
    const all = await t.omniJson<Nested[]>(['ls', '--tree', '--all', '--json']);
    expect(all.map((n) => [n.name, n.status, n.children.length])).toEqual([
      ['lead', 'exited', 2],
      ['solo', 'idle', 0],
    ]);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
