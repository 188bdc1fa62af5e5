import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { EventBus } from '../../src/daemon/bus.js';
import { PathWatches } from '../../src/daemon/file-watch.js';
import { HarnessSessions } from '../../src/daemon/harness-sessions.js';
import type { PolicyPort } from '../../src/daemon/ports.js';
import { SessionLog } from '../../src/daemon/session-log.js';
import { SessionStore } from '../../src/daemon/store.js';
import { claudeAdapter } from '../../src/harnesses/claude/index.js';
import { HarnessRegistry } from '../../src/harnesses/registry.js';

const row = (id: string, text: string) =>
  JSON.stringify({ type: 'assistant', uuid: `u-${id}`, message: { id, model: 'claude-sonnet-4-5', role: 'assistant', content: [{ type: 'text', text }], usage: { input_tokens: 3, output_tokens: 5 } } }) + '\n';

const until = async <T>(fn: () => T | undefined | false, ms: number): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Harness logs are read when they are written (a file watch), not on a timer. */
describe('ingestion on file change', () => {
  let dir: string;
  let store: SessionStore;
  let events: SessionLog;
  let hooks: HarnessSessions;
  const seen: OmniEvent[] = [];
  const policies: PolicyPort = { prepare: () => [], attach: () => {}, decide: async () => ({ verdict: 'none' }), gates: () => false };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omiw-'));
    store = new SessionStore(path.join(dir, 'sessions.json'), path.join(dir, 'sessions'));
    store.load();
    const bus = new EventBus();
    bus.subscribe(null, (ev) => void seen.push(ev));
    events = new SessionLog({ store, bus });
    hooks = new HarnessSessions({ store, harnesses: new HarnessRegistry([claudeAdapter]), events, policies, panes: { clearBlockedPrompt: async () => {} } });
    seen.length = 0;
  });
  afterEach(() => {
    hooks.closeAll();
    events.closeAll();
    store.flush();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const texts = () => seen.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text);

  it('a Claude transcript appended to is ingested with no poll, also once it exists only after the watch began', async () => {
    const transcript = path.join(dir, 'proj', 'abc.jsonl');
    const rec: SessionRecord = { id: 's_w', name: 'w', harness: 'claude', cwd: dir, status: 'idle', createdAt: '', updatedAt: '', tmuxSession: 's_w', command: [], lastSeq: 0, transcriptPath: transcript };
    store.put(rec);
    fs.mkdirSync(path.dirname(transcript));
    hooks.startIngest(rec); // the file does not exist yet: its directory is watched meanwhile
    await new Promise((r) => setTimeout(r, 100));
    fs.writeFileSync(transcript, row('m1', 'first'));
    expect(await until(() => texts().includes('first') && texts(), 2000)).toEqual(['first']);
    fs.appendFileSync(transcript, row('m2', 'second'));
    expect(await until(() => texts().includes('second') && texts(), 2000)).toEqual(['first', 'second']);
    // Nothing is read once the session's instance is closed.
    await hooks.close('s_w');
    fs.appendFileSync(transcript, row('m3', 'third'));
    await new Promise((r) => setTimeout(r, 300));
    expect(texts()).toEqual(['first', 'second']);
  });

  it('PathWatches follows a replaced file and coalesces bursts', async () => {
    const file = path.join(dir, 'f.jsonl');
    fs.writeFileSync(file, 'a\n');
    let calls = 0;
    const w = new PathWatches(() => void calls++, undefined, 50);
    w.sync([file]);
    for (let i = 0; i < 20; i++) fs.appendFileSync(file, `${i}\n`);
    await until(() => calls > 0, 2000);
    await new Promise((r) => setTimeout(r, 150));
    expect(calls).toBe(1);
    fs.renameSync(file, `${file}.old`);
    fs.writeFileSync(file, 'new\n');
    await until(() => calls > 1, 2000);
    w.sync([file]); // the owner re-syncs after its pass: the new file gets a watch
    const before = calls;
    await new Promise((r) => setTimeout(r, 100));
    fs.appendFileSync(file, 'more\n');
    await until(() => calls > before, 2000);
    w.close();
  });
});
