import { describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { parseConfig } from '../../src/daemon/config.js';
import { callerTmux, noticeFor, Notifier } from '../../src/daemon/notifier.js';

const rec = { id: 's_aaaaaaaa', name: 'w', callerTmux: { socket: '/tmp/u.sock', pane: '%3' } } as SessionRecord;
const ev = (type: string, data: unknown) => ({ seq: 1, ts: '', session: rec.id, type, data }) as OmniEvent;
const cfg = (text: string) => parseConfig(text, '/c/config.yaml', { home: '/h' }).notify;

describe('notify: in config.yaml', () => {
  it('defaults to every kind on every channel; takes booleans, lists and channel switches', () => {
    expect(cfg('').events.idle).toEqual(['message', 'bell', 'desktop']);
    expect(cfg('notify: false\n').events).toEqual({ approval: [], dialog: [], idle: [], exited: [] });
    const c = cfg('notify:\n  events:\n    idle: [desktop]\n    exited: false\n  channels:\n    bell: false\n');
    expect(c.events).toEqual({ approval: ['message', 'desktop'], dialog: ['message', 'desktop'], idle: ['desktop'], exited: [] });
  });
  it('names file, line and column for a wrong key or channel', () => {
    expect(() => cfg('notify:\n  events:\n    idel: true\n')).toThrow(/config\.yaml:3:5: .*unknown key "idel".*did you mean "idle"/);
    expect(() => cfg('notify:\n  events:\n    idle: [beep]\n')).toThrow(/config\.yaml:3:12: .*must be one of message, bell, desktop/);
  });
});

describe('noticeFor', () => {
  it('tells asks, dialogs, finished turns and exits; not the start, an omni ask twice, or omni stop', () => {
    expect(noticeFor(ev('approval.requested', { id: 'ap_1', phase: 'tool_call', reason: 'p: why' }), rec)).toMatchObject({ kind: 'approval', title: 'omni: w asks', body: 'p: why (omni approve ap_1 / omni deny ap_1)' });
    expect(noticeFor(ev('session.status', { status: 'waiting', reason: 'approval ap_1: p: why', source: 'daemon' }), rec)).toBeUndefined();
    expect(noticeFor(ev('session.status', { status: 'waiting', reason: 'Claude Code asks permission for Bash', source: 'hook' }), rec)).toMatchObject({ kind: 'dialog', title: 'omni: w needs you' });
    expect(noticeFor(ev('session.status', { status: 'idle', previous: 'starting', source: 'hook' }), rec)).toBeUndefined();
    expect(noticeFor(ev('session.status', { status: 'idle', previous: 'running', source: 'hook' }), rec)).toMatchObject({ kind: 'idle' });
    expect(noticeFor(ev('session.exited', { code: 2 }), rec)).toMatchObject({ kind: 'exited', body: 'exit code 2' });
    expect(noticeFor(ev('session.exited', { code: null, reason: 'stopped by omni stop' }), rec)).toBeUndefined();
  });
  it('reads $TMUX and $TMUX_PANE', () => {
    expect(callerTmux({ TMUX: '/tmp/tmux-0/default,123,0', TMUX_PANE: '%4' })).toEqual({ socket: '/tmp/tmux-0/default', pane: '%4' });
    expect(callerTmux({})).toBeUndefined();
  });
});

describe('Notifier', () => {
  it("never messages omni's own tmux, escapes # for tmux, and sends a flapping dialog once", async () => {
    const calls: string[][] = [];
    const mk = (socket: string) =>
      new Notifier({
        config: () => cfg('notify:\n  channels: { bell: false, desktop: false }\n'),
        session: () => ({ ...rec, callerTmux: { socket, pane: '%3' } }),
        ownTmuxSocket: '/tmp/omni.sock',
        exec: async (f, a) => (calls.push([f, ...a]), ''),
        log: () => {},
      });
    mk('/tmp/omni.sock').onEvent(ev('session.exited', { code: 1 }));
    const n = mk('/tmp/u.sock');
    const dialog = ev('session.status', { status: 'waiting', reason: 'issue #12', source: 'pane' });
    n.onEvent(dialog);
    n.onEvent(dialog);
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual([['tmux', '-S', '/tmp/u.sock', 'display-message', '-d', '5000', '-t', '%3', 'omni: w needs you: issue ##12']]);
  });
});
