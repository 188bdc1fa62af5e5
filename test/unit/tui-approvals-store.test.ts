import { describe, expect, it, vi } from 'vitest';
import type { Approval, ApprovalStreamItem } from '../../src/approvals/types.js';
import { OmniError } from '../../src/core/errors.js';
import { ApprovalsStore, type ApprovalActions } from '../../src/tui/approvals/store.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');

function ap(id: string, secondsAfterT0: number, over: Partial<Approval> = {}): Approval {
  return {
    id,
    session: `s_${id}`,
    sessionName: `sess-${id}`,
    harness: 'claude',
    phase: 'tool_call',
    policies: ['no-rm'],
    reason: `reason ${id}`,
    request: { tool: 'Bash', kind: 'shell', command: `echo ${id}` },
    key: `k_${id}`,
    createdAt: new Date(T0 + secondsAfterT0 * 1000).toISOString(),
    status: 'pending',
    ...over,
  };
}

const resolved = (a: Approval, verdict: 'approve' | 'deny', by: string, via: 'cli' | 'tui' | 'popup' | 'api', scope: 'once' | 'session' = 'once'): ApprovalStreamItem => ({
  type: 'resolved',
  approval: { ...a, status: verdict === 'approve' ? 'approved' : 'denied', resolution: { verdict, scope, by, via, at: new Date().toISOString() } },
});

/** An async iterable the test pushes into. */
function feed<T>() {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  let failure: unknown;
  const iterable: AsyncIterable<T> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length) {
          yield queue.shift() as T;
          continue;
        }
        if (failure) throw failure;
        if (done) return;
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    iterable,
    push: (...items: T[]) => (queue.push(...items), poke()),
    end: () => ((done = true), poke()),
    fail: (err: unknown) => ((failure = err), poke()),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function setup(actions: Partial<ApprovalActions> = {}) {
  const approve = vi.fn(actions.approve ?? (async () => ({})));
  const deny = vi.fn(actions.deny ?? (async () => ({})));
  const store = new ApprovalsStore({ actions: { approve, deny } });
  const f = feed<ApprovalStreamItem>();
  const done = store.consume(f.iterable);
  return { store, f, approve, deny, done };
}

const ids = (store: ApprovalsStore) => store.getSnapshot().pending.map((a) => a.id);

describe('ApprovalsStore', () => {
  it('keeps pending approvals oldest first, whatever order they arrive in', async () => {
    const { store, f } = setup();
    f.push({ type: 'snapshot', approvals: [ap('ap_c', 30), ap('ap_a', 10), ap('ap_done', 5, { status: 'approved' })] });
    await tick();
    expect(ids(store)).toEqual(['ap_a', 'ap_c']);
    expect(store.getSnapshot().loaded).toBe(true);
    expect(store.getSnapshot().connection).toBe('live');
    f.push({ type: 'requested', approval: ap('ap_b', 20) }, { type: 'requested', approval: ap('ap_d', 40) });
    await tick();
    expect(ids(store)).toEqual(['ap_a', 'ap_b', 'ap_c', 'ap_d']);
    // a retried hook re-announcing the same approval does not duplicate it
    f.push({ type: 'requested', approval: ap('ap_b', 20) });
    await tick();
    expect(ids(store)).toEqual(['ap_a', 'ap_b', 'ap_c', 'ap_d']);
  });

  it('returns the same snapshot object until something changes, and notifies subscribers', async () => {
    const { store, f } = setup();
    const listener = vi.fn();
    store.subscribe(listener);
    const s0 = store.getSnapshot();
    expect(store.getSnapshot()).toBe(s0);
    f.push({ type: 'snapshot', approvals: [ap('ap_a', 1)] });
    await tick();
    expect(listener).toHaveBeenCalled();
    const s1 = store.getSnapshot();
    expect(s1).not.toBe(s0);
    expect(store.getSnapshot()).toBe(s1);
  });

  it('clamps the selection and keeps it on the same approval when rows come and go', async () => {
    const { store, f } = setup();
    const a = ap('ap_a', 1), b = ap('ap_b', 2), c = ap('ap_c', 3);
    f.push({ type: 'snapshot', approvals: [a, b, c] });
    await tick();
    expect(store.getSnapshot()).toMatchObject({ selected: 0, selectedId: 'ap_a' });
    store.select(-5);
    expect(store.getSnapshot()).toMatchObject({ selected: 0, selectedId: 'ap_a' });
    store.select(10);
    expect(store.getSnapshot()).toMatchObject({ selected: 2, selectedId: 'ap_c' });
    // the selected (last) row goes away: the selection clamps to the new last row
    f.push(resolved(c, 'approve', 'alice', 'cli'));
    await tick();
    expect(store.getSnapshot()).toMatchObject({ selected: 1, selectedId: 'ap_b' });
    // a row above the selection goes away: the selection stays on ap_b
    f.push(resolved(a, 'deny', 'bob', 'api'));
    await tick();
    expect(store.getSnapshot()).toMatchObject({ selected: 0, selectedId: 'ap_b' });
    // an older ask arrives: still on ap_b
    f.push({ type: 'requested', approval: ap('ap_0', 0) });
    await tick();
    expect(store.getSnapshot()).toMatchObject({ selected: 1, selectedId: 'ap_b' });
    f.push(resolved(b, 'approve', 'x', 'tui'), resolved(ap('ap_0', 0), 'approve', 'x', 'tui'));
    await tick();
    expect(store.getSnapshot()).toMatchObject({ selected: -1, selectedId: undefined, pending: [] });
  });

  it('says who answered and via what when it was not us', async () => {
    const { store, f } = setup();
    const a = ap('ap_a', 1);
    f.push({ type: 'snapshot', approvals: [a] });
    await tick();
    f.push(resolved(a, 'approve', 'alice', 'cli', 'session'));
    await tick();
    expect(ids(store)).toEqual([]);
    expect(store.getSnapshot().message).toEqual({ kind: 'info', text: 'ap_a (sess-ap_a) was approved for the rest of the session by alice via cli' });
  });

  it('approves and denies the selected approval through the injected actions', async () => {
    const { store, f, approve, deny } = setup();
    f.push({ type: 'snapshot', approvals: [ap('ap_a', 1), ap('ap_b', 2)] });
    await tick();
    await store.approveSelected('session');
    expect(approve).toHaveBeenCalledWith('ap_a', 'session');
    expect(store.getSnapshot().message).toEqual({ kind: 'info', text: 'approved ap_a (sess-ap_a) for the rest of the session' });
    expect(ids(store)).toEqual(['ap_b']);
    // our own answer coming back on the stream does not replace our message
    f.push(resolved(ap('ap_a', 1), 'approve', 'me', 'tui', 'session'));
    await tick();
    expect(store.getSnapshot().message?.text).toBe('approved ap_a (sess-ap_a) for the rest of the session');
    await store.denySelected('  too risky ');
    expect(deny).toHaveBeenCalledWith('ap_b', 'too risky');
    expect(store.getSnapshot().message?.text).toBe('denied ap_b (sess-ap_b): too risky');
    await store.denySelected('nothing selected');
    expect(deny).toHaveBeenCalledTimes(1);
  });

  it('does not report our own answer as someone else\'s when the stream is faster than the reply', async () => {
    let release!: () => void;
    const { store, f } = setup({ approve: () => new Promise<void>((r) => (release = r)) });
    const a = ap('ap_a', 1);
    f.push({ type: 'snapshot', approvals: [a] });
    await tick();
    const p = store.approveSelected('once');
    f.push(resolved(a, 'approve', 'me', 'tui'));
    await tick();
    expect(ids(store)).toEqual([]);
    expect(store.getSnapshot().message).toBeUndefined();
    release();
    await p;
    expect(store.getSnapshot().message?.text).toBe('approved ap_a (sess-ap_a) once');
  });

  it('shows a 409 (answered elsewhere first) as an error and drops the row', async () => {
    const conflict = new OmniError('ap_a was already answered: approved once by alice via cli', 'conflict', 1);
    const { store, f, approve } = setup({ approve: async () => Promise.reject(conflict) });
    const a = ap('ap_a', 1);
    f.push({ type: 'snapshot', approvals: [a, ap('ap_b', 2)] });
    await tick();
    await store.approveSelected('once');
    expect(approve).toHaveBeenCalledWith('ap_a', 'once');
    expect(store.getSnapshot().message).toEqual({ kind: 'error', text: 'ap_a was already answered: approved once by alice via cli' });
    expect(ids(store)).toEqual(['ap_b']);
    expect(store.getSnapshot().answering).toEqual([]);
  });

  it('keeps the row when the daemon could not be reached, so one can retry', async () => {
    const { store, f } = setup({ deny: async () => Promise.reject(new OmniError('the omni daemon is not running', 'daemon_unreachable', 4)) });
    f.push({ type: 'snapshot', approvals: [ap('ap_a', 1)] });
    await tick();
    await store.denySelected('no');
    expect(store.getSnapshot().message).toEqual({ kind: 'error', text: 'the omni daemon is not running' });
    expect(ids(store)).toEqual(['ap_a']);
  });

  it('does not send a second answer while one is in flight', async () => {
    let release!: () => void;
    const { store, f, approve } = setup({ approve: () => new Promise<void>((r) => (release = r)) });
    f.push({ type: 'snapshot', approvals: [ap('ap_a', 1)] });
    await tick();
    const p = store.approveSelected('once');
    expect(store.getSnapshot().answering).toEqual(['ap_a']);
    await store.approveSelected('session');
    expect(approve).toHaveBeenCalledTimes(1);
    release();
    await p;
    expect(store.getSnapshot().answering).toEqual([]);
  });

  it('reports a broken stream and reconnects with follow()', async () => {
    const store = new ApprovalsStore({ actions: { approve: async () => ({}), deny: async () => ({}) } });
    const first = feed<ApprovalStreamItem>();
    const second = feed<ApprovalStreamItem>();
    const open = vi.fn().mockReturnValueOnce(first.iterable).mockReturnValueOnce(second.iterable);
    const abort = new AbortController();
    const following = store.follow(open, abort.signal, 5);
    first.push({ type: 'snapshot', approvals: [ap('ap_a', 1)] });
    await tick();
    first.fail(new Error('socket hang up'));
    await tick();
    expect(store.getSnapshot()).toMatchObject({ connection: 'error', connectionError: 'socket hang up' });
    await new Promise((r) => setTimeout(r, 30));
    expect(open).toHaveBeenCalledTimes(2);
    // the new snapshot replaces the list (ap_a was answered while we were away)
    second.push({ type: 'snapshot', approvals: [ap('ap_b', 2)] });
    await tick();
    expect(ids(store)).toEqual(['ap_b']);
    expect(store.getSnapshot().connection).toBe('live');
    abort.abort();
    second.end();
    await following;
  });

  it('applies a filter (the popup follows one approval)', async () => {
    const store = new ApprovalsStore({ actions: { approve: async () => ({}), deny: async () => ({}) }, filter: (a) => a.id === 'ap_b' });
    store.apply({ type: 'snapshot', approvals: [ap('ap_a', 1), ap('ap_b', 2)] });
    store.apply({ type: 'requested', approval: ap('ap_c', 3) });
    expect(ids(store)).toEqual(['ap_b']);
  });
});
