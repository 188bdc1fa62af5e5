import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpawnGrant } from '../../src/agents/grant.js';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import type { McpCallReply } from '../../src/mcp/tools.js';
import { parseEvents } from '../helpers/events.js';
import { initRepo, sh } from '../helpers/git-repo.js';
import { makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { api, createScripted, getSession, socketJson, sendText, startScriptedDaemon, waitFor } from '../helpers/scripted.js';

/**
 * omni's MCP tools in the daemon (src/daemon/composer.ts), over the real wiring: a lead session
 * created with a spawn grant, its own agent socket (`POST /mcp/call`), scripted children in real
 * tmux and real git worktrees, and the control socket's `POST /v1/mcp/call` as the person.
 */
describe('the composer: omni MCP tools over the agent socket', () => {
  let t: TestEnv;
  let lead: SessionRecord;
  const grant: SpawnGrant = {
    agents: [
      { name: 'coder', description: 'writes code', file: '/specs/lead.yaml', executor: { harness: 'scripted' }, policies: [], worktree: true },
      { name: 'helper', file: '/specs/lead.yaml', executor: { harness: 'scripted' }, prompt: 'You help.', policies: [], worktree: false },
    ],
    limits: { maxChildren: 2 },
  };

  beforeAll(async () => {
    t = makeTestEnv();
    initRepo(t.work);
    await startScriptedDaemon(t);
    const r = await api<{ session: SessionRecord }>(t, 'POST', '/v1/sessions', { harness: 'scripted', cwd: t.work, env: t.env, name: 'lead', spawn: grant, agent: { name: 'lead', file: '/specs/lead.yaml' } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    lead = r.body.session;
    await waitFor(t, 'lead', 'idle');
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  /** One tool call on a session's own agent socket, as `omni mcp --agent-socket` makes it. */
  const call = (session: string, tool: string, args: Record<string, unknown> = {}) =>
    socketJson<McpCallReply>(path.join(t.omniHome, 'run', 'agent', session, 'hook.sock'), '/mcp/call', { tool, args });
  const ok = async <T>(session: string, tool: string, args: Record<string, unknown> = {}): Promise<T> => {
    const r = await call(session, tool, args);
    if (!r.ok) throw new Error(`${tool}: ${JSON.stringify(r.error)}`);
    return r.result as T;
  };
  const events = async (ref: string): Promise<OmniEvent[]> => {
    const r = await t.omni(['events', ref, '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    return parseEvents(r.stdout);
  };

  it('keeps the grant 0600 beside the session, and the limits as an agent-level spawn_bounds policy', async () => {
    const dir = path.join(t.omniHome, 'state', 'sessions', lead.id);
    expect(fs.statSync(path.join(dir, 'spawn.json')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, 'spawn-env.json')).mode & 0o777).toBe(0o600);
    expect(lead.spawn).toBe(true);
    const p = await api<{ policies: Array<{ name: string; level: string; builtin?: string; params?: unknown }> }>(t, 'GET', `/v1/sessions/${lead.id}/policies`);
    expect(p.body.policies).toContainEqual(expect.objectContaining({ name: 'spawn_bounds', level: 'agent', builtin: 'spawn_bounds', params: { max_children: 2 } }));
  });

  it('omni_agents lists the grant', async () => {
    const r = await ok<{ agents: unknown[]; anyHarness: boolean; limits: unknown }>(lead.id, 'omni_agents');
    expect(r).toEqual({
      agents: [
        { name: 'coder', description: 'writes code', harness: 'scripted', worktree: true },
        { name: 'helper', harness: 'scripted', worktree: false },
      ],
      anyHarness: false,
      limits: { maxChildren: 2 },
    });
  });

  it('refuses bad arguments and what the grant does not name', async () => {
    expect(await call(lead.id, 'omni_spawn', {})).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('"prompt" is required') } });
    expect(await call(lead.id, 'omni_spawn', { prompt: 'x', agent: 'nobody' })).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringContaining('coder, helper') } });
    expect(await call(lead.id, 'omni_spawn', { prompt: 'x', harness: 'scripted' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call(lead.id, 'omni_wait', { sessions: [] })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await call(lead.id, 'omni_nope', {})).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  let coder: { session: string; name: string; harness: string; worktree?: string; branch?: string };
  it('omni_spawn starts a child in its own worktree; omni_wait returns once its prompt turn is done', async () => {
    const t0 = Date.now();
    coder = await ok(lead.id, 'omni_spawn', { agent: 'coder', prompt: 'tool: echo made-by-coder > new.txt' });
    expect(coder).toEqual({ session: expect.stringMatching(/^s_/), name: 'coder-1', harness: 'scripted', worktree: path.join(t.omniHome, 'worktrees', coder.session), branch: 'omni/coder-1' });
    const rec = await getSession(t, coder.session);
    expect(rec).toMatchObject({ parent: lead.id, cwd: coder.worktree, worktree: { branch: 'omni/coder-1', base: sh(t.work, 'rev-parse', 'HEAD'), baseRef: 'main' }, agent: { name: 'coder' } });
    const w = await ok<{ sessions: Array<{ status: string }>; timedOut: boolean }>(lead.id, 'omni_wait', { sessions: ['coder-1'], timeout_s: 30 });
    expect(w).toEqual({ sessions: [{ session: coder.session, name: 'coder-1', status: 'idle' }], timedOut: false });
    // Idle only after the spawn prompt's turn: the file is there.
    expect(fs.readFileSync(path.join(coder.worktree!, 'new.txt'), 'utf8')).toBe('made-by-coder\n');
    console.log(`omni_spawn → child idle after its turn: ${Date.now() - t0} ms`);
  });

  it('omni_read shows its reply and tool call; omni_diff shows the file it wrote', async () => {
    const r = await ok<{ entries: Array<Record<string, unknown>>; next: number }>(lead.id, 'omni_read', { session: coder.session });
    expect(r.entries).toEqual([
      expect.objectContaining({ kind: 'tool', tool: 'shell', summary: 'echo made-by-coder > new.txt', ok: true }),
      expect.objectContaining({ kind: 'assistant', text: expect.stringContaining('ran call_1') }),
    ]);
    const after = await ok<{ entries: unknown[]; next: number }>(lead.id, 'omni_read', { session: coder.session, since: r.next });
    expect(after.entries).toEqual([]);
    const last = await ok<{ entries: unknown[] }>(lead.id, 'omni_read', { session: 'coder-1', last: 1 });
    expect(last.entries).toHaveLength(1);
    const d = await ok<{ branch: string; base: string; diff: string }>(lead.id, 'omni_diff', { session: 'coder-1' });
    expect(d.branch).toBe('omni/coder-1');
    expect(d.diff).toContain('+++ b/new.txt');
    expect(d.diff).toContain('+made-by-coder');
  });

  it('omni_send types into the child; the lead logs child.idle', async () => {
    const s = await ok<{ session: string; accepted: boolean }>(lead.id, 'omni_send', { session: 'coder-1', text: 'second task' });
    expect(s).toMatchObject({ session: coder.session, accepted: true });
    await ok(lead.id, 'omni_wait', { sessions: [coder.session], timeout_s: 30 });
    const evs = await until(async () => {
      const e = (await events('lead')).filter((x) => x.type === 'child.idle');
      return e.length >= 2 && e;
    }, 10_000, 'two child.idle events in the lead log');
    expect(evs[0]!.data).toEqual({ child: coder.session, name: 'coder-1', harness: 'scripted', status: 'idle' });
  });

  it('a third spawn past max_children: 2 is denied, naming spawn_bounds', async () => {
    const helper = await ok<{ session: string; worktree?: string }>(lead.id, 'omni_spawn', { agent: 'helper', prompt: 'hello' });
    expect(helper.worktree).toBeUndefined();
    expect((await getSession(t, helper.session)).cwd).toBe(t.work);
    const denied = await call(lead.id, 'omni_spawn', { agent: 'helper', prompt: 'again' });
    expect(denied).toMatchObject({ ok: false, error: { code: 'denied', message: expect.stringMatching(/spawn_bounds.*2 children.*max_children is 2/) } });
    const list = await ok<{ sessions: Array<Record<string, unknown>> }>(lead.id, 'omni_sessions');
    expect(list.sessions.map((s) => s.name).sort()).toEqual(['coder-1', 'helper-1']);
    expect(list.sessions.find((s) => s.name === 'coder-1')).toMatchObject({ parent: lead.id, depth: 1, branch: 'omni/coder-1', costUsd: 0, treeCostUsd: 0 });
  });

  it('the lead cannot see or drive a session that is not its descendant', async () => {
    const other = await createScripted(t, { name: 'stranger' });
    for (const [tool, args] of [
      ['omni_send', { session: 'stranger', text: 'hi' }],
      ['omni_stop', { session: other.id }],
      ['omni_read', { session: 'lead' }],
    ] as const) {
      expect(await call(lead.id, tool, args)).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringContaining('coder-1') } });
    }
    // A child without a grant may not start anything.
    expect(await call(coder.session, 'omni_spawn', { agent: 'coder', prompt: 'x' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call(coder.session, 'omni_sessions')).toEqual({ ok: true, result: { sessions: [] } });
  });

  it('the control route serves a plain caller as the person, and refuses a process inside a pane', async () => {
    const r = await api<McpCallReply>(t, 'POST', '/v1/mcp/call', { tool: 'omni_sessions', args: {}, env: t.env });
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(true);
    const names = (r.body as { result: { sessions: Array<{ name: string }> } }).result.sessions.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['lead', 'coder-1', 'helper-1', 'stranger']));
    // A process of a session (here: one carrying its OMNI_SESSION_ID, as everything in its pane
    // does) is refused. Inside the pane itself omni_guard already denies a tool call that names
    // the control socket; this is the daemon's own check behind it.
    const sock = path.join(t.omniHome, 'run', 'omni.sock');
    const r2 = await execa('curl', ['-s', '--unix-socket', sock, '-H', 'content-type: application/json', '-d', '{"tool":"omni_sessions","args":{}}', 'http://omni/v1/mcp/call'], {
      env: { ...t.env, OMNI_SESSION_ID: lead.id },
      extendEnv: false,
      reject: false,
    });
    expect(JSON.parse(String(r2.stdout))).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining("session lead's environment") } });
    // And a process in a pane's tree: a script the stranger's harness runs as a tool (the script
    // file hides the socket from omni_guard, which would deny the command if it named it).
    const script = path.join(t.dir, 'from-pane.sh');
    const out = path.join(t.dir, 'from-pane.json');
    fs.writeFileSync(script, `curl -s --unix-socket ${sock} -H 'content-type: application/json' -d '{"tool":"omni_sessions","args":{}}' http://omni/v1/mcp/call > ${out}\n`);
    await sendText(t, 'stranger', `tool: sh ${script}`);
    const body = await until(() => fs.existsSync(out) && fs.readFileSync(out, 'utf8').trim(), 15_000, 'the curl from the pane');
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining("stranger's process tree") } });
  });

  it('the person may start any harness (a root session), under the global policies only', async () => {
    const user = (tool: string, args: Record<string, unknown>) => api<McpCallReply>(t, 'POST', '/v1/mcp/call', { tool, args, env: { ...t.env, PWD: t.work } });
    const r = await user('omni_spawn', { harness: 'scripted', prompt: 'hi', name: 'adhoc' });
    expect(r.body).toMatchObject({ ok: true, result: { name: 'adhoc', harness: 'scripted' } });
    const rec = await getSession(t, 'adhoc');
    expect(rec.parent).toBeUndefined();
    expect(rec.cwd).toBe(t.work);
    expect((await user('omni_wait', { sessions: ['adhoc'], timeout_s: 30 })).body).toMatchObject({ ok: true, result: { timedOut: false } });
    const policies = path.join(t.omniHome, 'config', 'policies.yaml');
    fs.mkdirSync(path.dirname(policies), { recursive: true });
    fs.writeFileSync(policies, 'policies:\n  - name: no-user-spawns\n    rules:\n      - when: { mcp_tool: omni_spawn }\n        verdict: deny\n        reason: spawning is for leads\n');
    try {
      expect((await user('omni_spawn', { harness: 'scripted', prompt: 'hi' })).body).toEqual({ ok: false, error: { code: 'denied', message: 'spawning is for leads (policy no-user-spawns)' } });
      expect((await user('omni_stop', { session: 'adhoc' })).body).toMatchObject({ ok: true, result: { stopped: [rec.id] } });
    } finally {
      fs.rmSync(policies);
    }
  });

  it('a tool round trip on the agent socket (omni_sessions, decided at phase mcp): p50/p99', async () => {
    const ms: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      await ok(lead.id, 'omni_sessions');
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    const p50 = ms[49]!;
    const p99 = ms[98]!;
    console.log(`omni_sessions round trip over the agent socket: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (100 calls)`);
    expect(p50).toBeLessThan(250);
  });

  it('omni_stop stops the child; the lead logs child.exited', async () => {
    const r = await ok<{ stopped: string[] }>(lead.id, 'omni_stop', { session: 'coder-1' });
    expect(r.stopped).toEqual([coder.session]);
    expect((await getSession(t, coder.session)).status).toBe('exited');
    const ev = await until(async () => (await events('lead')).find((x) => x.type === 'child.exited'), 10_000, 'child.exited in the lead log');
    expect(ev.data).toMatchObject({ child: coder.session, name: 'coder-1', harness: 'scripted', status: 'exited' });
    const w = await ok(lead.id, 'omni_wait', { sessions: ['coder-1'], for: 'exited', timeout_s: 5 });
    expect(w).toMatchObject({ timedOut: false, sessions: [{ status: 'exited' }] });
    // The worktree is kept.
    expect(fs.existsSync(path.join(coder.worktree!, 'new.txt'))).toBe(true);
  });

  it('omni_wait times out without polling when a child stays busy', async () => {
    const helper = (await ok<{ sessions: Array<{ name: string; session: string }> }>(lead.id, 'omni_sessions')).sessions.find((s) => s.name === 'helper-1')!;
    await ok(lead.id, 'omni_wait', { sessions: [helper.session], timeout_s: 30 });
    await ok(lead.id, 'omni_send', { session: 'helper-1', text: 'sleep: 5' });
    const t0 = Date.now();
    const w = await ok<{ timedOut: boolean; sessions: Array<{ status: string }> }>(lead.id, 'omni_wait', { sessions: ['helper-1'], timeout_s: 1 });
    expect(w.timedOut).toBe(true);
    expect(w.sessions[0]!.status).toBe('running');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('an ask at phase mcp holds the call until a person answers', async () => {
    await ok(lead.id, 'omni_wait', { sessions: ['helper-1'], timeout_s: 30 });
    const policy = 'policies:\n  - name: sends-need-a-person\n    rules:\n      - when: { mcp_tool: omni_send }\n        verdict: ask\n        reason: a person reads what ${tool} types\n';
    expect((await api(t, 'POST', `/v1/sessions/${lead.id}/policies`, { ref: 'sends.yaml', source: 'sends.yaml', text: policy })).status).toBe(201);
    const pending = call(lead.id, 'omni_send', { session: 'helper-1', text: 'after approval' });
    const ap = await until(async () => {
      const r = await api<{ approvals: Array<{ id: string; phase: string; request: { tool?: string } }> }>(t, 'GET', `/v1/approvals?session=${lead.id}`);
      return r.body.approvals[0];
    }, 10_000, 'the ask');
    expect(ap).toMatchObject({ phase: 'mcp', request: { tool: 'omni_send' } });
    expect((await getSession(t, lead.id)).status).toBe('waiting');
    expect((await api(t, 'POST', `/v1/approvals/${ap.id}/approve`, { via: 'api' })).status).toBe(200);
    expect(await pending).toMatchObject({ ok: true, result: { accepted: true } });
    // A denied ask is the call's denial.
    const again = call(lead.id, 'omni_send', { session: 'helper-1', text: 'not this one' });
    const ap2 = await until(async () => (await api<{ approvals: Array<{ id: string }> }>(t, 'GET', `/v1/approvals?session=${lead.id}`)).body.approvals[0], 10_000, 'the second ask');
    await api(t, 'POST', `/v1/approvals/${ap2.id}/deny`, { reason: 'no' });
    expect(await again).toMatchObject({ ok: false, error: { code: 'denied', message: expect.stringContaining('(policy sends-need-a-person)') } });
  });
});


describe('the composer across a daemon kill -9', () => {
  let t: TestEnv;
  afterAll(async () => {
    await t?.cleanup();
  });

  it('keeps the live child, its parent link and its worktree; the lead still spawns (its saved environment)', async () => {
    t = makeTestEnv();
    initRepo(t.work);
    const pid = await startScriptedDaemon(t);
    const grant: SpawnGrant = { agents: [{ name: 'coder', file: '/specs/lead.yaml', executor: { harness: 'scripted' }, policies: [], worktree: true }], limits: {} };
    const r = await api<{ session: SessionRecord }>(t, 'POST', '/v1/sessions', { harness: 'scripted', cwd: t.work, env: { ...t.env, OMNI_TEST_MARK: 'from-lead' }, name: 'lead', spawn: grant });
    expect(r.status).toBe(201);
    const lead = r.body.session;
    await waitFor(t, 'lead', 'idle');
    const sock = path.join(t.omniHome, 'run', 'agent', lead.id, 'hook.sock');
    const spawned = await socketJson<McpCallReply>(sock, '/mcp/call', { tool: 'omni_spawn', args: { agent: 'coder', prompt: 'first' } });
    expect(spawned.ok, JSON.stringify(spawned)).toBe(true);
    const child = (spawned as { result: { session: string; worktree: string } }).result;
    expect(await socketJson(sock, '/mcp/call', { tool: 'omni_wait', args: { sessions: [child.session], timeout_s: 30 } })).toMatchObject({ ok: true, result: { timedOut: false } });
    await until(async () => /\nscripted>$/.test(String((await t.tmux(['capture-pane', '-p', '-t', `=${child.session}:`])).stdout).trimEnd()), 5_000, 'the child to show its prompt');

    process.kill(pid, 'SIGKILL');
    await until(async () => api(t, 'GET', '/v1/daemon').then(() => false, () => true), 5_000, 'the daemon to be gone');
    await startScriptedDaemon(t);

    const after = await getSession(t, child.session);
    expect(after).toMatchObject({ status: 'idle', parent: lead.id, worktree: { path: child.worktree, branch: 'omni/coder-1' } });
    expect(fs.existsSync(child.worktree)).toBe(true);
    const list = await socketJson<McpCallReply>(sock, '/mcp/call', { tool: 'omni_sessions', args: {} });
    expect(list).toMatchObject({ ok: true, result: { sessions: [{ session: child.session, parent: lead.id, status: 'idle' }] } });
    const second = await socketJson<McpCallReply>(sock, '/mcp/call', { tool: 'omni_spawn', args: { agent: 'coder', prompt: 'tool: printenv OMNI_TEST_MARK > mark.txt' } });
    expect(second).toMatchObject({ ok: true, result: { name: 'coder-2', branch: 'omni/coder-2' } });
    const s2 = (second as { result: { session: string } }).result.session;
    expect(await socketJson(sock, '/mcp/call', { tool: 'omni_wait', args: { sessions: [s2], timeout_s: 30 } })).toMatchObject({ ok: true, result: { timedOut: false, sessions: [{ status: 'idle' }] } });
    // It launched with the lead's environment, read back from spawn-env.json by the new daemon.
    expect(fs.readFileSync(path.join(t.omniHome, 'worktrees', s2, 'mark.txt'), 'utf8')).toBe('from-lead\n');
  });
});

describe('the composer: nested grants', () => {
  let t: TestEnv;
  afterAll(async () => {
    await t?.cleanup();
  });

  it("a child with its own grant spawns too, within the root's max_depth", async () => {
    t = makeTestEnv();
    initRepo(t.work);
    await startScriptedDaemon(t);
    const leaf = { name: 'leaf', file: '/specs/sub.yaml', executor: { harness: 'scripted' }, policies: [], worktree: false };
    const grant: SpawnGrant = {
      agents: [{ name: 'sub', file: '/specs/sub.yaml', executor: { harness: 'scripted' }, policies: [], worktree: false, spawn: { agents: [leaf], limits: { maxChildren: 5 } } }],
      limits: { maxDepth: 1 },
    };
    const r = await api<{ session: SessionRecord }>(t, 'POST', '/v1/sessions', { harness: 'scripted', cwd: t.work, env: t.env, name: 'root', spawn: grant });
    expect(r.status).toBe(201);
    const root = r.body.session;
    await waitFor(t, 'root', 'idle');
    const rootSock = path.join(t.omniHome, 'run', 'agent', root.id, 'hook.sock');
    const sub = await socketJson<McpCallReply>(rootSock, '/mcp/call', { tool: 'omni_spawn', args: { agent: 'sub', prompt: 'plan' } });
    expect(sub.ok, JSON.stringify(sub)).toBe(true);
    const subId = (sub as { result: { session: string } }).result.session;
    await waitFor(t, subId, 'idle');
    expect(await getSession(t, subId)).toMatchObject({ parent: root.id, spawn: true });
    const subSock = path.join(t.omniHome, 'run', 'agent', subId, 'hook.sock');
    expect(await socketJson(subSock, '/mcp/call', { tool: 'omni_agents', args: {} })).toMatchObject({ ok: true, result: { agents: [{ name: 'leaf' }], limits: { maxChildren: 5, maxDepth: 1 } } });
    // The root's max_depth: 1 holds for the sub-agent's own spawns (its leaf would be at depth 2).
    expect(await socketJson(subSock, '/mcp/call', { tool: 'omni_spawn', args: { agent: 'leaf', prompt: 'x' } })).toMatchObject({
      ok: false,
      error: { code: 'denied', message: expect.stringContaining('the child would be at depth 2, max_depth is 1') },
    });
    // The root sees its grandchildren's tree; the sub-agent only its own.
    expect(await socketJson(rootSock, '/mcp/call', { tool: 'omni_sessions', args: {} })).toMatchObject({ ok: true, result: { sessions: [{ session: subId, depth: 1 }] } });

    // Without a depth bound the sub-agent starts its leaf: a grandchild of the root.
    const r2 = await api<{ session: SessionRecord }>(t, 'POST', '/v1/sessions', { harness: 'scripted', cwd: t.work, env: t.env, name: 'root2', spawn: { ...grant, limits: {} } });
    const root2 = r2.body.session;
    await waitFor(t, 'root2', 'idle');
    const root2Sock = path.join(t.omniHome, 'run', 'agent', root2.id, 'hook.sock');
    const sub2 = ((await socketJson<McpCallReply>(root2Sock, '/mcp/call', { tool: 'omni_spawn', args: { agent: 'sub', prompt: 'plan' } })) as { result: { session: string } }).result.session;
    await waitFor(t, sub2, 'idle');
    const sub2Sock = path.join(t.omniHome, 'run', 'agent', sub2, 'hook.sock');
    const leafR = await socketJson<McpCallReply>(sub2Sock, '/mcp/call', { tool: 'omni_spawn', args: { agent: 'leaf', prompt: 'x' } });
    expect(leafR).toMatchObject({ ok: true, result: { name: 'leaf-1' } });
    const leafId = (leafR as { result: { session: string } }).result.session;
    expect((await getSession(t, leafId)).parent).toBe(sub2);
    const tree = await socketJson<McpCallReply>(root2Sock, '/mcp/call', { tool: 'omni_sessions', args: {} });
    expect((tree as { result: { sessions: Array<{ session: string; depth: number; parent: string }> } }).result.sessions).toEqual([
      expect.objectContaining({ session: sub2, depth: 1, parent: root2.id }),
      expect.objectContaining({ session: leafId, depth: 2, parent: sub2 }),
    ]);
    // omni_stop of the sub-agent stops its leaf first.
    expect(await socketJson(root2Sock, '/mcp/call', { tool: 'omni_stop', args: { session: sub2 } })).toEqual({ ok: true, result: { stopped: [leafId, sub2] } });
  });
});
