import { describe, expect, it } from 'vitest';
import { cachedServerPid, processStart } from '../../src/daemon/server-pid.js';

describe('cachedServerPid', () => {
  /** A tmux that answers `pids` in turn, and a /proc whose start times the test sets. */
  const world = (pids: Array<number | undefined>) => {
    const starts = new Map<number, string>();
    let asked = 0;
    const lookup = async () => pids[asked++];
    return { starts, asked: () => asked, get: cachedServerPid(lookup, (pid) => starts.get(pid)) };
  };

  it('asks tmux once while the same server process lives', async () => {
    const w = world([50, 60]);
    w.starts.set(50, '1000');
    expect(await w.get()).toBe(50);
    expect(await w.get()).toBe(50);
    expect(await w.get()).toBe(50);
    expect(w.asked()).toBe(1);
  });

  it('asks again once the server is gone, or its pid belongs to a later process', async () => {
    const w = world([50, 60, 50]);
    w.starts.set(50, '1000');
    expect(await w.get()).toBe(50);
    w.starts.delete(50); // killed: a new server, a new pid
    w.starts.set(60, '2000');
    expect(await w.get()).toBe(60);
    expect(w.asked()).toBe(2);
    w.starts.delete(60);
    w.starts.set(50, '3000'); // pid 50 reused by a new server: a later start
    expect(await w.get()).toBe(50);
    expect(await w.get()).toBe(50);
    expect(w.asked()).toBe(3);
  });

  it('never keeps "no server", nor a pid it cannot see in /proc', async () => {
    const w = world([undefined, 70, 80]);
    expect(await w.get()).toBeUndefined();
    expect(await w.get()).toBe(70); // no start time for 70: not kept
    w.starts.set(80, '5');
    expect(await w.get()).toBe(80);
    expect(await w.get()).toBe(80);
    expect(w.asked()).toBe(3);
  });

  it('shares one question between concurrent callers, and a failed one is not kept', async () => {
    let asked = 0;
    let fail = true;
    const get = cachedServerPid(
      async () => {
        asked++;
        await new Promise((r) => setTimeout(r, 10));
        if (fail) throw new Error('tmux is gone');
        return 90;
      },
      () => '7',
    );
    await expect(Promise.all([get(), get()])).rejects.toThrow('tmux is gone');
    expect(asked).toBe(1);
    fail = false;
    expect(await Promise.all([get(), get(), get()])).toEqual([90, 90, 90]);
    expect(await get()).toBe(90);
    expect(asked).toBe(2);
  });
});

describe('processStart', () => {
  it("reads a live process's start time, and nothing for a pid that does not exist", () => {
    expect(processStart(process.pid)).toMatch(/^\d+$/);
    expect(processStart(process.pid)).toBe(processStart(process.pid));
    expect(processStart(2 ** 30)).toBeUndefined();
  });
});
