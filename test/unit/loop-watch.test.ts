import { describe, expect, it } from 'vitest';
import { LoopWatch } from '../../src/daemon/loop-watch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hold = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* a synchronous turn, as a whole-log read once was */
  }
};

describe('LoopWatch: a turn that holds the loop while a request is served is logged', () => {
  it('logs a held turn with what was served, and nothing for short turns', async () => {
    const lines: string[] = [];
    const w = new LoopWatch({ log: (m) => lines.push(m), boundMs: 60 });
    const done = w.begin('GET /v1/cost');
    await sleep(40);
    expect(lines).toEqual([]);
    hold(150);
    await sleep(40);
    done();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^event loop held \d+ ms \(bound 60 ms\) while serving GET \/v1\/cost$/);
    expect(Number(/held (\d+)/.exec(lines[0]!)![1])).toBeGreaterThanOrEqual(100);
    w.close();
  });

  it('watches nothing while no request is in flight (an idle daemon wakes for nothing)', async () => {
    const lines: string[] = [];
    const w = new LoopWatch({ log: (m) => lines.push(m), boundMs: 60 });
    w.begin('GET /v1/daemon')(); // begun and done at once
    await sleep(20);
    hold(150);
    await sleep(30);
    expect(lines).toEqual([]);
    w.close();
  });

  it('stops watching a long request after maxWatchMs (a follow, a wait)', async () => {
    const lines: string[] = [];
    const w = new LoopWatch({ log: (m) => lines.push(m), boundMs: 60, maxWatchMs: 30 });
    w.begin('GET /v1/events?follow=1');
    await sleep(60);
    hold(150);
    await sleep(30);
    expect(lines).toEqual([]);
    w.close();
  });
});
