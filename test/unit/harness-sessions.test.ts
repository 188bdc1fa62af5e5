import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { EventBus } from '../../src/daemon/bus.js';
import { HarnessSessions } from '../../src/daemon/harness-sessions.js';
import type { PolicyPort, SandboxPort, TmuxPort } from '../../src/daemon/ports.js';
import { SessionLog } from '../../src/daemon/session-log.js';
import { SessionStore } from '../../src/daemon/store.js';
import { Supervisor } from '../../src/daemon/supervisor.js';
import { codexAdapter } from '../../src/harnesses/codex/index.js';
import { HarnessRegistry } from '../../src/harnesses/registry.js';
import type { HarnessAdapter } from '../../src/harnesses/types.js';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'codex');
const hook = (name: string) => JSON.parse(fs.readFileSync(path.join(FIX, `hook-${name}.json`), 'utf8')) as Record<string, unknown>;

/** The real Codex adapter, counting the instances it opens and closes. */
function counted(): { adapter: HarnessAdapter; opened: string[]; closed: string[] } {
  const opened: string[] = [];
  const closed: string[] = [];
  const adapter: HarnessAdapter = {
    ...codexAdapter,
    open(session) {
      opened.push(session.id);
      const inner = codexAdapter.open(session);
      return {
        handleHook: (e, p, ctx) => inner.handleHook(e, p, ctx),
        createIngestor: (ctx, seen) => inner.createIngestor(ctx, seen),
        close: () => {
          closed.push(session.id);
          inner.close();
        },
      };
    },
  };
  return { adapter, opened, closed };
}

describe('per-session adapter instances (HarnessSessions)', () => {
  let dir: string;
  let store: SessionStore;
  let events: SessionLog;
  let hooks: HarnessSessions;
  let count: ReturnType<typeof counted>;
  const decided: string[] = [];
  const policies: PolicyPort = {
    prepare: () => [],
    attach: () => {},
    decide: async (rec, req) => {
      decided.push(`${rec.id}:${req.phase}`);
      if (req.phase === 'prompt' && req.text.includes('secret')) return { verdict: 'deny', reason: 'no secrets', policy: 'p' };
      return req.phase === 'tool_call' ? { verdict: 'deny', reason: 'not here' } : { verdict: 'none' };
    },
    gates: () => true,
  };
  const cleared: string[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omhs-'));
    store = new SessionStore(path.join(dir, 'sessions.json'), path.join(dir, 'sessions'));
    store.load();
    events = new SessionLog({ store, bus: new EventBus() });
    count = counted();
    hooks = new HarnessSessions({ store, harnesses: new HarnessRegistry([count.adapter]), events, policies, panes: { clearBlockedPrompt: async (rec) => void cleared.push(rec.id) } });
    decided.length = 0;
  });
  afterEach(() => {
    hooks.closeAll();
    events.closeAll();
    store.flush();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const record = (id: string): SessionRecord => {
    const rec: SessionRecord = { id, name: id, harness: 'codex', cwd: dir, status: 'idle', createdAt: '', updatedAt: '', tmuxSession: id, command: [], lastSeq: 0 };
    store.put(rec);
    return rec;
  };
  const logged = (id: string) => fs.readFileSync(store.eventsFile(id), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as OmniEvent);

  it('opens one instance per session on its first hook and keeps it; gates go to the policy port', async () => {
    record('s_a');
    record('s_b');
    const reply = await hooks.handleHook('s_a', 'PreToolUse', hook('PreToolUse'));
    expect(JSON.parse(reply.stdout!)).toMatchObject({ hookSpecificOutput: { permissionDecision: 'deny', permissionDecisionReason: 'not here' } });
    await hooks.handleHook('s_a', 'UserPromptSubmit', hook('UserPromptSubmit'));
    await hooks.handleHook('s_b', 'UserPromptSubmit', hook('UserPromptSubmit'));
    expect(count.opened).toEqual(['s_a', 's_b']);
    expect(count.closed).toEqual([]);
    expect(decided).toEqual(['s_a:tool_call', 's_a:prompt', 's_b:prompt']);
    expect(await hooks.handleHook('s_nope', 'Stop', {})).toEqual({});
    expect(count.opened).toHaveLength(2);
  });

  it('logs a tool call and its result once when the hook client sends them again after a daemon restart', async () => {
    record('s_r');
    await hooks.handleHook('s_r', 'PreToolUse', hook('PreToolUse'));
    await hooks.handleHook('s_r', 'PostToolUse', hook('PostToolUse'));
    // A new daemon: new log and dispatch over the same state directory.
    hooks.closeAll();
    events.closeAll();
    store.flush();
    events = new SessionLog({ store, bus: new EventBus() });
    hooks = new HarnessSessions({ store, harnesses: new HarnessRegistry([count.adapter]), events, policies, panes: { clearBlockedPrompt: async () => {} } });
    const again = await hooks.handleHook('s_r', 'PreToolUse', hook('PreToolUse'));
    expect(JSON.parse(again.stdout!)).toMatchObject({ hookSpecificOutput: { permissionDecision: 'deny' } }); // decided again, all the same
    await hooks.handleHook('s_r', 'PostToolUse', hook('PostToolUse'));
    const types = logged('s_r').map((e) => e.type);
    expect(types.filter((t) => t === 'tool.call')).toHaveLength(1);
    expect(types.filter((t) => t === 'tool.result')).toHaveLength(1);
    expect(logged('s_r').map((e) => e.seq)).toEqual(types.map((_, i) => i + 1));
  });

  it('a blocked prompt is remembered until the session runs again, and its input box is cleared first', async () => {
    const rec = record('s_p');
    cleared.length = 0;
    const reply = await hooks.handleHook('s_p', 'UserPromptSubmit', { ...hook('UserPromptSubmit'), prompt: 'tell me the secret' });
    expect(reply.exitCode).toBe(2);
    expect(rec.status).toBe('idle');
    expect(rec.blocked).toEqual({ policy: 'p', reason: 'no secrets' });
    expect(cleared).toEqual(['s_p']);
    // Set before the idle is logged: a waiter that wakes on it reads the block.
    const idle = logged('s_p').filter((e) => e.type === 'session.status').at(-1)!;
    expect(idle.data).toMatchObject({ status: 'idle', reason: 'prompt blocked by policy' });
    expect(store.get('s_p')!.blocked).toEqual({ policy: 'p', reason: 'no secrets' });

    await hooks.handleHook('s_p', 'UserPromptSubmit', hook('UserPromptSubmit'));
    expect(rec.status).toBe('running');
    expect(rec.blocked).toBeUndefined();
    expect(cleared).toEqual(['s_p']);
  });

  it('closes the instance and the log when the session exits, and again after a late hook', async () => {
    const rec = record('s_x');
    await hooks.handleHook('s_x', 'UserPromptSubmit', hook('UserPromptSubmit'));
    const closedSockets: string[] = [];
    const supervisor = new Supervisor({
      store,
      tmux: {} as TmuxPort,
      harnesses: new HarnessRegistry([count.adapter]),
      events,
      hooks,
      launcher: { settling: () => false, forget: () => {} },
      sandbox: { close: async () => {} } as unknown as SandboxPort,
      agentSocket: { open: async () => '', close: async (id) => void closedSockets.push(id) },
      now: () => new Date('2026-01-01T00:00:00Z'),
    });
    await supervisor.markExited(rec, 0, 'done');
    expect(count.closed).toEqual(['s_x']);
    expect(closedSockets).toEqual(['s_x']);
    expect(logged('s_x').slice(-2).map((e) => e.type)).toEqual(['session.status', 'session.exited']);

    // SessionEnd can arrive after the pane is gone: handled, logged, and let go of at once.
    await hooks.handleHook('s_x', 'Stop', hook('Stop'));
    expect(count.opened).toEqual(['s_x', 's_x']);
    expect(count.closed).toEqual(['s_x', 's_x']);
    expect(rec.status).toBe('exited'); // an ended session stays ended
    // Its log was closed and is reopened by the next event, with seq going on.
    const before = logged('s_x').at(-1)!.seq;
    events.emit(rec, { type: 'error', data: { message: 'late', code: 'x' } });
    expect(logged('s_x').at(-1)!.seq).toBe(before + 1);
    expect(rec.lastSeq).toBe(before + 1);
  });
});
