import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog, readEvents } from '../../src/daemon/eventlog.js';

describe('EventLog', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-log-'));
    file = path.join(dir, 'events.ndjson');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('appends numbered NDJSON events and continues numbering after reopening', () => {
    const a = EventLog.open(file, 's_1');
    a.append({ type: 'message.user', data: { text: 'one' } }, new Date('2026-01-01T00:00:00Z'));
    a.append({ type: 'message.user', data: { text: 'two' } });
    a.close();
    const b = EventLog.open(file, 's_1');
    expect(b.lastSeq).toBe(2);
    const ev = b.append({ type: 'session.exited', data: { code: 0 } });
    b.close();
    expect(ev.seq).toBe(3);
    const all = readEvents(file);
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(all[0]).toMatchObject({ session: 's_1', type: 'message.user', ts: '2026-01-01T00:00:00.000Z', data: { text: 'one' } });
    expect(readEvents(file, 2).map((e) => e.seq)).toEqual([3]);
  });

  it('cuts a torn last line on reopen and loses nothing before it', () => {
    const a = EventLog.open(file, 's_1');
    a.append({ type: 'message.user', data: { text: 'kept' } });
    a.close();
    fs.appendFileSync(file, '{"seq":2,"ts":"2026-01-0');
    expect(readEvents(file).map((e) => e.seq)).toEqual([1]);
    const b = EventLog.open(file, 's_1');
    expect(b.tornBytes).toBe('{"seq":2,"ts":"2026-01-0'.length);
    b.append({ type: 'message.user', data: { text: 'after' } });
    b.close();
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(readEvents(file).map((e) => [e.seq, (e.data as { text: string }).text])).toEqual([
      [1, 'kept'],
      [2, 'after'],
    ]);
  });

  it('skips a corrupt line in the middle without dropping later events', () => {
    fs.writeFileSync(file, '{"seq":1,"type":"a"}\nnot json\n{"seq":2,"type":"b"}\n');
    const log = EventLog.open(file, 's_1');
    expect(log.lastSeq).toBe(2);
    expect(log.tornBytes).toBe(0);
    log.close();
    expect(readEvents(file).map((e) => e.seq)).toEqual([1, 2]);
  });

  it('creates the log file private to the user', () => {
    EventLog.open(file, 's_1').close();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });
});
