import { afterEach, describe, expect, it } from 'vitest';
import { SuperviseLoop } from '../../src/daemon/supervise-loop.js';

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

/** A screens pass the test ends by hand: what it returns is "ms until the next read". */
function screensStub() {
  const calls: Array<(next: number | undefined) => void> = [];
  return {
    calls,
    screens: () => new Promise<number | undefined>((resolve) => calls.push(resolve)),
  };
}

describe('SuperviseLoop screen reads', () => {
  let loop: SuperviseLoop | undefined;
  afterEach(() => loop?.stop());

  function makeLoop(screens: () => Promise<number | undefined>) {
    loop = new SuperviseLoop({ check: async () => ({ live: false }), screens, tmux: {}, safetyMs: 60_000 });
    return loop;
  }

  it('a session started while a pass is reading screens gets a pass of its own, though that pass armed no timer', async () => {
    const s = screensStub();
    const l = makeLoop(s.screens);
    l.wakeScreens();
    await tick();
    expect(s.calls).toHaveLength(1);
    // A session starts while that pass is under way (it listed the sessions before it).
    l.started();
    await tick();
    expect(s.calls).toHaveLength(1);
    // The pass ends finding nothing to read: no timer from it, yet the wake must not be lost.
    s.calls[0]!(undefined);
    await tick();
    expect(s.calls).toHaveLength(2);
    s.calls[1]!(undefined);
    await tick(50);
    expect(s.calls).toHaveLength(2);
  });

  it('the wake runs at once even when the pass under way asked for its next read seconds out', async () => {
    const s = screensStub();
    const l = makeLoop(s.screens);
    l.wakeScreens();
    await tick();
    l.wakeScreens();
    s.calls[0]!(4000);
    await tick();
    expect(s.calls).toHaveLength(2);
  });

  it('reads again when the pass says, and not before', async () => {
    const s = screensStub();
    const l = makeLoop(s.screens);
    l.wakeScreens();
    await tick();
    s.calls[0]!(150);
    await tick(60);
    expect(s.calls).toHaveLength(1);
    await tick(200);
    expect(s.calls).toHaveLength(2);
  });
});
