import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatCostReport } from '../../src/cli/commands/cost.js';
import { formatStatusLine } from '../../src/cli/commands/status-line.js';
import { makeChalk } from '../../src/cli/output.js';
import type { EventDataMap, NewEvent, OmniEvent, UsageData } from '../../src/core/events.js';
import type { SessionCost, SessionRecord } from '../../src/core/session.js';
import { aggregateCost, costEventsOf } from '../../src/cost/aggregate.js';
import { formatSpend, formatTotalSpend, totalSpend } from '../../src/cost/format.js';
import { ReportedCost } from '../../src/cost/reported.js';
import { EventBus } from '../../src/daemon/bus.js';
import { HarnessSessions } from '../../src/daemon/harness-sessions.js';
import { PaneIO } from '../../src/daemon/pane-io.js';
import type { PolicyPort, SandboxPort, TmuxPort } from '../../src/daemon/ports.js';
import { SessionLog } from '../../src/daemon/session-log.js';
import { SessionManager } from '../../src/daemon/sessions.js';
import { SessionStore } from '../../src/daemon/store.js';
import { userStatusLine } from '../../src/harnesses/claude/config.js';
import { claudeAdapter, claudeSettings } from '../../src/harnesses/claude/index.js';
import { piAdapter } from '../../src/harnesses/pi/index.js';
import { HarnessRegistry } from '../../src/harnesses/registry.js';
import type { SignalContext } from '../../src/harnesses/types.js';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'claude');
const statusPayload = () => JSON.parse(fs.readFileSync(path.join(FIX, 'hook-StatusLine.json'), 'utf8')) as Record<string, unknown>;
const rep = (totalUsd: number, harnessSessionId = 'h1', model = 'm'): EventDataMap['cost.reported'] => ({ totalUsd, source: 'claude.statusline', harnessSessionId, model });

describe('ReportedCost: folding running totals', () => {
  it('counts each harness session by its last total; the same total again changes nothing', () => {
    const r = new ReportedCost();
    expect(r.changes(rep(0))).toBe(false); // Claude's first status line says $0
    expect(r.add(rep(0.1305))).toBe(0.1305);
    expect(r.changes(rep(0.1305))).toBe(false);
    expect(r.add(rep(0.1305))).toBe(0);
    expect(r.add(rep(0.261))).toBeCloseTo(0.1305, 12);
    // /clear: a new harness session starts at 0 and adds its own.
    expect(r.add(rep(0, 'h2'))).toBe(0);
    expect(r.add(rep(0.1, 'h2'))).toBe(0.1);
    expect(r.totalUsd).toBeCloseTo(0.361, 12);
    // A total that falls (a restart that did not restore it) is a new stretch on top.
    expect(r.add(rep(0.05, 'h2'))).toBe(0.05);
    expect(r.totalUsd).toBeCloseTo(0.411, 12);
  });
});

describe('Claude statusLine wiring', () => {
  const hooks = { command: (e: string, m: string) => `hook ${e} ${m}`, statusLine: (user?: string) => `sl${user ? ` [${user}]` : ''}` };

  it("adds omni's status line, running the user's with their other keys kept", () => {
    expect(claudeSettings(hooks).statusLine).toEqual({ type: 'command', command: 'sl' });
    expect(claudeSettings(hooks, { type: 'command', command: '~/bin/line.sh', padding: 2, refreshInterval: 5 }).statusLine).toEqual({
      type: 'command',
      command: 'sl [~/bin/line.sh]',
      padding: 2,
      refreshInterval: 5,
    });
    // Hook wiring without a status line (older callers): no statusLine key at all.
    expect(claudeSettings({ command: hooks.command }).statusLine).toBeUndefined();
  });

  describe("finding the user's own status line", () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omsl-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const write = (file: string, body: unknown) => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
    };

    it('ranks project local, then project, then user settings (CLAUDE_CONFIG_DIR or ~/.claude)', () => {
      const home = path.join(dir, 'home');
      const cwd = path.join(dir, 'proj');
      fs.mkdirSync(cwd, { recursive: true });
      expect(userStatusLine({ HOME: home }, cwd)).toEqual({ notes: [] });
      write(path.join(home, '.claude', 'settings.json'), { statusLine: { type: 'command', command: 'user-line' } });
      expect(userStatusLine({ HOME: home }, cwd).statusLine?.command).toBe('user-line');
      write(path.join(dir, 'cfg', 'settings.json'), { statusLine: { type: 'command', command: 'cfg-line' } });
      expect(userStatusLine({ HOME: home, CLAUDE_CONFIG_DIR: path.join(dir, 'cfg') }, cwd).statusLine?.command).toBe('cfg-line');
      write(path.join(cwd, '.claude', 'settings.json'), { permissions: {}, statusLine: { type: 'command', command: 'proj-line', padding: 0 } });
      expect(userStatusLine({ HOME: home }, cwd)).toMatchObject({ statusLine: { command: 'proj-line', padding: 0 }, file: path.join(cwd, '.claude', 'settings.json') });
      write(path.join(cwd, '.claude', 'settings.local.json'), { statusLine: { type: 'command', command: 'local-line' } });
      expect(userStatusLine({ HOME: home }, cwd).statusLine?.command).toBe('local-line');
    });

    it('skips a file that is not JSON (saying so) and entries without a command', () => {
      const home = path.join(dir, 'home');
      const cwd = path.join(dir, 'proj');
      write(path.join(cwd, '.claude', 'settings.local.json'), '{nope');
      write(path.join(cwd, '.claude', 'settings.json'), { statusLine: { type: 'command', command: '  ' } });
      write(path.join(home, '.claude', 'settings.json'), { statusLine: { type: 'command', command: 'user-line' } });
      const found = userStatusLine({ HOME: home }, cwd);
      expect(found.statusLine?.command).toBe('user-line');
      expect(found.notes[0]).toMatch(/could not read .*settings\.local\.json/);
    });
  });

  it('maps a StatusLine payload (recorded from 2.1.330) to cost.reported', async () => {
    const events: NewEvent[] = [];
    const session = { id: 's_t', name: 't', harness: 'claude', cwd: '/w', status: 'idle', lastSeq: 0 } as SessionRecord;
    const ctx: SignalContext = {
      session,
      emit: (ev) => events.push(ev),
      setStatus: () => {},
      update: (patch) => Object.assign(session, patch),
      decide: async () => ({ verdict: 'none' }),
      ingest: () => {},
      flushIngest: async () => {},
    };
    expect(await claudeAdapter.open(session).handleHook('StatusLine', statusPayload(), ctx)).toEqual({});
    expect(events).toEqual([
      {
        type: 'cost.reported',
        data: { totalUsd: 0.1305, source: 'claude.statusline', harnessSessionId: 'd6c966fc-918f-4ee0-a0f3-80ed19f598e5', model: 'claude-sonnet-4-5-20250929' },
      },
    ]);
    expect(session.harnessSessionId).toBe('d6c966fc-918f-4ee0-a0f3-80ed19f598e5');
    events.length = 0;
    await claudeAdapter.open(session).handleHook('StatusLine', { ...statusPayload(), cost: { total_cost_usd: 'x' } }, ctx);
    await claudeAdapter.open(session).handleHook('StatusLine', { cost: { total_cost_usd: 1 } }, ctx); // no session id
    expect(events).toEqual([]);
  });
});

describe('session totals kept by the daemon', () => {
  let dir: string;
  let store: SessionStore;
  let manager: SessionManager;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omsl-'));
    store = new SessionStore(path.join(dir, 'sessions.json'), path.join(dir, 'sessions'));
    store.load();
    const tmux = {} as TmuxPort;
    const harnesses = new HarnessRegistry([claudeAdapter, piAdapter]);
    const events = new SessionLog({ store, bus: new EventBus(), priceUsage: (_rec, u) => ({ ...u, computedCostUsd: 0.1 }) });
    const policies: PolicyPort = { prepare: () => [], attach: () => {}, decide: async () => ({ verdict: 'none' }), gates: () => false };
    const panes = new PaneIO({ tmux, harnesses, events });
    manager = new SessionManager({
      store,
      tmux,
      harnesses,
      events,
      panes,
      hooks: new HarnessSessions({ store, harnesses, events, policies, panes }),
      policies,
      sandbox: {} as SandboxPort,
      agentSocket: { open: async (id) => path.join(dir, `${id}.sock`), close: async () => {} },
      hookClient: { script: '/x/omni-hook', node: 'node', omniJs: 'omni.js', omniHome: dir },
    });
  });
  afterEach(async () => {
    await manager.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const record = (id: string, harness: string, cost?: SessionCost): SessionRecord => {
    const rec: SessionRecord = { id, name: id, harness, cwd: dir, status: 'idle', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', tmuxSession: id, command: [], lastSeq: 0, ...(cost ? { cost } : {}) };
    store.put(rec);
    return rec;
  };
  const log = (id: string, evs: Array<{ type: string; data: unknown }>) =>
    fs.writeFileSync(store.eventsFile(id), evs.map((e, i) => JSON.stringify({ seq: i + 1, ts: '2026-01-01T00:00:00.000Z', session: id, ...e }) + '\n').join(''));
  const usage = (over: Partial<UsageData> = {}): { type: 'usage'; data: UsageData } => ({
    type: 'usage',
    data: { model: 'm', inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheWriteTokens: 4, computedCostUsd: 0.1, source: 't', ...over },
  });
  const logged = (id: string) => fs.readFileSync(store.eventsFile(id), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as OmniEvent);

  it('rebuilds reportedUsd from the log (the last running total per harness session), not the index copy', () => {
    const rec = record('s_c', 'claude', { computedUsd: 9, reportedUsd: 99, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, messages: 0 });
    log('s_c', [usage(), { type: 'cost.reported', data: rep(0.1) }, usage(), { type: 'cost.reported', data: rep(0.2) }, { type: 'cost.reported', data: rep(0.05, 'h2') }]);
    manager.emit(rec, { type: 'message.user', data: { text: 'hi' } }); // opens the session's log
    expect(rec.cost).toMatchObject({ computedUsd: 0.2, messages: 2, reportedUsd: 0.25 });
    expect(rec.lastSeq).toBe(6);

    // The same total again is not logged; a new one is, and moves reportedUsd.
    manager.emit(rec, { type: 'cost.reported', data: rep(0.2) });
    expect(rec.lastSeq).toBe(6);
    manager.emit(rec, { type: 'cost.reported', data: rep(0.3) });
    expect(rec.lastSeq).toBe(7);
    expect(rec.cost?.reportedUsd).toBeCloseTo(0.35, 9);
    expect(logged('s_c').at(-1)).toMatchObject({ type: 'cost.reported', data: { totalUsd: 0.3 } });
  });

  it("StatusLine through the manager: logged once per change, Claude's $0 at start never", async () => {
    const rec = record('s_d', 'claude');
    await manager.handleHook('s_d', 'StatusLine', { ...statusPayload(), cost: { total_cost_usd: 0 } });
    expect(rec.lastSeq).toBe(0);
    expect(rec.cost).toBeUndefined();
    await manager.handleHook('s_d', 'StatusLine', statusPayload());
    await manager.handleHook('s_d', 'StatusLine', statusPayload());
    expect(logged('s_d').map((e) => e.type)).toEqual(['cost.reported']);
    expect(rec.cost).toMatchObject({ reportedUsd: 0.1305, computedUsd: 0, messages: 0 });
  });

  it("sums Pi's per-message reported cost, live and when rebuilt", () => {
    const rec = record('s_p', 'pi');
    log('s_p', [usage({ reportedCostUsd: 0.1305 }), usage({ reportedCostUsd: 0.0695 })]);
    manager.emit(rec, usage({ reportedCostUsd: 0.05 }));
    expect(rec.cost).toMatchObject({ messages: 3, reportedUsd: 0.25 });
    const again = record('s_q', 'pi');
    log('s_q', [usage(), usage()]);
    manager.emit(again, usage());
    expect(again.cost?.reportedUsd).toBeUndefined(); // Codex-like: no figure, no field
  });
});

describe('omni cost with running totals', () => {
  const ev = (session: string, ts: string, type: string, data: unknown) => ({ seq: 0, ts, session, type, data }) as OmniEvent;
  const u = (ts: string, model: string): OmniEvent =>
    ev('s_a', ts, 'usage', { model, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, computedCostUsd: 0.1305, source: 't' });
  const events = [
    u('2026-03-01T10:00:00.000Z', 'sonnet'),
    ev('s_a', '2026-03-01T10:00:01.000Z', 'cost.reported', rep(0.13, 'h1', 'sonnet')),
    ev('s_a', '2026-03-01T10:00:02.000Z', 'cost.reported', rep(0.13, 'h1', 'sonnet')), // repeated: not counted twice
    u('2026-03-02T10:00:00.000Z', 'sonnet'),
    ev('s_a', '2026-03-02T10:00:01.000Z', 'cost.reported', rep(0.26, 'h1', 'sonnet')),
  ];
  const inputs = [{ session: { id: 's_a', name: 'alpha', harness: 'claude' }, events }];

  it('adds the growth of each running total to the session, the day it was reported and its model', () => {
    const s = aggregateCost(inputs, 'session');
    expect(s.total).toMatchObject({ messages: 2, computedUsd: 0.261, reportedUsd: 0.26, reportedMessages: 0, reportedTotals: 2 });
    expect(aggregateCost(inputs, 'day').groups.map((g) => [g.key, g.reportedUsd])).toEqual([
      ['2026-03-01', 0.13],
      ['2026-03-02', 0.13],
    ]);
    expect(aggregateCost(inputs, 'model').groups.map((g) => [g.key, g.reportedUsd])).toEqual([['sonnet', 0.26]]);
    const out = formatCostReport(s, makeChalk({ isTTY: false } as NodeJS.WriteStream)).split('\n');
    expect(out[1]).toMatch(/^alpha \(s_a, claude\)\s+2\s+.*\$0\.2610\s+\$0\.2600$/); // no "(0/2 msgs)"
  });

  it('reads usage and cost.reported lines from a log', () => {
    const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n{"type":"message.user"}\n{"type":"cost.reported","da';
    expect(costEventsOf(text).map((e) => e.type)).toEqual(['usage', 'cost.reported', 'cost.reported', 'usage', 'cost.reported']);
  });
});

describe('spend labels (omni ls, omni status-line)', () => {
  const cost = (computedUsd: number, over: Partial<SessionCost> = {}): SessionCost => ({ computedUsd, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, messages: 1, ...over });

  it('ls: computed, $? for unpriced models, - before any usage', () => {
    expect(formatSpend(undefined)).toBe('-');
    expect(formatSpend(cost(0, { messages: 0, reportedUsd: 0.2 }))).toBe('-');
    expect(formatSpend(cost(0))).toBe('$0');
    expect(formatSpend(cost(0.4212))).toBe('$0.42');
    expect(formatSpend(cost(12.345))).toBe('$12.35');
    expect(formatSpend(cost(0.004))).toBe('$0.0040');
    expect(formatSpend(cost(0.00001))).toBe('<$0.0001');
    expect(formatSpend(cost(0.4212, { unpricedModels: ['x'] }))).toBe('$0.42+$?');
    expect(formatSpend(cost(0, { unpricedModels: ['x'] }))).toBe('$?');
  });

  it('one text for the same spend in ls, status-line and the dashboard', () => {
    const costs = [cost(0.1234, { unpricedModels: ['m'] })];
    const ls = formatSpend(costs[0]);
    const t = totalSpend(costs);
    const line = formatStatusLine({ running: true, sessions: 1, spendUsd: t.usd, unpriced: t.unpriced });
    expect(ls).toBe('$0.12+$?');
    expect(line.endsWith(` · ${ls}`)).toBe(true);
    expect(formatTotalSpend(costs)).toBe(ls);
    expect(formatTotalSpend([undefined, cost(0, { messages: 0 })])).toBe('-');
  });

  it('status-line: the live sessions’ spend at the end', () => {
    const spend = totalSpend([cost(1.2), undefined, cost(2)]);
    expect(spend).toEqual({ usd: 3.2, unpriced: false, any: true });
    expect(totalSpend([undefined]).any).toBe(false);
    expect(formatStatusLine({ running: true, asks: 0, sessions: 3, waiting: 1, spendUsd: 3.2 })).toBe('omni 3 sessions (1 waiting) · $3.20');
    expect(formatStatusLine({ running: true, sessions: 2, spendUsd: 3.2, unpriced: true })).toBe('omni 2 sessions · $3.20+$?');
    expect(formatStatusLine({ running: true, sessions: 1, spendUsd: 0, unpriced: true }, { tmux: true })).toBe('omni 1 session · #[fg=yellow]$?#[default]');
    expect(formatStatusLine({ running: true, sessions: 1 })).toBe('omni 1 session');
  });
});
