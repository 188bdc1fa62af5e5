import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalQueue } from '../../src/approvals/queue.js';
import type { NewEvent, OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { checkArgs } from '../../src/daemon/composer-args.js';
import { compactEntries } from '../../src/daemon/composer-read.js';
import { PolicyService } from '../../src/daemon/policy-service.js';
import { addUsage } from '../../src/daemon/session-log.js';
import { descendants, treeFacts } from '../../src/daemon/session-tree.js';
import { limitsPolicy } from '../../src/daemon/spawn-grants.js';
import { omniGuard } from '../../src/policy/guard.js';
import { buildToolSubject } from '../../src/policy/subject.js';
import type { PolicySubject } from '../../src/policy/types.js';
import { load, PolicyState, prompt, session, step } from '../helpers/policy.js';

const spawnCall = (tree: { children: number; live: number; depth: number }, treeUsd = 0, tool = 'omni_spawn'): PolicySubject => ({
  phase: 'mcp',
  session: session(),
  mcp: { tool, args: { agent: 'coder', prompt: 'x' }, tree },
  spend: { session: { usd: 0, unpricedModels: [] }, tree: { usd: treeUsd, unpricedModels: [] }, day: { date: '2025-06-01', usd: 0, unpricedModels: [] } },
});
const bounds = (params: Record<string, unknown>) => load(`policies:\n  - use: spawn_bounds\n    with: ${JSON.stringify(params)}\n`, 'agent');

describe('spawn_bounds', () => {
  it('denies omni_spawn past each bound, saying the figure and the bound', async () => {
    const cases: Array<[Record<string, unknown>, PolicySubject, RegExp]> = [
      [{ max_children: 2 }, spawnCall({ children: 2, live: 0, depth: 0 }), /spawn_bounds: 2 children started already, max_children is 2/],
      [{ max_depth: 1 }, spawnCall({ children: 0, live: 0, depth: 1 }), /the child would be at depth 2, max_depth is 1/],
      [{ max_concurrent: 3 }, spawnCall({ children: 5, live: 3, depth: 0 }), /3 sub-agents live now, max_concurrent is 3/],
      [{ max_tree_usd: 1.5 }, spawnCall({ children: 0, live: 0, depth: 0 }, 2), /the tree has spent \$2\.0000, max_tree_usd is \$1\.5/],
    ];
    for (const [params, subject, reason] of cases) {
      const r = await step(bounds(params), subject, new PolicyState());
      expect(r.verdict, JSON.stringify(params)).toBe('deny');
      expect(r.reason).toMatch(reason);
      expect(r.policies).toEqual(['spawn_bounds']);
    }
  });

  it('allows under the bounds, and has no opinion on other omni tools', async () => {
    const ps = bounds({ max_children: 2, max_depth: 2, max_concurrent: 2, max_tree_usd: 5 });
    expect((await step(ps, spawnCall({ children: 1, live: 1, depth: 1 }, 4.99), new PolicyState())).verdict).toBe('none');
    expect((await step(ps, spawnCall({ children: 9, live: 9, depth: 9 }, 99, 'omni_wait'), new PolicyState())).verdict).toBe('none');
  });

  it('counts spawns per turn and starts over at the next prompt', async () => {
    const ps = bounds({ max_per_turn: 2 });
    expect(ps[0]!.policy.phases).toEqual(['mcp', 'prompt']);
    const st = new PolicyState();
    const free = { children: 0, live: 0, depth: 0 };
    expect((await step(ps, spawnCall(free), st)).verdict).toBe('none');
    expect((await step(ps, spawnCall(free), st)).verdict).toBe('none');
    expect(await step(ps, spawnCall(free), st)).toMatchObject({ verdict: 'deny', reason: expect.stringContaining('2 spawns this turn already, max_per_turn is 2') });
    await step(ps, prompt('next task'), st);
    expect((await step(ps, spawnCall(free), st)).verdict).toBe('none');
    // Without a per-turn bound it does not watch prompts (a prompt policy makes every send wait).
    expect(bounds({ max_children: 1 })[0]!.policy.phases).toEqual(['mcp']);
  });

  it('needs at least one bound, and checks each one with file:line:column', () => {
    expect(() => bounds({})).toThrow(/give at least one bound/);
    expect(() => bounds({ max_children: -1 })).toThrow(/test\.yaml:\d+:\d+.*max_children/);
    expect(() => bounds({ max_kids: 1 })).toThrow(/max_kids/);
  });

  it("is what an agent spec's limits become (agent level)", () => {
    const p = limitsPolicy({ agents: [], limits: { maxChildren: 3, maxDepth: 2, maxConcurrent: 1 } }, '/specs/lead.yaml limits')!;
    expect(p).toMatchObject({ ref: 'spawn_bounds', level: 'agent', source: '/specs/lead.yaml limits' });
    const [loaded] = load(p.text!, 'agent');
    expect(loaded!.policy.builtin).toEqual({ name: 'spawn_bounds', params: { max_children: 3, max_depth: 2, max_concurrent: 1 } });
    expect(limitsPolicy({ agents: [], limits: {} }, 'x')).toBeUndefined();
  });
});

describe('rule files at phase mcp', () => {
  it('select omni tools with mcp_tool; rules that do not name the phase keep off it', async () => {
    const ps = load(
      [
        'policies:',
        '  - name: tools',
        '    rules:',
        '      - when: { mcp_tool: omni_stop }',
        '        verdict: ask',
        '        reason: a person stops ${tool}',
        '      - when: { phase: mcp }',
        '        verdict: allow',
        '      - verdict: deny',
        '        reason: catch-all',
        '',
      ].join('\n'),
    );
    expect(await step(ps, spawnCall({ children: 0, live: 0, depth: 0 }, 0, 'omni_stop'), new PolicyState())).toMatchObject({ verdict: 'ask', reason: 'tools: a person stops omni_stop' });
    expect((await step(ps, spawnCall({ children: 0, live: 0, depth: 0 }), new PolicyState())).verdict).toBe('allow');
    expect(() => load('policies:\n  - name: x\n    rules:\n      - when: { mcp_tool: omni_spawn, command: rm }\n        verdict: deny\n')).toThrow(/never apply at the same phase/);
  });
});

describe('omni_guard and sub-agent worktrees', () => {
  const H = '/home/me/.local/state/omni';
  const guard = omniGuard({ omniHome: H, home: '/home/me', configDir: '/home/me/.config/omni' });
  const shell = (command: string, cwd: string): PolicySubject => ({
    phase: 'tool_call',
    session: { ...session(), cwd },
    tool: buildToolSubject({ name: 'Bash', callId: 'c', input: { command }, call: { kind: 'shell', script: command } }, cwd, { home: '/home/me' }),
  });
  it('lets an agent write in a worktree under OMNI_HOME/worktrees, and nowhere else of omni\'s', async () => {
    const wt = `${H}/worktrees/s_abcdefgh`;
    expect((await guard.evaluate(shell('echo x > new.txt && mkdir -p src && touch src/a.ts', wt), new PolicyState())).verdict).toBeUndefined();
    expect((await guard.evaluate(shell('echo x > ../../state/sessions.json', wt), new PolicyState())).verdict).toBe('deny');
    expect((await guard.evaluate(shell(`rm -rf ${H}/worktrees`, '/work'), new PolicyState())).verdict).toBe('deny');
  });
});

describe('the session tree', () => {
  const rec = (id: string, parent?: string, extra: Partial<SessionRecord> = {}): SessionRecord => ({
    id, name: id, harness: 'claude', cwd: '/w', status: 'idle', createdAt: '', updatedAt: '', tmuxSession: id, command: [], lastSeq: 0, ...(parent ? { parent } : {}), ...extra,
  });
  const all = [rec('root'), rec('a', 'root'), rec('b', 'root', { status: 'exited' }), rec('a1', 'a'), rec('other')];
  it('descendants, depth and the facts the mcp phase sees', () => {
    expect(descendants('root', all).map((r) => r.id)).toEqual(['a', 'a1', 'b']);
    expect(treeFacts(all[3]!, all).depth).toBe(2);
    expect(treeFacts(all[0]!, all)).toEqual({ children: 2, live: 2, depth: 0 });
  });
});

describe('a tree budget counts children on every harness', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-tree-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a Claude lead, a Codex child and a Pi grandchild: the lead sees all three in spend.tree; omni_spawn past max_tree_usd and a tree budget are refused', async () => {
    const recs = new Map<string, SessionRecord>();
    const events: Array<{ session: string; ev: NewEvent }> = [];
    const approvals = new ApprovalQueue(path.join(dir, 'approvals'));
    approvals.load();
    const svc = new PolicyService({
      approvals,
      sessionDir: (id) => (fs.mkdirSync(path.join(dir, id), { recursive: true }), path.join(dir, id)),
      getSession: (id) => recs.get(id),
      emit: (r, ev) => events.push({ session: r.id, ev }),
      setStatus: (r, status) => (r.status = status),
      usage: { onUsage: () => () => {} },
      configDir: path.join(dir, 'config'),
      listSessions: () => [...recs.values()],
    });
    const add = (id: string, harness: string, parent?: string) => {
      const r: SessionRecord = { id, name: id, harness, cwd: dir, status: 'idle', createdAt: '', updatedAt: '', tmuxSession: id, command: [], lastSeq: 0, ...(parent ? { parent } : {}) };
      recs.set(id, r);
      return r;
    };
    const lead = add('s_lead', 'claude');
    svc.attach(lead, svc.prepare([{ ref: 'spawn_bounds', source: 'limits', text: 'policies:\n  - use: spawn_bounds\n    with: { max_tree_usd: 1 }\n', level: 'agent' }], dir));
    const codex = add('s_codex', 'codex', lead.id);
    const pi = add('s_pi', 'pi', codex.id);
    const spend = (r: SessionRecord, usd: number) => addUsage(r, { model: 'm', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, source: 't', computedCostUsd: usd });
    spend(lead, 0.25);
    spend(codex, 0.25);
    spend(pi, 0.25);
    expect(svc.spend(lead).tree.usd).toBe(0.75);
    const call = { phase: 'mcp' as const, tool: 'omni_spawn', args: { agent: 'x', prompt: 'y' } };
    expect((await svc.decide(lead, call)).verdict).toBe('none');
    spend(pi, 0.25);
    expect(await svc.decide(lead, call)).toMatchObject({ verdict: 'deny', policy: 'spawn_bounds', reason: expect.stringContaining('max_tree_usd is $1') });
    expect(events.filter((e) => e.ev.type === 'policy.decision').map((e) => e.ev.data)).toContainEqual(expect.objectContaining({ phase: 'mcp', verdict: 'deny' }));
    // And a `scope: tree` budget of the lead sees the same total.
    svc.attach(lead, svc.prepare([{ ref: 'cost_budget:{"hard_limit_usd": 1, "scope": "tree"}' }], dir));
    expect(await svc.decide(lead, { phase: 'prompt', text: 'go on' })).toMatchObject({ verdict: 'deny', reason: expect.stringContaining('$1 spent by this session and its sub-agents') });
  });
});

describe('omni tool arguments and omni_read', () => {
  it('checks arguments against the tool schemas', () => {
    expect(checkArgs('omni_wait', { sessions: ['a'], for: 'idle', timeout_s: 10 }).tool).toBe('omni_wait');
    expect(() => checkArgs('omni_wait', { sessions: ['a'], for: 'done' })).toThrow(/"for" must be one of idle, exited, any/);
    expect(() => checkArgs('omni_wait', { sessions: ['a'], timeout_s: 4000 })).toThrow(/at most 3600/);
    expect(() => checkArgs('omni_read', { session: 'a', last: 1.5 })).toThrow(/whole number/);
    expect(() => checkArgs('omni_send', { session: 'a' })).toThrow(/"text" is required/);
    expect(() => checkArgs('omni_agents', { x: 1 })).toThrow(/unknown argument "x"/);
    expect(() => checkArgs('omni_spawn', [])).toThrow(/must be an object/);
  });

  it('compacts a log: assistant text, tool calls with a summary and their outcome; next reads on', () => {
    const ev = (seq: number, type: string, data: unknown) => ({ seq, ts: `t${seq}`, session: 's', type, data }) as OmniEvent;
    const log = [
      ev(1, 'session.status', { status: 'running' }),
      ev(2, 'tool.call', { callId: 'c1', tool: 'Bash', kind: 'shell', input: { command: 'npm   test\n--silent' } }),
      ev(3, 'tool.result', { callId: 'c1', ok: false, output: 'boom' }),
      ev(4, 'message.assistant', { text: 'tests fail' }),
      ev(5, 'session.status', { status: 'idle' }),
    ];
    const r = compactEntries(log, { since: 0 });
    expect(r).toEqual({
      entries: [
        { seq: 2, ts: 't2', kind: 'tool', tool: 'Bash', summary: 'npm test --silent', ok: false },
        { seq: 4, ts: 't4', kind: 'assistant', text: 'tests fail' },
      ],
      next: 5,
    });
    expect(compactEntries(log, { since: 0, last: 1 }).entries.map((e) => e.seq)).toEqual([4]);
    const big = Array.from({ length: 50 }, (_, i) => ev(i + 1, 'message.assistant', { text: 'x'.repeat(3000) }));
    const capped = compactEntries(big, { since: 0 });
    expect(capped.entries.length).toBeLessThan(50);
    expect(capped.next).toBe(capped.entries[capped.entries.length - 1]!.seq);
  });
});
