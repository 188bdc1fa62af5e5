import { render } from 'ink-testing-library';
import React from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApprovalStreamItem } from '../../src/approvals/types.js';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { matchesFilter, previewLines, runActions } from '../../src/tui/dashboard/actions.js';
import { ageRedrawMs } from '../../src/tui/approvals/parts.js';
import { HARNESS_COMMANDS } from '../../src/cli/main.js';
import { columnWidths, nextAgeChangeMs } from '../../src/tui/dashboard/layout.js';
import { DashboardStore, type DashboardActions, type DashboardSource } from '../../src/tui/dashboard/store.js';
import { DashboardView } from '../../src/tui/dashboard/view.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');

function rec(id: string, over: Partial<SessionRecord> = {}): SessionRecord {
  const ts = new Date(T0).toISOString();
  return { id, name: id.replace('s_', ''), harness: 'claude', cwd: '/tmp', status: 'idle', createdAt: ts, updatedAt: ts, tmuxSession: id, command: [], lastSeq: 1, ...over };
}

/** Streams that never end, a list the test changes, and actions that record their calls. */
function world(list: SessionRecord[], screens: Record<string, string> = {}) {
  const state = { list, all: [] as boolean[] };
  const never = <T>(): AsyncIterable<T> => ({ [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<T>>(() => {}) }) });
  const source: DashboardSource = {
    sessions: async (all) => {
      state.all.push(Boolean(all));
      return structuredClone(state.list.filter((r) => all || (r.status !== 'exited' && r.status !== 'failed')));
    },
    events: () => never<OmniEvent>(),
    approvals: () => never<ApprovalStreamItem>(),
  };
  const calls: string[] = [];
  const actions: DashboardActions = {
    screen: vi.fn(async (id: string) => screens[id] ?? ''),
    send: vi.fn(async (id: string, text: string) => {
      calls.push(`send ${id} ${text}`);
      if (id === 's_bad') throw new Error('the harness did not take the input');
      return { queued: id === 's_busy' };
    }),
    interrupt: vi.fn(async (id: string) => calls.push(`interrupt ${id}`)),
    stop: vi.fn(async (id: string) => {
      calls.push(`stop ${id}`);
      state.list = state.list.map((r) => (r.id === id ? { ...r, status: 'exited' as const } : r));
    }),
    resume: vi.fn(async (id: string) => {
      calls.push(`resume ${id}`);
      state.list = state.list.map((r) => (r.id === id ? { ...r, status: 'starting' as const } : r));
    }),
    rename: vi.fn(async (id: string, name: string) => {
      calls.push(`rename ${id} ${name}`);
      state.list = state.list.map((r) => (r.id === id ? { ...r, name } : r));
    }),
    create: vi.fn(async (harness: string, name?: string) => {
      const r = rec('s_new', { harness, name: name ?? `${harness}-1`, createdAt: new Date(T0 + 9000).toISOString() });
      state.list = [...state.list, r];
      calls.push(`create ${harness}`);
      return r;
    }),
    harnesses: async () => ['claude', 'codex', 'pi'],
  };
  const store = new DashboardStore({ source, actions, previewMs: 20 });
  store.setSessions(state.list);
  return { state, store, actions, calls, snap: () => store.getSnapshot() };
}

async function until(check: () => void, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

const three = () => [rec('s_a', { tags: ['api'] } as Partial<SessionRecord>), rec('s_b', { harness: 'codex', createdAt: new Date(T0 + 1000).toISOString() }), rec('s_c', { harness: 'pi', createdAt: new Date(T0 + 2000).toISOString() })];

describe('dashboard actions (store)', () => {
  it('the filter matches every word against name, id, harness, status, and tag:T exactly', () => {
    const w = world(three());
    w.store.setFilter('cod');
    expect(w.snap().rows.map((r) => r.id)).toEqual(['s_b']);
    expect(w.snap().unfiltered).toBe(3);
    w.store.setFilter('tag:api');
    expect(w.snap().rows.map((r) => r.id)).toEqual(['s_a']);
    w.store.setFilter('tag:ap');
    expect(w.snap().rows).toEqual([]);
    w.store.setFilter('idle pi');
    expect(w.snap().rows.map((r) => r.id)).toEqual(['s_c']);
    w.store.setFilter('');
    expect(w.snap().rows).toHaveLength(3);
    expect(matchesFilter({ id: 's_x', name: 'Web', harness: 'claude', status: 'running' }, 'WEB run')).toBe(true);
  });

  it('sends to the selected session, or broadcasts to the marked ones, each on its own', async () => {
    const w = world([...three(), rec('s_bad', { createdAt: new Date(T0 + 3000).toISOString() }), rec('s_busy', { createdAt: new Date(T0 + 4000).toISOString() })]);
    expect(await w.store.sendPrompt('  hello  ')).toEqual(['s_a']);
    expect(w.calls).toEqual(['send s_a hello']);
    expect(w.snap().message).toEqual({ text: 'sent to a', kind: 'info' });

    w.calls.length = 0;
    w.store.toggleMark(); // a
    w.store.select(3);
    w.store.toggleMark(); // bad
    w.store.select(1);
    w.store.toggleMark(); // busy
    expect(w.snap().marked).toEqual(['s_a', 's_bad', 's_busy']);
    expect(await w.store.sendPrompt('to all')).toEqual(['s_a', 's_busy']);
    expect(w.calls.sort()).toEqual(['send s_a to all', 'send s_bad to all', 'send s_busy to all']);
    expect(w.snap().message).toEqual({ text: 'sent to a, busy (queued: it was busy) · failed bad: the harness did not take the input', kind: 'error' });

    // * marks all that the filter shows (a tag broadcast); again clears.
    w.store.setFilter('tag:api');
    expect(w.snap().marked).toEqual(['s_a']); // marks the filter hides are dropped
    w.store.setFilter('');
    w.store.markAll();
    expect(w.snap().marked).toHaveLength(5);
    w.store.markAll();
    expect(w.snap().marked).toEqual([]);
  });

  it('interrupt and stop act on the targets; a stopped session leaves the list and its mark', async () => {
    const w = world(three());
    w.store.toggleMark();
    w.store.select(1);
    w.store.toggleMark();
    await w.store.interrupt();
    expect(w.calls).toEqual(['interrupt s_a', 'interrupt s_b']);
    expect(await w.store.stop()).toEqual(['s_a', 's_b']);
    expect(w.snap().message?.text).toBe('stopped a, b');
    await w.store.refresh();
    expect(w.snap().rows.map((r) => r.id)).toEqual(['s_c']);
    expect(w.snap().marked).toEqual([]);
  });

  it('e shows ended sessions; resume takes an ended one only; rename and create go through the actions', async () => {
    const w = world([...three(), rec('s_old', { status: 'exited', createdAt: new Date(T0 - 5000).toISOString() })]);
    expect(w.snap().rows.map((r) => r.id)).not.toContain('s_old');
    expect(await w.store.resume()).toEqual([]);
    expect(w.snap().message).toEqual({ text: 'a is idle; only an ended session can be resumed', kind: 'error' });
    await w.store.toggleEnded();
    expect(w.state.all.at(-1)).toBe(true);
    expect(w.snap().rows[0]).toMatchObject({ id: 's_old', status: 'exited' });
    w.store.selectSession('s_old');
    expect(await w.store.resume()).toEqual(['s_old']);
    expect(w.snap().rows[0]).toMatchObject({ id: 's_old', status: 'starting' });
    expect(w.snap().totalUsd).toBe(0);

    w.store.selectSession('s_b');
    await w.store.rename('  bee ');
    expect(w.calls).toContain('rename s_b bee');
    expect(w.snap().rows.find((r) => r.id === 's_b')?.name).toBe('bee');

    expect(await w.store.loadHarnesses()).toEqual(['claude', 'codex', 'pi']);
    expect(await w.store.create('codex')).toBe('s_new');
    expect(w.snap().selectedId).toBe('s_new');
    expect(w.snap().message?.text).toBe('started codex-1 (s_new); enter attaches');
  });

  it('the preview follows the selection and changes the snapshot only when the screen does', async () => {
    const screens = { s_a: 'a> hello\n\n', s_b: 'b> busy' };
    const w = world(three(), screens);
    const a = new AbortController();
    void w.store.follow(a.signal);
    cleanups.push(() => a.abort());
    await until(() => expect(w.snap().preview).toEqual({ id: 's_a', text: 'a> hello\n\n' }));
    let changes = 0;
    const off = w.store.subscribe(() => changes++);
    await new Promise((r) => setTimeout(r, 120)); // several polls of the same screen
    expect(changes).toBe(0);
    w.store.select(1);
    await until(() => expect(w.snap().preview).toEqual({ id: 's_b', text: 'b> busy' }));
    screens.s_b = 'b> done';
    await until(() => expect(w.snap().preview?.text).toBe('b> done'));
    off();
  });
});

describe('dashboard actions (view)', () => {
  function view(list: SessionRecord[], screens: Record<string, string> = {}) {
    const w = world(list, screens);
    const a = new AbortController();
    void w.store.follow(a.signal);
    const r = render(React.createElement(DashboardView, { store: w.store, now: () => T0 + 65_000, tickMs: 0 }));
    cleanups.push(() => (a.abort(), r.unmount(), w.store.dispose()));
    const frame = () => r.lastFrame() ?? '';
    const press = async (...keys: string[]) => {
      for (const k of keys) {
        r.stdin.write(k);
        await new Promise((res) => setTimeout(res, 15));
      }
    };
    return { ...w, r, frame, press };
  }

  it('shows the selected session screen under the list', async () => {
    const v = view(three(), { s_a: 'line one\n\tindented\nscripted>' });
    await until(() => expect(v.frame()).toMatch(/─ a \(idle\) ─+\nline one\n {4}indented\nscripted>/));
    await v.press('\u001B[B');
    await until(() => expect(v.frame()).toMatch(/─ b \(idle\) ─/));
    expect(v.frame()).not.toContain('line one');
  });

  it('space marks, s types a prompt for the marked sessions, Enter sends it', async () => {
    const v = view(three());
    await until(() => expect(v.frame()).toContain('a '));
    await v.press(' ', '\u001B[B', ' ');
    await until(() => expect(v.frame()).toContain('2 marked'));
    expect(v.frame()).toMatch(/›• b/);
    await v.press('s');
    await until(() => expect(v.frame()).toContain('send to a, b:'));
    await v.press('h', 'i', ' ', 'x', '\u007f', '\r');
    await until(() => expect(v.calls.sort()).toEqual(['send s_a hi', 'send s_b hi']));
    await until(() => expect(v.frame()).toContain('sent to a, b'));
  });

  it('/ filters as you type; Esc restores', async () => {
    const v = view(three());
    await until(() => expect(v.frame()).toContain('codex'));
    await v.press('/', 'p', 'i');
    await until(() => expect(v.frame()).toContain('/pi (1 shown)'));
    expect(v.frame()).not.toContain('codex');
    await v.press('\u001B');
    await until(() => expect(v.frame()).toContain('codex'));
  });

  it('x asks before stopping; i interrupts; r renames; n picks a harness and starts it', async () => {
    const v = view(three());
    await until(() => expect(v.frame()).toContain('codex'));
    await v.press('x');
    await until(() => expect(v.frame()).toContain('stop a? y/n'));
    await v.press('n');
    await until(() => expect(v.frame()).not.toContain('stop a?'));
    expect(v.calls).toEqual([]);
    await v.press('x', 'y');
    await until(() => expect(v.calls).toEqual(['stop s_a']));

    await v.press('\u001B[B', 'i');
    await until(() => expect(v.calls).toContain('interrupt s_b'));
    await v.press('r');
    await until(() => expect(v.frame()).toContain('rename to: b'));
    await v.press('\u007f', 'z', '\r');
    await until(() => expect(v.calls).toContain('rename s_b z'));

    await v.press('n');
    await until(() => expect(v.frame()).toMatch(/new session:\s+claude\s+codex\s+pi/));
    await v.press('\u001B[C', '\u001B[C', '\r');
    await until(() => expect(v.calls).toContain('create pi'));
  });
});

describe('dashboard layout', () => {
  it('fits 80 columns and keeps the spend column; wider terminals widen status first', () => {
    const c = columnWidths(80);
    const used = c.mark + c.name + c.harness + c.status + c.age + c.asks;
    expect(used + c.spend).toBe(79);
    expect(c.spend).toBeGreaterThanOrEqual('$12.34 / $50 soft tree'.length);
    const w = columnWidths(120);
    expect(w.status).toBeGreaterThan(c.status);
    expect(w.mark + w.name + w.harness + w.status + w.age + w.asks + w.spend).toBe(119);
    const n = columnWidths(60);
    expect(n.spend).toBeGreaterThanOrEqual(10);
    // Every harness's name whole, at any width (a cell keeps one space free).
    for (const cols of [c, w, n]) for (const h of HARNESS_COMMANDS) expect(h.length, h).toBeLessThanOrEqual(cols.harness - 1);
  });

  it('redraws when an age would read differently, not every second', () => {
    const at = (ageMs: number) => [new Date(T0 - ageMs).toISOString()];
    expect(nextAgeChangeMs(at(10_000), T0)).toBe(500); // 10s → 11s at 10.5 s (rounded)
    expect(nextAgeChangeMs(at(5 * 60_000 + 20_000), T0)).toBe(40_000); // 5m → 6m
    expect(nextAgeChangeMs([], T0)).toBe(3_600_000);
  });

  it('redraws minute ages of many rows together, on a 60 s grid; second ages on time', () => {
    const grid = Date.parse('2030-01-01T00:00:00Z'); // a multiple of 60 s
    const ages = (now: number, ...s: number[]) => s.map((x) => new Date(now - x * 1000).toISOString());
    expect(ageRedrawMs(ages(grid, 10), grid)).toBe(500);
    // Rows turning 6m, 7m and 8m 3, 11 and 19 s from now: one redraw, at the grid's next line.
    const now = grid + 2_000;
    expect(ageRedrawMs(ages(now, 5 * 60 + 57, 6 * 60 + 49, 7 * 60 + 41), now)).toBe(58_000);
    expect(ageRedrawMs(ages(now, 5 * 60 + 57, 20), now)).toBe(500);
  });

  it('previews the last lines of a screen, without control characters', () => {
    expect(previewLines('a\nb\x1b[31m\nc\n\n\n', 2)).toEqual(['b[31m', 'c']);
    expect(previewLines('x', 0)).toEqual([]);
  });

  it('runActions reports each session', async () => {
    const r = await runActions([{ id: '1', name: 'one' }, { id: '2', name: 'two' }], async (x) => {
      if (x.id === '2') throw new Error('nope');
    }, 'stopped');
    expect(r).toEqual({ done: ['1'], message: { text: 'stopped one · failed two: nope', kind: 'error' } });
  });
});
