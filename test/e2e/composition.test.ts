import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { answerCodexTitles, codexUserEnv, writeCodexUserConfig } from '../conformance/profiles/codex.js';
import { writePiUserConfig } from '../conformance/profiles/pi.js';
import { startFakeModel, type CapturedRequest, type FakeModel } from '../fake-model/server.js';
import { parseEvents } from '../helpers/events.js';
import { commitFile, initRepo, sh } from '../helpers/git-repo.js';
import { claudeEnv, makeTestEnv, OMNI_JS, pinnedCli, until, type TestEnv } from '../helpers/omni.js';

/**
 * Composition end to end, the way a user runs it: `omni run lead.yaml` starts a Claude lead whose
 * spec may start a Codex coder and a Pi reviewer, each in its own git worktree; the lead drives
 * them through omni's MCP tools (scripted by the fake model, the only fake part). Then the merge
 * queue over sessions a person started through `omni mcp` from outside any session.
 */

const ready = pinnedCli('claude') && pinnedCli('codex') && pinnedCli('pi');

/** Claude, Codex and Pi all pointed at one fake model, git with a fixed identity. */
function world(fake: FakeModel): TestEnv {
  const t = makeTestEnv({ ...claudeEnv(fake.url), PI_OFFLINE: '1' });
  Object.assign(t.env, codexUserEnv(t));
  writeCodexUserConfig(t.home, fake.url);
  writePiUserConfig(t.home, fake.url);
  answerCodexTitles(fake);
  fs.writeFileSync(path.join(t.home, '.gitconfig'), '[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n');
  return t;
}

/** The tool result answering call `id` anywhere in a request body (Anthropic tool_result blocks). */
function toolResult(req: CapturedRequest, id: string): string | undefined {
  const walk = (o: unknown): unknown => {
    if (!o || typeof o !== 'object') return undefined;
    const r = o as Record<string, unknown>;
    if (r.tool_use_id === id) return r;
    for (const v of Object.values(r)) {
      const hit = walk(v);
      if (hit) return hit;
    }
    return undefined;
  };
  const hit = walk(req.body);
  return hit === undefined ? undefined : JSON.stringify(hit);
}

/** The result the lead's model got for its call of `tool` (the n-th, 0-based). */
function resultOf(fake: FakeModel, tool: string, nth = 0): string | undefined {
  const calls = fake.requests.flatMap((r) => (r.answer?.toolUses ?? []).filter((u) => u.name.endsWith(tool)).map((u) => u.id));
  const id = calls[nth];
  if (!id) return undefined;
  for (const r of fake.requests) {
    const hit = toolResult(r, id);
    if (hit) return hit;
  }
  return undefined;
}

const live = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!ready)('composition: a lead and its sub-agents on other harnesses, worktrees, the merge queue', () => {
  let fake: FakeModel;
  let t: TestEnv;
  beforeEach(async () => {
    fake = await startFakeModel();
    t = world(fake);
  });
  afterEach(async () => {
    await t.cleanup();
    await fake.close();
  });

  it('a Claude lead spawns a Codex and a Pi child in worktrees, is denied a third, waits through a daemon kill -9, reads both diffs; the tree total holds the children', async () => {
    initRepo(t.work);
    const spec = path.join(t.dir, 'lead.yaml');
    fs.writeFileSync(
      spec,
      [
        'name: lead',
        'prompt: LEAD-START',
        'executor: { harness: claude }',
        'spawn: true',
        'agents:',
        '  coder: { executor: { harness: codex }, worktree: true }',
        '  reviewer: { executor: { harness: pi }, worktree: true }',
        'limits: { max_children: 2 }',
        '',
      ].join('\n'),
    );
    const held = fake.gate();
    fake.script({
      match: 'LEAD-START',
      turns: [
        { toolUses: [{ mcp: 'omni_spawn', input: { agent: 'coder', prompt: 'CODEX-TASK' } }] },
        { toolUses: [{ mcp: 'omni_spawn', input: { agent: 'reviewer', prompt: 'PI-TASK' } }] },
        { toolUses: [{ mcp: 'omni_spawn', input: { agent: 'coder', prompt: 'ONE-TOO-MANY' } }] },
        // Held here while the daemon is killed and comes back.
        { gate: held, toolUses: [{ mcp: 'omni_wait', input: { sessions: ['coder-1', 'reviewer-1'], for: 'idle', timeout_s: 240 } }] },
        { toolUses: [{ mcp: 'omni_diff', input: { session: 'coder-1' } }] },
        { toolUses: [{ mcp: 'omni_diff', input: { session: 'reviewer-1' } }] },
        { text: 'LEAD-DONE: both diffs read.' },
      ],
    });
    fake.script({ match: 'CODEX-TASK', turns: [{ toolUses: [{ name: 'exec_command', input: { cmd: 'echo from-codex > codex.txt' } }] }, { text: 'coder done' }] });
    fake.script({ match: 'PI-TASK', turns: [{ toolUses: [{ name: 'bash', input: { command: 'echo from-pi > pi.txt' } }] }, { text: 'reviewer done' }] });

    const lead = await t.omniJson<SessionRecord>(['run', spec]);
    expect(lead.spawn).toBe(true);
    await held.reached;

    // Two children, on their harnesses, each in a worktree of the lead's repo on omni/<name>.
    const all = await t.omniJson<SessionRecord[]>(['ls', '--all']);
    const coder = all.find((s) => s.name === 'coder-1');
    const reviewer = all.find((s) => s.name === 'reviewer-1');
    expect(coder).toMatchObject({ harness: 'codex', parent: lead.id, worktree: { branch: 'omni/coder-1', repo: fs.realpathSync(t.work) } });
    expect(reviewer).toMatchObject({ harness: 'pi', parent: lead.id, worktree: { branch: 'omni/reviewer-1' } });
    expect(all.filter((s) => s.parent === lead.id)).toHaveLength(2);
    for (const c of [coder!, reviewer!]) {
      expect(c.cwd).toBe(c.worktree!.path);
      expect(c.worktree!.path.startsWith(fs.realpathSync(t.omniHome))).toBe(true);
    }
    // The third spawn went past max_children: the lead's model got the policy's refusal.
    const denied = resultOf(fake, 'omni_spawn', 2);
    expect(denied).toContain('spawn_bounds');
    expect(denied).toContain('"is_error":true');

    // kill -9 the daemon while the children work and the lead is mid-turn.
    const pidFile = path.join(t.omniHome, 'run', 'omnid.pid');
    const pid1 = Number(fs.readFileSync(pidFile, 'utf8'));
    process.kill(pid1, 'SIGKILL');
    await until(() => !live(pid1), 5000, 'the daemon to die');
    const after = await t.omniJson<SessionRecord[]>(['ls', '--all']); // starts a new daemon, which re-adopts
    for (const c of [coder!, reviewer!]) {
      const again = after.find((s) => s.id === c.id);
      expect(again, c.name).toMatchObject({ parent: lead.id, worktree: c.worktree });
      expect(fs.existsSync(c.worktree!.path)).toBe(true);
    }
    expect(sh(t.work, 'worktree', 'list')).toContain(coder!.worktree!.path);
    held.release();

    // The lead waits for both, reads both diffs, and finishes.
    await fake.waitForRequest((r) => r.answer?.text === 'LEAD-DONE: both diffs read.', 240_000);
    expect(resultOf(fake, 'omni_wait')).toMatch(/coder-1[\s\S]*idle|idle[\s\S]*coder-1/);
    expect(resultOf(fake, 'omni_diff', 0)).toContain('+from-codex');
    expect(resultOf(fake, 'omni_diff', 1)).toContain('+from-pi');

    // The parent was told, in its log.
    const leadEvents = parseEvents((await t.omni(['events', 'lead', '--json'])).stdout);
    const told = leadEvents.filter((e) => e.type === 'child.idle').map((e) => (e as OmniEvent).data as { name: string });
    expect(told.map((d) => d.name)).toEqual(expect.arrayContaining(['coder-1', 'reviewer-1']));

    // The children's spend is in the lead's tree total.
    const flat = await t.omniJson<Array<SessionRecord & { treeCost?: { usd: number } }>>(['ls', '--all']);
    const leadRow = flat.find((s) => s.id === lead.id)!;
    const kids = flat.filter((s) => s.parent === lead.id);
    const kidsUsd = kids.reduce((n, s) => n + (s.cost?.computedUsd ?? 0), 0);
    expect(kidsUsd).toBeGreaterThan(0);
    expect(leadRow.treeCost?.usd).toBeCloseTo((leadRow.cost?.computedUsd ?? 0) + kidsUsd, 9);

    // omni worktree ls shows both; omni stop --tree ends the three; the worktrees stay.
    const wts = await t.omniJson<Array<{ session: string; branch: string }>>(['worktree', 'ls']);
    expect(wts.map((w) => w.branch).sort()).toEqual(['omni/coder-1', 'omni/reviewer-1']);
    expect((await t.omni(['stop', '--tree', 'lead'])).exitCode).toBe(0);
    const ended = await t.omniJson<SessionRecord[]>(['ls', '--all']);
    for (const id of [lead.id, coder!.id, reviewer!.id]) expect(ended.find((s) => s.id === id)?.status).toBe('exited');
    expect(fs.existsSync(coder!.worktree!.path)).toBe(true);
    expect(fs.readFileSync(path.join(coder!.worktree!.path, 'codex.txt'), 'utf8')).toBe('from-codex\n');
  });

  it('a person drives omni through `omni mcp`; the merge queue merges two clean branches, stops on a conflicting third and tells its session', async () => {
    initRepo(t.work);
    const jobs = [
      { name: 'mq-1', token: 'MQ-ONE', cmd: 'echo one > one.txt && git add one.txt && git commit -qm "add one"' },
      { name: 'mq-2', token: 'MQ-TWO', cmd: 'echo two > two.txt && git add two.txt && git commit -qm "add two"' },
      { name: 'mq-3', token: 'MQ-THREE', cmd: 'echo theirs > README && git commit -qam "rewrite README"' },
    ];
    for (const j of jobs) fake.script({ match: j.token, turns: [{ toolUses: [{ name: 'bash', input: { command: j.cmd } }] }, { text: `${j.name} committed` }] });

    const client = new Client({ name: 'omni-e2e', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [OMNI_JS, 'mcp'], env: t.env, cwd: t.work, stderr: 'pipe' }));
    try {
      const names = (await client.listTools()).tools.map((x) => x.name).sort();
      expect(names).toEqual(['omni_agents', 'omni_diff', 'omni_read', 'omni_send', 'omni_sessions', 'omni_spawn', 'omni_stop', 'omni_wait']);
      const call = async (name: string, args: Record<string, unknown>) => {
        const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: 300_000 })) as { isError?: boolean; content: Array<{ text: string }> };
        expect(r.isError, r.content?.[0]?.text).toBeFalsy();
        return JSON.parse(r.content[0]!.text) as Record<string, unknown>;
      };
      for (const j of jobs) {
        const spawned = await call('omni_spawn', { harness: 'pi', prompt: `${j.token} commit it`, name: j.name, worktree: true });
        expect(spawned).toMatchObject({ name: j.name, harness: 'pi', branch: `omni/${j.name}` });
      }
      const waited = (await call('omni_wait', { sessions: jobs.map((j) => j.name), for: 'idle', timeout_s: 180 })) as { timedOut: boolean; sessions: Array<{ status: string }> };
      expect(waited.timedOut).toBe(false);
      expect(waited.sessions.map((s) => s.status)).toEqual(['idle', 'idle', 'idle']);
      const listed = (await call('omni_sessions', {})) as { sessions: Array<{ name: string }> };
      expect(listed.sessions.map((s) => s.name).sort()).toEqual(['mq-1', 'mq-2', 'mq-3']);
      const read = (await call('omni_read', { session: 'mq-2' })) as { entries: Array<{ kind: string; text?: string }> };
      expect(read.entries.some((e) => e.kind === 'assistant' && e.text === 'mq-2 committed')).toBe(true);

      // Meanwhile main moved on the line mq-3 rewrites.
      commitFile(t.work, 'README', 'ours\n', 'main edits README');
      const merge = await t.omni(['merge', 'mq-1', 'mq-2', 'mq-3', '--check', 'test -f one.txt', '--yes', '--json'], { timeoutMs: 180_000 });
      expect(merge.exitCode, merge.stderr).toBe(1); // not every branch merged
      const out = JSON.parse(String(merge.stdout)) as { updated: boolean; outcomes: Array<{ branch: string; outcome: string; files?: string[]; told?: boolean }> };
      expect(out.outcomes.map((o) => [o.branch, o.outcome])).toEqual([
        ['omni/mq-1', 'merged'],
        ['omni/mq-2', 'merged'],
        ['omni/mq-3', 'conflict'],
      ]);
      expect(out.outcomes[2]).toMatchObject({ files: ['README'], told: true });
      expect(out.updated).toBe(true);
      // main got both clean branches, linearly, and kept its own README; nothing was pushed anywhere.
      expect(sh(t.work, 'log', '--format=%s', 'main')).toBe(['add two', 'add one', 'main edits README', 'initial'].join('\n'));
      expect(fs.readFileSync(path.join(t.work, 'README'), 'utf8')).toBe('ours\n');
      // The conflicting branch's session got the conflict as a message.
      await until(
        async () => parseEvents((await t.omni(['events', 'mq-3', '--json'])).stdout).some((e) => e.type === 'message.user' && /README/.test(String((e.data as { text: string }).text)) && /conflict/i.test(String((e.data as { text: string }).text))),
        60_000,
        'the conflict message in mq-3',
      );
      execFileSync('git', ['-C', t.work, 'worktree', 'list'], { encoding: 'utf8' });
    } finally {
      await client.close();
    }
  });
});
