import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { EventBus } from '../../src/daemon/bus.js';
import { PaneIO, promptTaken } from '../../src/daemon/pane-io.js';
import type { TmuxPort } from '../../src/daemon/ports.js';
import { SessionLog } from '../../src/daemon/session-log.js';
import { SessionStore } from '../../src/daemon/store.js';
import { piAdapter } from '../../src/harnesses/pi/index.js';
import { HarnessRegistry } from '../../src/harnesses/registry.js';

/**
 * A pane whose harness drops the first paste (as Gemini does while it resumes a chat) or reports
 * a prompt it took late. The chat shows taken prompts as `> text`; the box is the last line.
 */
function fakePane(events: SessionLog, rec: () => SessionRecord, opts: { dropFirstPaste?: boolean; ackDelayMs?: number }) {
  const state = { box: '', chat: [] as string[], pastes: 0, dropped: 0 };
  const tmux: TmuxPort = {
    newSession: async () => ({ paneId: '%1', panePid: 1 }),
    listPanes: async () => [],
    killSession: async () => {},
    withPaneLock: (_t, fn) => fn(),
    capturePane: async () => [...state.chat.map((t) => `> ${t}`), `BOX: ${state.box}`].join('\n'),
    pasteText: async (_t, text) => {
      state.pastes++;
      if (opts.dropFirstPaste && state.pastes === 1) state.dropped++;
      else state.box += text;
    },
    sendKeys: async (_t, keys) => {
      if (keys[0] !== 'Enter' || !state.box) return;
      const text = state.box;
      state.chat.push(text);
      state.box = '';
      setTimeout(() => events.emit(rec(), { type: 'message.user', data: { text } }), opts.ackDelayMs ?? 0);
    },
  };
  return { tmux, state };
}

describe('PaneIO.send: a prompt the harness dropped', () => {
  let dir: string;
  let store: SessionStore;
  let events: SessionLog;
  const adapter = {
    ...piAdapter,
    name: 'boxy',
    displayName: 'Boxy',
    submitDelayMs: 0,
    promptAckMs: 150,
    inputReady: (t: string) => /^BOX: /m.test(t),
    inputText: (t: string) => /^BOX: (.*)$/m.exec(t)?.[1],
  };
  let rec: SessionRecord;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ompio-'));
    store = new SessionStore(path.join(dir, 'sessions.json'), path.join(dir, 'sessions'));
    store.load();
    events = new SessionLog({ store, bus: new EventBus(), priceUsage: (_r, u) => u });
    rec = { id: 's1', name: 's1', harness: 'boxy', cwd: dir, status: 'idle', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', tmuxSession: 's1', paneId: '%1', command: [], lastSeq: 0 };
    store.put(rec);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('types it again when the box is empty and the text is nowhere on screen', async () => {
    const pane = fakePane(events, () => rec, { dropFirstPaste: true });
    const io = new PaneIO({ tmux: pane.tmux, harnesses: new HarnessRegistry([adapter]), events });
    const res = await io.send(rec, 'what was the word?');
    expect(res).toMatchObject({ accepted: true, verified: true });
    expect(pane.state).toMatchObject({ pastes: 2, dropped: 1, chat: ['what was the word?'] });
  });

  it("another prompt's event does not count as this one taken", async () => {
    // A session's first prompt, typed a moment earlier, is logged while this send waits; this
    // send's paste was dropped (the harness was busy with the first).
    const pane = fakePane(events, () => rec, { dropFirstPaste: true });
    const io = new PaneIO({ tmux: pane.tmux, harnesses: new HarnessRegistry([adapter]), events });
    setTimeout(() => events.emit(rec, { type: 'message.user', data: { text: 'first task' } }), 20);
    const res = await io.send(rec, 'second task');
    expect(res).toMatchObject({ accepted: true, verified: true });
    expect(pane.state).toMatchObject({ pastes: 2, dropped: 1, chat: ['second task'] });
  });

  it('matches the logged prompt whitespace aside (harnesses trim and re-wrap)', () => {
    const taken = promptTaken('  fix the\nlogin   bug\n', 3);
    const user = (seq: number, text: string) => ({ seq, ts: '', session: 's1', type: 'message.user', data: { text } }) as OmniEvent;
    expect(taken(user(4, 'fix the\nlogin bug'))).toBe(true);
    expect(taken(user(4, 'fix  the'))).toBe(true);
    expect(taken(user(3, 'fix the'))).toBe(false);
    expect(taken(user(5, 'first task'))).toBe(false);
  });

  it('does not type twice a prompt the harness took but reported late', async () => {
    const pane = fakePane(events, () => rec, { ackDelayMs: 400 });
    const io = new PaneIO({ tmux: pane.tmux, harnesses: new HarnessRegistry([adapter]), events });
    const res = await io.send(rec, 'run the tests');
    expect(res).toMatchObject({ accepted: true, verified: true });
    expect(pane.state).toMatchObject({ pastes: 1, chat: ['run the tests'] });
  });
});
