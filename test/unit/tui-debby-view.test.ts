import { render } from 'ink-testing-library';
import React from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventDataMap, EventType, OmniEvent } from '../../src/core/events.js';
import type { DebbyExchange, DebbyRun } from '../../src/debby/types.js';
import { wrapText } from '../../src/tui/debby/columns.js';
import { formatDebby } from '../../src/tui/debby/format.js';
import { DebbyStore, parseInput, type DebbySource } from '../../src/tui/debby/store.js';
import { DebbyView } from '../../src/tui/debby/view.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const ENTER = '\r';

function ev<T extends EventType>(session: string, seq: number, type: T, data: EventDataMap[T]): OmniEvent {
  return { seq, ts: new Date(T0 + seq * 1000).toISOString(), session, type, data } as OmniEvent;
}
const started = (session: string, seq: number, n: number, kind: DebbyExchange['kind'] = 'ask', round?: number) =>
  ev(session, seq, 'debby.exchange', { run: 'd_abc', n, kind, ...(round ? { round } : {}), state: 'started' });
const done = (session: string, seq: number, n: number, kind: DebbyExchange['kind'] = 'ask') => ev(session, seq, 'debby.exchange', { run: 'd_abc', n, kind, state: 'done' });
const user = (session: string, seq: number, text: string) => ev(session, seq, 'message.user', { text });
const said = (session: string, seq: number, text: string) => ev(session, seq, 'message.assistant', { text });
const delta = (session: string, seq: number, text: string) => ev(session, seq, 'text.delta', { text });
const usage = (session: string, seq: number, usd: number) =>
  ev(session, seq, 'usage', { model: 'm', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, computedCostUsd: usd, source: 'transcript' });

function baseRun(over: Partial<DebbyRun> = {}): DebbyRun {
  return {
    id: 'd_abc',
    createdAt: new Date(T0).toISOString(),
    cwd: '/tmp',
    heads: [
      { label: 'claude', harness: 'claude', session: 's_c', name: 'debby-1-claude', costUsd: 0.01 },
      { label: 'codex', harness: 'codex', session: 's_x', name: 'debby-1-codex', costUsd: 0.02 },
    ],
    synth: 'claude',
    status: 'live',
    exchanges: [],
    costUsd: 0.03,
    ...over,
  };
}

/** An async iterable the test pushes into; it can end or fail, like a dropped stream. */
function feed<T>() {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const iterable: AsyncIterable<T> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length) {
          yield queue.shift() as T;
          continue;
        }
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
  return { iterable, push: (...items: T[]) => (queue.push(...items), poke()), end: () => ((done = true), poke()) };
}

/** A fake daemon: the run (the test changes it), the event stream, and ask/debate that wait for the test. */
function fakeDaemon(run: DebbyRun, logs: Record<string, OmniEvent[]> = {}) {
  const state = { run, runCalls: 0, asks: [] as Array<[string, string]>, debates: [] as Array<[string, number | undefined]> };
  const feeds: Array<ReturnType<typeof feed<OmniEvent>>> = [];
  let release: (() => void) | undefined;
  const hold = () => new Promise<void>((r) => (release = r));
  const source: DebbySource = {
    run: async (ref) => {
      state.runCalls++;
      if (ref !== 'latest' && ref !== state.run.id) throw new Error(`no Debby run ${ref}`);
      return structuredClone(state.run);
    },
    events: () => {
      const f = feed<OmniEvent>();
      feeds.push(f);
      return f.iterable;
    },
    heads: async (ids) => ids.map((id) => ({ id, status: 'idle' as const })),
    headEvents: async (session, last) => (logs[session] ?? []).slice(-last),
    ask: vi.fn(async (id: string, text: string) => {
      state.asks.push([id, text]);
      await hold();
      return { run: structuredClone(state.run) };
    }),
    debate: vi.fn(async (id: string, rounds?: number) => {
      state.debates.push([id, rounds]);
      await hold();
      return { run: structuredClone(state.run) };
    }),
  };
  return { source, state, events: () => feeds[feeds.length - 1]!, release: () => release?.() };
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
const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function follow(run: DebbyRun, logs: Record<string, OmniEvent[]> = {}, ref = 'latest') {
  const d = fakeDaemon(run, logs);
  const store = new DebbyStore({ source: d.source, run: ref, refetchMs: 0, retryMs: 10 });
  const abort = new AbortController();
  void store.follow(abort.signal);
  cleanups.push(() => {
    abort.abort();
    store.dispose();
  });
  const col = (label: string) => store.getSnapshot().columns.find((c) => c.label === label)!;
  return { ...d, store, col, snap: () => store.getSnapshot() };
}

function view(t: ReturnType<typeof follow>) {
  const onExit = vi.fn();
  const r = render(React.createElement(DebbyView, { store: t.store, onExit }));
  cleanups.push(() => r.unmount());
  return { r, onExit, frame: () => r.lastFrame() ?? '' };
}

/** The exchange stored after both heads answered. */
const asked = (n: number, prompt: string, claude: string, codex: string): DebbyExchange => ({
  n,
  kind: 'ask',
  prompt,
  startedAt: new Date(T0).toISOString(),
  endedAt: new Date(T0 + 5000).toISOString(),
  answers: [
    { head: 'claude', text: claude },
    { head: 'codex', text: codex },
  ],
});

describe('parseInput', () => {
  it('reads /quit, /debate [N] and questions; refuses a typo and a bad N', () => {
    expect(parseInput('  ')).toEqual({ kind: 'none' });
    expect(parseInput('/quit')).toEqual({ kind: 'quit' });
    expect(parseInput('/debate')).toEqual({ kind: 'debate' });
    expect(parseInput('/debate 2')).toEqual({ kind: 'debate', rounds: 2 });
    expect(parseInput('/debate two')).toMatchObject({ kind: 'error', message: expect.stringContaining('/debate [N]') });
    expect(parseInput('/debate 0').kind).toBe('error');
    expect(parseInput('/debat 2')).toMatchObject({ kind: 'error', message: expect.stringContaining('unknown command /debat') });
    expect(parseInput(' why is the sky blue? ')).toEqual({ kind: 'ask', text: 'why is the sky blue?' });
    expect(parseInput('a/b testing?')).toEqual({ kind: 'ask', text: 'a/b testing?' });
  });
});

describe('wrapText', () => {
  it('wraps words to the width, cuts a longer word, keeps blank lines, counts wide characters as two', () => {
    expect(wrapText('the quick brown fox jumps', 10)).toEqual(['the quick', 'brown fox', 'jumps']);
    expect(wrapText('abcdefghijkl', 5)).toEqual(['abcde', 'fghij', 'kl']);
    expect(wrapText('one\n\ntwo', 10)).toEqual(['one', '', 'two']);
    expect(wrapText('日本語のテキスト', 6)).toEqual(['日本語', 'のテキ', 'スト']);
    expect(wrapText('tab\there\u001b[31m', 20)).toEqual(['tab  here[31m']);
    for (const l of wrapText('lorem ipsum dolor sit amet consectetur adipiscing elit sed do', 7)) expect(l.length).toBeLessThanOrEqual(7);
  });
});

describe('DebbyStore', () => {
  it("accumulates each head's streamed text for the current exchange; the stored answer replaces it when done", async () => {
    const t = follow(baseRun({ exchanges: [asked(1, 'old question', 'old claude answer', 'old codex answer')] }));
    await until(() => expect(t.snap().loaded).toBe(true));
    await until(() => expect(t.snap().connection).toBe('live'));
    expect(t.col('claude')).toMatchObject({ title: 'ask 1', text: 'old claude answer', streaming: false, status: 'idle', costUsd: 0.01 });

    const e = t.events();
    // The daemon stores the exchange as it starts: a view that did not ask reads its question then.
    t.state.run.exchanges.push({ n: 2, kind: 'ask', prompt: 'the new question', startedAt: new Date(T0).toISOString(), answers: [] });
    t.state.run.busy = true;
    e.push(said('s_c', 20, 'a late message of an earlier turn: not shown'), started('s_c', 21, 2), started('s_x', 31, 2));
    await until(() => expect(t.snap().question).toBe('the new question'));
    e.push(user('s_c', 22, 'the new question'), delta('s_c', 23, 'Use a '), delta('s_c', 24, 'mutex'));
    await until(() => expect(t.col('claude')).toMatchObject({ title: 'ask 2', text: 'Use a mutex', streaming: true }));
    expect(t.col('codex')).toMatchObject({ title: 'ask 2', text: '', streaming: true });
    expect(t.snap().busy).toBe('the heads are answering…');
    e.push(said('s_c', 25, 'Use a mutex.'), said('s_c', 26, 'Or a channel.'), user('s_x', 32, 'the new question'), said('s_x', 33, 'A channel.'));
    await until(() => expect(t.col('claude').text).toBe('Use a mutex.\n\nOr a channel.'));
    await until(() => expect(t.col('codex').text).toBe('A channel.'));

    // The exchange ends: the daemon has stored it, the view reads it again.
    t.state.run.exchanges[1] = asked(2, 'the new question', 'Use a mutex. Or a channel (stored).', 'A channel (stored).');
    delete t.state.run.busy;
    const calls = t.state.runCalls;
    e.push(done('s_c', 27, 2), done('s_x', 34, 2));
    await until(() => expect(t.state.runCalls).toBeGreaterThan(calls));
    await until(() => expect(t.col('claude')).toMatchObject({ title: 'ask 2', text: 'Use a mutex. Or a channel (stored).', streaming: false }));
    expect(t.snap().busy).toBeUndefined();
    expect(t.snap().question).toBe('the new question');
  });

  it('an exchange asked elsewhere: the view is busy until the daemon has closed it, with no event to say so', async () => {
    const t = follow(baseRun({ exchanges: [asked(1, 'q', 'a', 'b')] }));
    await until(() => expect(t.snap().connection).toBe('live'));
    t.state.run.exchanges.push({ n: 2, kind: 'ask', prompt: 'from the CLI', startedAt: new Date(T0).toISOString(), answers: [] });
    t.state.run.busy = true;
    t.events().push(started('s_c', 21, 2), started('s_x', 31, 2), said('s_c', 22, 'yes'), said('s_x', 32, 'no'));
    await until(() => expect(t.snap().busy).toBe('the heads are answering…'));
    // Both heads are done; the daemon stores the exchange a moment later.
    t.events().push(done('s_c', 23, 2), done('s_x', 33, 2));
    await until(() => expect(t.col('codex').streaming).toBe(false));
    expect(t.snap().busy).toBe('the heads are answering…');
    t.state.run.exchanges[1] = asked(2, 'from the CLI', 'yes', 'no');
    delete t.state.run.busy;
    await until(() => expect(t.snap().busy).toBeUndefined(), 3000);
    expect(t.store.refusal()).toBeUndefined();
  });

  it('a head usage event refetches the run (the costs); events of other sessions are ignored', async () => {
    const t = follow(baseRun());
    await until(() => expect(t.snap().connection).toBe('live'));
    await until(() => expect(t.snap().totalUsd).toBe(0.03));
    const calls = t.state.runCalls;
    t.events().push(usage('s_other', 5, 9));
    await tick(50);
    expect(t.state.runCalls).toBe(calls);
    t.state.run.heads[1]!.costUsd = 0.5;
    t.state.run.costUsd = 0.51;
    t.events().push(usage('s_x', 5, 0.48));
    await until(() => expect(t.snap().totalUsd).toBe(0.51));
    expect(t.col('codex').costUsd).toBe(0.5);
  });

  it('opened mid-exchange, it reads what the heads already wrote from their logs', async () => {
    const run = baseRun({ busy: true });
    const t = follow(run, {
      s_c: [user('s_c', 8, 'previous'), said('s_c', 9, 'previous answer'), started('s_c', 10, 1), user('s_c', 11, 'q'), said('s_c', 12, 'first part')],
      s_x: [started('s_x', 40, 1), user('s_x', 41, 'q')],
    });
    await until(() => expect(t.col('claude')).toMatchObject({ title: 'ask 1', text: 'first part', streaming: true }));
    t.events().push(said('s_c', 12, 'first part'), said('s_c', 13, 'second part'), said('s_x', 42, 'codex part'));
    await until(() => expect(t.col('claude').text).toBe('first part\n\nsecond part')); // seq 12 not counted twice
    await until(() => expect(t.col('codex').text).toBe('codex part'));
  });

  it('ask and debate go to the run; a second one is refused while the first is under way', async () => {
    const t = follow(baseRun({ exchanges: [asked(1, 'q', 'a', 'b')] }));
    await until(() => expect(t.snap().loaded).toBe(true));
    const first = t.store.ask('why?');
    await until(() => expect(t.snap().busy).toBe('asking…'));
    expect(await t.store.debate(2)).toBe(false);
    expect(t.snap().message).toMatchObject({ kind: 'error', text: expect.stringContaining('one exchange at a time') });
    expect(t.state.debates).toEqual([]);
    t.release();
    expect(await first).toBe(true);
    expect(t.state.asks).toEqual([['d_abc', 'why?']]);
    const deb = t.store.debate(2);
    await until(() => expect(t.snap().busy).toBe('debating…'));
    t.release();
    expect(await deb).toBe(true);
    expect(t.state.debates).toEqual([['d_abc', 2]]);
  });

  it('refuses input on an ended run, and says why an ask failed', async () => {
    const t = follow(baseRun({ status: 'ended' }));
    await until(() => expect(t.snap().loaded).toBe(true));
    expect(await t.store.ask('hello?')).toBe(false);
    expect(t.snap().message?.text).toMatch(/ended/);
    t.state.run.status = 'live';
    await t.store.refresh();
    (t.source.ask as ReturnType<typeof vi.fn>).mockRejectedValueOnce(new Error('ask a question first'));
    expect(await t.store.ask('again')).toBe(false);
    expect(t.snap().message).toEqual({ kind: 'error', text: 'ask failed: ask a question first' });
    expect(t.snap().busy).toBeUndefined();
  });
});

describe('DebbyView (ink-testing-library)', () => {
  it("draws a column per head side by side with its streamed text, the agreement line, and the costs", async () => {
    const t = follow(baseRun({ exchanges: [asked(1, 'how do we share the cache?', 'Guard the cache with a mutex and retry.', 'Guard the cache with a channel and retry.')] }));
    const v = view(t);
    await until(() => expect(v.frame()).toContain('question: how do we share the cache?'));
    const f = v.frame();
    expect(f).toMatch(/omni debby d_abc · live · 2 heads · total \$0\.03/);
    const lines = f.split('\n');
    // Side by side: both heads' names on one line, both answers on one line.
    expect(lines.find((l) => l.includes('claude ·') && l.includes('codex ·'))).toMatch(/claude · idle · \$0\.01 · synth.*│.*codex · idle · \$0\.02/);
    expect(lines.find((l) => l.includes('Guard the cache with a mutex'))).toContain('Guard the cache with a channel');
    expect(f).toMatch(/agree \d+% · only claude: mutex · only codex: channel/);

    await until(() => expect(t.snap().connection).toBe('live'));
    t.events().push(started('s_c', 21, 2), started('s_x', 31, 2), delta('s_c', 22, 'Streaming from claude'), said('s_x', 32, 'Streamed by codex'));
    await until(() => expect(v.frame()).toContain('Streaming from claude'));
    const g = v.frame().split('\n');
    expect(g.find((l) => l.includes('Streaming from claude'))).toContain('Streamed by codex');
    expect(v.frame()).toContain('the heads are answering…');
    expect(v.frame()).toMatch(/ask 2 ▍streaming/);
  });

  it('wraps a long answer inside its column', async () => {
    const long = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const t = follow(baseRun({ exchanges: [asked(1, 'q', long, 'short')] }));
    const v = view(t);
    await until(() => expect(v.frame()).toContain('word29'));
    for (const l of v.frame().split('\n')) expect(l.length).toBeLessThanOrEqual(100);
    const withWords = v.frame().split('\n').filter((l) => /word\d/.test(l));
    expect(withWords.length).toBeGreaterThan(2);
    // Every wrapped line stays left of the rule between the columns.
    for (const l of withWords) expect(l.indexOf('word')).toBeLessThan(l.indexOf('│') === -1 ? Infinity : l.indexOf('│'));
  });

  it('plain text asks every head; /debate 2 starts a debate of 2 rounds; input is refused while busy', async () => {
    const t = follow(baseRun({ exchanges: [asked(1, 'q', 'a', 'b')] }));
    const v = view(t);
    await until(() => expect(v.frame()).toContain('question: q'));
    v.r.stdin.write('is it safe?');
    await until(() => expect(v.frame()).toContain('› is it safe?'));
    v.r.stdin.write(ENTER);
    await until(() => expect(t.source.ask).toHaveBeenCalledWith('d_abc', 'is it safe?'));
    await until(() => expect(v.frame()).toContain('asking…'));
    // Busy: the line is refused (and kept), nothing is sent.
    v.r.stdin.write('/debate 2');
    await tick();
    v.r.stdin.write(ENTER);
    await until(() => expect(v.frame()).toContain('one exchange at a time'));
    expect(v.frame()).toContain('› /debate 2');
    expect(t.source.debate).not.toHaveBeenCalled();
    // A line and its Enter in one read (a paste): refused the same way, and kept.
    for (let i = 0; i < 9; i++) v.r.stdin.write('\u007f');
    await until(() => expect(v.frame()).toMatch(/^›\s*$/m));
    v.r.stdin.write('and now?\r');
    await until(() => expect(v.frame()).toContain('› and now?'));
    expect(t.source.ask).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 8; i++) v.r.stdin.write('\u007f');
    await tick();
    v.r.stdin.write('/debate 2');
    await until(() => expect(v.frame()).toContain('› /debate 2'));
    t.release();
    await until(() => expect(v.frame()).not.toContain('asking…'));
    v.r.stdin.write(ENTER);
    await until(() => expect(t.source.debate).toHaveBeenCalledWith('d_abc', 2));
    await until(() => expect(v.frame()).toContain('debating…'));
    t.release();
    await until(() => expect(v.frame()).not.toContain('debating…'));
    expect(t.source.ask).toHaveBeenCalledTimes(1);
  });

  it('/debate with a bad N says how; /quit leaves the view without touching the heads', async () => {
    const t = follow(baseRun({ exchanges: [asked(1, 'q', 'a', 'b')] }));
    const v = view(t);
    await until(() => expect(v.frame()).toContain('question: q'));
    v.r.stdin.write('/debate lots');
    await tick();
    v.r.stdin.write(ENTER);
    await until(() => expect(v.frame()).toContain('/debate [N]: N is a number of rounds'));
    expect(t.source.debate).not.toHaveBeenCalled();
    for (let i = 0; i < 12; i++) v.r.stdin.write('\u007f');
    await tick();
    v.r.stdin.write('/quit');
    await tick();
    v.r.stdin.write(ENTER);
    await until(() => expect(v.onExit).toHaveBeenCalledTimes(1));
    expect(t.source.ask).not.toHaveBeenCalled();
  });

  it('shows a head that did not answer, and the synthesis under the synth head', async () => {
    const x = asked(1, 'q', 'claude says yes', '');
    x.answers[1] = { head: 'codex', text: '', error: 'the session ended' };
    const synth: DebbyExchange = { n: 3, kind: 'synthesis', prompt: 'synthesis', startedAt: x.startedAt, endedAt: x.endedAt, answers: [{ head: 'claude', text: 'All things considered: yes.' }] };
    const crit: DebbyExchange = { n: 2, kind: 'critique', round: 1, prompt: 'debate round 1', startedAt: x.startedAt, endedAt: x.endedAt, answers: [{ head: 'claude', text: 'still yes' }] };
    const t = follow(baseRun({ exchanges: [x, crit, synth] }));
    const v = view(t);
    await until(() => expect(v.frame()).toContain('All things considered: yes.'));
    expect(v.frame()).toContain('no answer: the session ended');
    expect(v.frame()).toMatch(/synthesis/);
    expect(v.frame()).toContain('· synth');
    expect(formatDebby(t.store.current()!)).toMatch(/── claude · \$0\.01 · synthesis ──\nAll things considered: yes\.\n\n── codex · \$0\.02 · ask 1 ──\nno answer: the session ended/);
  });
});
