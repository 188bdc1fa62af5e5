import { render } from 'ink-testing-library';
import React from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventDataMap, EventType, OmniEvent } from '../../src/core/events.js';
import type { PollyRun } from '../../src/polly/types.js';
import type { PollyApi } from '../../src/tui/polly/source.js';
import { PollyBoardStore, type BoardStoreOptions } from '../../src/tui/polly/store.js';
import { PollyBoardView, type BoardOutcome } from '../../src/tui/polly/view.js';
import { pollyRun, review, task } from '../helpers/polly-run.js';

const ENTER = '\r';
const ESC = '\u001B';
const DOWN = '\u001B[B';
const UP = '\u001B[A';
const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

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

/** An event stream the test pushes into. */
function stream() {
  const queue: OmniEvent[] = [];
  let wake: (() => void) | undefined;
  const iterable: AsyncIterable<OmniEvent> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length) yield queue.shift()!;
        else await new Promise<void>((r) => (wake = r));
      }
    },
  };
  return { iterable, push: (...e: OmniEvent[]) => (queue.push(...e), wake?.(), (wake = undefined)) };
}

function ev<T extends EventType>(session: string, seq: number, type: T, data: EventDataMap[T]): OmniEvent {
  return { seq, ts: '2030-01-01T00:00:00.000Z', session, type, data } as OmniEvent;
}

function board() {
  return pollyRun(
    [
      task('t1', { status: 'approved', approvedBy: 'review', round: 1, reviews: [review(1, 'approve')], diffstat: { files: 2, insertions: 12, deletions: 3 }, costUsd: 0.12 }),
      task('t2', { status: 'needs_person', harness: 'codex', round: 2, reviews: [review(1, 'changes'), review(2, 'changes')], reason: '2 review rounds and still changes requested', costUsd: 0.3 }),
      task('t3', { status: 'waiting', after: ['t1'], session: undefined }),
    ],
    { costUsd: 0.55 },
  );
}

/** A fake daemon: the run it answers, the calls it got; approve and send-back change the run as the daemon would. */
function fakeApi(initial: PollyRun) {
  let run = initial;
  const calls: string[] = [];
  let fetches = 0;
  const s = stream();
  const api: BoardStoreOptions['api'] = {
    run: async (ref) => {
      fetches++;
      if (ref !== run.id && ref !== 'latest') throw new Error(`no Polly run "${ref}"`);
      return structuredClone(run);
    },
    events: () => s.iterable,
    approve: async (r, t, note) => {
      calls.push(`approve ${r} ${t}${note ? ` ${note}` : ''}`);
      run = { ...run, tasks: run.tasks!.map((x) => (x.id === t ? { ...x, status: 'approved', approvedBy: 'person' } : x)) };
    },
    sendBack: async (r, t, note) => {
      calls.push(`send-back ${r} ${t} ${note}`);
      run = { ...run, tasks: run.tasks!.map((x) => (x.id === t ? { ...x, status: 'working', reason: undefined } : x)) };
    },
  } satisfies Pick<PollyApi, 'run' | 'events' | 'approve' | 'sendBack'>;
  return { api, calls, push: s.push, fetches: () => fetches, set: (r: PollyRun) => (run = r) };
}

const mounted: Array<{ unmount(): void; abort: AbortController; store: PollyBoardStore }> = [];
afterEach(() => {
  for (const m of mounted.splice(0)) {
    m.abort.abort();
    m.unmount();
    m.store.dispose();
  }
});

function view(run = board(), over: Partial<BoardStoreOptions> = {}) {
  const f = fakeApi(run);
  const diff = vi.fn(async (_run: PollyRun, t: string) => `diff --git a/src/${t}.ts b/src/${t}.ts\n@@ -1 +1 @@\n-old\n+new line of ${t}\n`);
  const merge = vi.fn(async () => ({ text: 'main is now 9999999999 (was ffffffffff): 1 merged', kind: 'info' as const }));
  const store = new PollyBoardStore({ api: f.api, ref: 'latest', diff, merge, throttleMs: 100, ...over });
  const onExit = vi.fn<(o: BoardOutcome) => void>();
  const abort = new AbortController();
  void store.follow(abort.signal);
  const r = render(React.createElement(PollyBoardView, { store, onExit }));
  mounted.push({ unmount: r.unmount, abort, store });
  const frame = () => r.lastFrame() ?? '';
  const line = (re: RegExp) => frame().split('\n').find((l) => re.test(l)) ?? '';
  return { ...f, store, r, frame, line, onExit, diff, merge, keys: (k: string) => r.stdin.write(k) };
}

describe('the Polly board (Ink)', () => {
  it('header and one row per task: worker, status, review and round, cost; branch, diffstat and after below it', async () => {
    const v = view();
    await until(() => expect(v.frame()).toContain('t3'));
    expect(v.frame()).toContain('Polly p_abc12345 · running · $0.55 · 1 waiting, 1 approved, 1 needs person');
    expect(v.frame()).toContain('lead polly-1 (claude) · into main · goal: add rate limiting to the API');
    expect(v.line(/TASK/)).toMatch(/TASK\s+TITLE\s+WORKER\s+STATUS\s+REVIEW\s+COST/);
    expect(v.line(/ t1 /)).toMatch(/^› t1\s+title of t1\s+claude\s+approved\s+approve r1\s+\$0\.12/);
    expect(v.line(/ t2 /)).toMatch(/^  t2\s+title of t2\s+codex\s+needs person\s+changes r2\s+\$0\.30/);
    expect(v.line(/ t3 /)).toMatch(/^  t3\s+title of t3\s+claude\s+waiting\s+·\s+-/);
    expect(v.frame()).toContain('omni/polly1-t1 · +12 −3, 2 files');
    expect(v.frame()).toContain('omni/polly1-t2 · — 2 review rounds and still changes requested');
    expect(v.frame()).toContain('not started · after: t1');
  });

  it('↑/↓ select; y approves the selected task (POST approve) and the row shows it', async () => {
    const v = view();
    await until(() => expect(v.line(/^› t1/)).not.toBe(''));
    v.keys('y'); // t1 is approved already: nothing to do
    await until(() => expect(v.frame()).toContain('t1 is approved: nothing to approve'));
    v.keys(DOWN);
    await until(() => expect(v.line(/^› t2/)).not.toBe(''));
    v.keys('y');
    await until(() => expect(v.line(/ t2 /)).toMatch(/approved\s+approve \(person\) r2/));
    expect(v.calls).toEqual(['approve p_abc12345 t2']);
    expect(v.frame()).toContain('approved t2 for merge (m merges)');
    v.keys(DOWN);
    v.keys(DOWN); // stays on the last row
    v.keys(UP);
    await until(() => expect(v.line(/^› t2/)).not.toBe(''));
  });

  it('s opens a line for the note; Enter sends the task back with it (POST send-back); Esc sends nothing', async () => {
    const v = view();
    await until(() => expect(v.frame()).toContain('t3'));
    v.keys(DOWN);
    await until(() => expect(v.line(/^› t2/)).not.toBe(''));
    v.keys('s');
    await until(() => expect(v.frame()).toContain('send t2 back:'));
    v.keys(ESC);
    await until(() => expect(v.frame()).not.toContain('send t2 back:'));
    v.keys('s');
    await until(() => expect(v.frame()).toContain('send t2 back:'));
    v.keys('reset the limit every minute');
    await until(() => expect(v.frame()).toContain('send t2 back: reset the limit every minute'));
    v.keys(ENTER);
    await until(() => expect(v.calls).toEqual(['send-back p_abc12345 t2 reset the limit every minute']));
    await until(() => expect(v.line(/ t2 /)).toMatch(/working/));
    expect(v.frame()).toContain('sent t2 back to polly1-t2');
    // A task without a worker has nothing to send back to.
    v.keys(DOWN);
    await until(() => expect(v.line(/^› t3/)).not.toBe(''));
    v.keys('s');
    await until(() => expect(v.frame()).toContain('t3 is waiting and has no worker: nothing to send back to'));
    expect(v.frame()).not.toContain('send t3 back:');
  });

  it('d shows the selected task\'s diff in a pager; r its last review with findings; q goes back to the board', async () => {
    const v = view();
    await until(() => expect(v.frame()).toContain('t3'));
    v.keys('d');
    await until(() => expect(v.frame()).toContain('diff of t1 (omni/polly1-t1 against main)'));
    expect(v.diff).toHaveBeenCalledWith(expect.objectContaining({ id: 'p_abc12345' }), 't1');
    expect(v.frame()).toContain('+new line of t1');
    expect(v.frame()).not.toContain('TASK');
    v.keys('q');
    await until(() => expect(v.frame()).toContain('TASK'));
    expect(v.onExit).not.toHaveBeenCalled();
    v.keys(DOWN);
    v.keys('r');
    await until(() => expect(v.frame()).toContain('review of t2: title of t2'));
    expect(v.frame()).toContain('changes (round 2) by polly1-rev2 (codex, openai)');
    expect(v.frame()).toContain('- [major] src/api.ts:12 the limit is never reset');
    v.keys(ESC);
    await until(() => expect(v.frame()).toContain('TASK'));
    v.keys(DOWN);
    v.keys('r');
    await until(() => expect(v.frame()).toContain('t3 has no review yet'));
    v.keys('d');
    await until(() => expect(v.frame()).toContain('t3 has no worker yet: no diff'));
  });

  it('the pager scrolls a long diff', async () => {
    const long = Array.from({ length: 60 }, (_, i) => `+line ${i + 1}`).join('\n');
    const v = view(board(), { diff: async () => long });
    await until(() => expect(v.frame()).toContain('t3'));
    v.keys('d');
    await until(() => expect(v.frame()).toContain('lines 1–20 of 60'));
    expect(v.frame()).toContain('+line 20');
    expect(v.frame()).not.toContain('+line 21');
    v.keys(DOWN);
    await until(() => expect(v.frame()).toContain('lines 2–21 of 60'));
    v.keys(' ');
    await until(() => expect(v.frame()).toContain('lines 22–41 of 60'));
    v.keys('b');
    await until(() => expect(v.frame()).toContain('lines 2–21 of 60'));
  });

  it('m asks y/N, then merges the approved tasks; anything but y merges nothing', async () => {
    const v = view();
    await until(() => expect(v.frame()).toContain('t3'));
    v.keys('m');
    await until(() => expect(v.frame()).toContain('merge t1 into main? y/N'));
    v.keys('n');
    await until(() => expect(v.frame()).toContain('not merged'));
    expect(v.merge).not.toHaveBeenCalled();
    v.keys('m');
    await until(() => expect(v.frame()).toContain('merge t1 into main? y/N'));
    v.keys('y');
    await until(() => expect(v.frame()).toContain('main is now 9999999999 (was ffffffffff): 1 merged'));
    expect(v.merge).toHaveBeenCalledTimes(1);
    expect(v.merge.mock.calls[0]![0]).toMatchObject({ id: 'p_abc12345' });
  });

  it('m with nothing approved says so', async () => {
    const v = view(pollyRun([task('t1')]));
    await until(() => expect(v.frame()).toContain('t1'));
    v.keys('m');
    await until(() => expect(v.frame()).toContain('no approved task to merge (y approves the selected one)'));
  });

  it('a leaves to attach to the selected worker; not for a task without one; q quits', async () => {
    const v = view();
    await until(() => expect(v.frame()).toContain('t3'));
    v.keys(DOWN);
    v.keys(DOWN);
    await until(() => expect(v.line(/^› t3/)).not.toBe(''));
    v.keys('a');
    await until(() => expect(v.frame()).toContain('t3 has no worker yet (waiting)'));
    expect(v.onExit).not.toHaveBeenCalled();
    v.keys(UP);
    await until(() => expect(v.line(/^› t2/)).not.toBe(''));
    v.keys('a');
    await until(() => expect(v.onExit).toHaveBeenCalledWith({ kind: 'attach', session: { id: 's_t2', name: 'polly1-t2' } }));
    const q = view();
    await until(() => expect(q.frame()).toContain('t3'));
    q.keys('q');
    await until(() => expect(q.onExit).toHaveBeenCalledWith({ kind: 'quit' }));
  });

  it('live: refetches on polly.* events of its run and on its sessions\' usage, throttled; ignores other runs and sessions', async () => {
    const v = view();
    await until(() => expect(v.frame()).toContain('t3'));
    await tick(150);
    const before = v.fetches();
    v.push(ev('s_other_lead', 1, 'polly.task', { run: 'p_other', task: 't1', status: 'working' }), ev('s_stranger', 2, 'usage', { model: 'm', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, source: 'transcript' }));
    await tick(250);
    expect(v.fetches()).toBe(before);

    const next = board();
    next.tasks![2] = task('t3', { status: 'working', after: ['t1'] });
    v.set(next);
    v.push(ev('s_lead', 3, 'polly.task', { run: 'p_abc12345', task: 't3', status: 'working', previous: 'ready' }));
    await until(() => expect(v.line(/ t3 /)).toMatch(/working/));
    expect(v.frame()).toContain('omni/polly1-t3 · after: t1');

    await tick(150);
    const mid = v.fetches();
    // A burst of a worker's usage: one refetch now at most, one at the end of the window.
    for (let i = 0; i < 20; i++) v.push(ev('s_t2', 10 + i, 'usage', { model: 'm', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, source: 'transcript', computedCostUsd: 0.01 }));
    v.set({ ...next, costUsd: 0.75 });
    await until(() => expect(v.frame()).toContain('· $0.75 ·'));
    await tick(250);
    expect(v.fetches() - mid).toBeGreaterThanOrEqual(1);
    expect(v.fetches() - mid).toBeLessThanOrEqual(2);
  });

  it('re-reads the run every refreshMs too (a change whose event has no lead log to land in)', async () => {
    const v = view(board(), { refreshMs: 60 });
    await until(() => expect(v.frame()).toContain('t3'));
    const next = board();
    next.tasks![0] = { ...next.tasks![0]!, status: 'merged' };
    v.set(next);
    await until(() => expect(v.line(/ t1 /)).toMatch(/merged/), 1000);
    const none = view(board());
    await until(() => expect(none.frame()).toContain('t3'));
    const n = none.fetches();
    await tick(200);
    expect(none.fetches()).toBe(n); // without it, no events: no fetch
  });

  it('a run still planning: no rows, the lead to talk to, the refused plan', async () => {
    const v = view(pollyRun(undefined, { planErrors: ['no "tasks" array in the plan'] }));
    await until(() => expect(v.frame()).toContain('no tasks yet: the lead is planning (omni attach polly-1 to talk to it)'));
    expect(v.frame()).toContain('plan refused: no "tasks" array in the plan');
    expect(v.frame()).toContain('· planning ·');
  });
});
