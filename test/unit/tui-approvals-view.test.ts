import { render } from 'ink-testing-library';
import React from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Approval, ApprovalStreamItem } from '../../src/approvals/types.js';
import { OmniError } from '../../src/core/errors.js';
import { ApprovalPopup, type PopupOutcome } from '../../src/tui/approvals/popup.js';
import { ApprovalsStore, type ApprovalActions } from '../../src/tui/approvals/store.js';
import { ApprovalsView } from '../../src/tui/approvals/view.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');

function ap(id: string, secondsAfterT0: number, over: Partial<Approval> = {}): Approval {
  return {
    id,
    session: `s_${id}`,
    sessionName: `sess-${id}`,
    harness: 'claude',
    phase: 'tool_call',
    policies: ['no-rm'],
    reason: `reason for ${id}`,
    request: { tool: 'Bash', kind: 'shell', command: `rm -rf /tmp/${id}` },
    key: `k_${id}`,
    createdAt: new Date(T0 + secondsAfterT0 * 1000).toISOString(),
    status: 'pending',
    ...over,
  };
}

const resolved = (a: Approval, verdict: 'approve' | 'deny', by: string, via: 'cli' | 'tui' | 'popup' | 'api'): ApprovalStreamItem => ({
  type: 'resolved',
  approval: { ...a, status: verdict === 'approve' ? 'approved' : 'denied', resolution: { verdict, scope: 'once', by, via, at: new Date().toISOString() } },
});

function feed<T>() {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  const iterable: AsyncIterable<T> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length) {
          yield queue.shift() as T;
          continue;
        }
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
  return {
    iterable,
    push: (...items: T[]) => {
      queue.push(...items);
      const w = wake;
      wake = undefined;
      w?.();
    },
  };
}

/** Poll until `check` stops throwing (Ink renders and reads input asynchronously). */
async function until(check: () => void, ms = 1500): Promise<void> {
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
const settle = () => new Promise((r) => setTimeout(r, 30));

const ESC = '\u001B';
const ENTER = '\r';
const DOWN = '\u001B[B';

let unmounts: Array<() => void> = [];
afterEach(() => {
  for (const u of unmounts) u();
  unmounts = [];
});

function setup(actions: Partial<ApprovalActions> = {}, approvals: Approval[] = [ap('ap_new', 50), ap('ap_old', 10)]) {
  const approve = vi.fn(actions.approve ?? (async () => ({})));
  const deny = vi.fn(actions.deny ?? (async () => ({})));
  const store = new ApprovalsStore({ actions: { approve, deny } });
  const f = feed<ApprovalStreamItem>();
  void store.consume(f.iterable);
  f.push({ type: 'snapshot', approvals });
  let clock = T0 + 60_000;
  const onQuit = vi.fn();
  const r = render(React.createElement(ApprovalsView, { store, now: () => clock, tickMs: 10, onQuit }));
  unmounts.push(r.unmount);
  const frame = () => r.lastFrame() ?? '';
  return { store, f, approve, deny, onQuit, r, frame, setClock: (t: number) => (clock = t) };
}

describe('ApprovalsView', () => {
  it('renders one row per pending ask, oldest first, with the selection on the oldest', async () => {
    const { frame } = setup();
    await until(() => expect(frame()).toContain('sess-ap_new'));
    const f = frame();
    expect(f).toContain('2 pending');
    for (const s of ['sess-ap_old', '(claude)', 'no-rm', '$ rm -rf /tmp/ap_old', 'why: reason for ap_old', 'Bash [shell]', '50s', '10s', 'ap_old']) expect(f).toContain(s);
    expect(f.indexOf('sess-ap_old')).toBeLessThan(f.indexOf('sess-ap_new'));
    expect(f).toMatch(/› sess-ap_old/);
    expect(f).not.toMatch(/› sess-ap_new/);
    expect(f).toContain('a approve once · s approve for the session · d deny');
  });

  it('shows a prompt excerpt or paths when there is no command', async () => {
    const { frame } = setup({}, [
      ap('ap_p', 1, { phase: 'prompt', request: { prompt: 'please   deploy\nto production now' } }),
      ap('ap_w', 2, { request: { tool: 'Write', kind: 'write', paths: ['/etc/hosts', '/etc/passwd'] } }),
    ]);
    await until(() => expect(frame()).toContain('“please deploy to production now”'));
    expect(frame()).toContain('paths: /etc/hosts /etc/passwd');
  });

  it('ticks ages with the injected clock', async () => {
    const { frame, setClock } = setup();
    await until(() => expect(frame()).toContain('· 50s ·'));
    setClock(T0 + 10_000 + 125_000);
    await until(() => expect(frame()).toContain('· 2m ·'));
  });

  it('shows the empty state, then a row when an ask arrives live', async () => {
    const { frame, f } = setup({}, []);
    await until(() => expect(frame()).toContain('No pending approvals — waiting for asks…'));
    f.push({ type: 'requested', approval: ap('ap_live', 55) });
    await until(() => expect(frame()).toContain('sess-ap_live'));
    expect(frame()).not.toContain('No pending approvals');
  });

  it('a approves the selected ask once; j then s approves the next one for the session', async () => {
    const { frame, r, approve } = setup({}, [ap('ap_1', 1), ap('ap_2', 2), ap('ap_3', 3)]);
    await until(() => expect(frame()).toContain('sess-ap_3'));
    r.stdin.write('a');
    await until(() => expect(approve).toHaveBeenCalledWith('ap_1', 'once'));
    await until(() => expect(frame()).toContain('approved ap_1 (sess-ap_1) once'));
    expect(frame()).not.toContain('sess-ap_1 (');
    // selection clamps onto ap_2 (now first); move down to ap_3
    r.stdin.write('j');
    await until(() => expect(frame()).toMatch(/› sess-ap_3/));
    r.stdin.write('s');
    await until(() => expect(approve).toHaveBeenCalledWith('ap_3', 'session'));
    await until(() => expect(frame()).toContain('approved ap_3 (sess-ap_3) for the rest of the session'));
    expect(approve).toHaveBeenCalledTimes(2);
  });

  it('arrow keys and k move the selection', async () => {
    const { frame, r } = setup({}, [ap('ap_1', 1), ap('ap_2', 2)]);
    await until(() => expect(frame()).toMatch(/› sess-ap_1/));
    r.stdin.write(DOWN);
    await until(() => expect(frame()).toMatch(/› sess-ap_2/));
    r.stdin.write('k');
    await until(() => expect(frame()).toMatch(/› sess-ap_1/));
  });

  it('d opens a reason input; typed text and Enter deny with that reason', async () => {
    const { frame, r, deny, approve } = setup();
    await until(() => expect(frame()).toContain('sess-ap_old'));
    // typed right after d, before React re-renders: no key may be lost or taken as a command
    r.stdin.write('d');
    r.stdin.write('too risky');
    r.stdin.write('!');
    await until(() => expect(frame()).toContain('deny ap_old reason: too risky!'));
    // keys that mean something in the list are just text here
    expect(approve).not.toHaveBeenCalled();
    r.stdin.write(ENTER);
    await until(() => expect(deny).toHaveBeenCalledWith('ap_old', 'too risky!'));
    await until(() => expect(frame()).toContain('denied ap_old (sess-ap_old): too risky!'));
    expect(frame()).toContain('a approve once');
  });

  it('Esc cancels the reason input without denying; typed a/s/j/q are only text', async () => {
    const { frame, r, deny, approve, onQuit } = setup();
    await until(() => expect(frame()).toContain('sess-ap_old'));
    r.stdin.write('d');
    await until(() => expect(frame()).toContain('reason:'));
    for (const k of ['a', 's', 'j', 'q']) {
      r.stdin.write(k);
      await settle();
    }
    await until(() => expect(frame()).toContain('reason: asjq'));
    r.stdin.write(ESC);
    await until(() => expect(frame()).not.toContain('reason:'));
    await settle();
    expect(deny).not.toHaveBeenCalled();
    expect(approve).not.toHaveBeenCalled();
    expect(onQuit).not.toHaveBeenCalled();
    expect(frame()).toContain('sess-ap_old');
    expect(frame()).toContain('a approve once');
  });

  it('Backspace edits the reason; an answer from elsewhere while typing drops the input', async () => {
    const { frame, r, f, deny } = setup();
    await until(() => expect(frame()).toContain('sess-ap_old'));
    r.stdin.write('d');
    r.stdin.write('nox');
    r.stdin.write('\u007f');
    await until(() => expect(frame()).toContain('deny ap_old reason: no'));
    expect(frame()).not.toContain('reason: nox');
    f.push(resolved(ap('ap_old', 10), 'approve', 'carol', 'popup'));
    await until(() => expect(frame()).toContain('ap_old (sess-ap_old) was approved once by carol via popup'));
    expect(frame()).not.toContain('reason:');
    r.stdin.write(ENTER);
    await settle();
    expect(deny).not.toHaveBeenCalled();
  });

  it('a resolved item removes the row and says who answered', async () => {
    const { frame, f } = setup();
    await until(() => expect(frame()).toContain('sess-ap_old'));
    f.push(resolved(ap('ap_old', 10), 'deny', 'alice', 'cli'));
    await until(() => expect(frame()).toContain('ap_old (sess-ap_old) was denied by alice via cli'));
    expect(frame()).not.toContain('why: reason for ap_old');
    expect(frame()).toContain('1 pending');
    expect(frame()).toMatch(/› sess-ap_new/);
  });

  it('shows a 409 from the daemon as an error', async () => {
    const { frame, r } = setup({ approve: async () => Promise.reject(new OmniError('ap_old was already answered: denied by bob via popup', 'conflict', 1)) });
    await until(() => expect(frame()).toContain('sess-ap_old'));
    r.stdin.write('a');
    await until(() => expect(frame()).toContain('ap_old was already answered: denied by bob via popup'));
  });

  it('q quits', async () => {
    const { frame, r, onQuit } = setup();
    await until(() => expect(frame()).toContain('sess-ap_old'));
    r.stdin.write('q');
    await until(() => expect(onQuit).toHaveBeenCalledTimes(1));
  });
});

describe('ApprovalPopup', () => {
  function popup(actions: Partial<ApprovalActions> = {}) {
    const approve = vi.fn(actions.approve ?? (async () => ({})));
    const deny = vi.fn(actions.deny ?? (async () => ({})));
    const store = new ApprovalsStore({ actions: { approve, deny }, filter: (a) => a.id === 'ap_1' });
    const f = feed<ApprovalStreamItem>();
    void store.consume(f.iterable);
    f.push({ type: 'snapshot', approvals: [ap('ap_0', 0), ap('ap_1', 1)] });
    const onExit = vi.fn((o: PopupOutcome) => o);
    const r = render(React.createElement(ApprovalPopup, { store, id: 'ap_1', now: () => T0 + 31_000, tickMs: 0, exitDelayMs: 0, onExit }));
    unmounts.push(r.unmount);
    const frame = () => r.lastFrame() ?? '';
    return { approve, deny, onExit, f, r, frame };
  }

  it('shows the one ask and approves it for the session with s, then exits', async () => {
    const { frame, r, approve, onExit } = popup();
    await until(() => expect(frame()).toContain('omni: sess-ap_1'));
    expect(frame()).toContain('$ rm -rf /tmp/ap_1');
    expect(frame()).toContain('why: reason for ap_1');
    expect(frame()).toContain('30s');
    expect(frame()).not.toContain('ap_0');
    r.stdin.write('s');
    await until(() => expect(approve).toHaveBeenCalledWith('ap_1', 'session'));
    await until(() => expect(onExit).toHaveBeenCalledWith({ answered: true, message: 'approved ap_1 (sess-ap_1) for the rest of the session' }));
  });

  it('d, a reason and Enter deny it', async () => {
    const { frame, r, deny } = popup();
    await until(() => expect(frame()).toContain('omni: sess-ap_1'));
    r.stdin.write('d');
    await until(() => expect(frame()).toContain('reason:'));
    r.stdin.write('not now');
    await until(() => expect(frame()).toContain('reason: not now'));
    r.stdin.write(ENTER);
    await until(() => expect(deny).toHaveBeenCalledWith('ap_1', 'not now'));
  });

  it('closes when someone else answers it', async () => {
    const { frame, f, onExit } = popup();
    await until(() => expect(frame()).toContain('omni: sess-ap_1'));
    f.push(resolved(ap('ap_0', 0), 'approve', 'x', 'cli'));
    await settle();
    expect(onExit).not.toHaveBeenCalled();
    f.push(resolved(ap('ap_1', 1), 'approve', 'alice', 'tui'));
    await until(() => expect(onExit).toHaveBeenCalledWith({ answered: true, message: 'ap_1 (sess-ap_1) was approved once by alice via tui' }));
  });

  it('q and Esc leave it pending', async () => {
    for (const key of ['q', ESC]) {
      const { frame, r, onExit, approve, deny } = popup();
      await until(() => expect(frame()).toContain('omni: sess-ap_1'));
      r.stdin.write(key);
      await until(() => expect(onExit).toHaveBeenCalledWith({ answered: false }));
      expect(approve).not.toHaveBeenCalled();
      expect(deny).not.toHaveBeenCalled();
    }
  });
});

describe('idle approvals views', () => {
  it('render nothing while nothing changes (ages in minutes): no blind tick', async () => {
    const store = new ApprovalsStore({ actions: { approve: async () => ({}), deny: async () => ({}) } as unknown as ApprovalActions });
    const f = feed<ApprovalStreamItem>();
    void store.consume(f.iterable);
    const old = (id: string) => ({ ...ap(id, 0), createdAt: new Date(Date.now() - 10 * 60_000 - 1000).toISOString() });
    f.push({ type: 'snapshot', approvals: [old('ap_idle')] });
    let commits = 0;
    const count = (el: React.ReactElement) => React.createElement(React.Profiler, { id: 'v', onRender: () => void commits++ }, el);
    const view = render(count(React.createElement(ApprovalsView, { store, now: Date.now })));
    const popup = render(count(React.createElement(ApprovalPopup, { store, id: 'ap_idle', now: Date.now })));
    unmounts.push(view.unmount, popup.unmount);
    await until(() => expect(view.lastFrame()).toContain('sess-ap_idle'));
    await until(() => expect(popup.lastFrame()).toContain('ap_idle'));
    await new Promise((r) => setTimeout(r, 300));
    const settled = commits;
    await new Promise((r) => setTimeout(r, 2200)); // two of the old 1 s ticks
    expect(commits).toBe(settled);
  });
});
