import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventLog, readEvents } from '../../src/daemon/eventlog.js';

/**
 * The append path when the disk fills mid-line (the ENOSPC fault test hits this on a real
 * tmpfs; here the short write is forced, so the case cannot depend on tmpfs page slack): the
 * partial line is cut back off, the seq is not used up, and the next append is a clean line.
 */
describe('EventLog.append on a short or failed write', () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const open = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omt-short-'));
    dirs.push(dir);
    return EventLog.open(path.join(dir, 'events.ndjson'), 's1');
  };

  it('a write that stops part-way is cut back and thrown; the next append follows on a whole line', () => {
    const log = open();
    log.append({ type: 'message.user', data: { text: 'one' } });
    const real = fs.writeSync;
    let calls = 0;
    vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buf: Buffer, off?: number) => {
      calls++;
      if (calls === 1) return real(fd, buf, off ?? 0, 10); // ten bytes land, then the disk is full
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync);
    expect(() => log.append({ type: 'message.user', data: { text: 'two' } })).toThrow(/ENOSPC/);
    vi.restoreAllMocks();
    expect(log.lastSeq).toBe(1);
    const three = log.append({ type: 'message.user', data: { text: 'three' } });
    expect(three.seq).toBe(2);
    const text = fs.readFileSync(log.file, 'utf8');
    expect(text.split('\n').filter(Boolean).map((l) => JSON.parse(l).data.text)).toEqual(['one', 'three']);
    expect(readEvents(log.file).map((e) => e.seq)).toEqual([1, 2]);
    log.close();
  });

  it('a write that returns 0 bytes is a failure too, not a loop', () => {
    const log = open();
    vi.spyOn(fs, 'writeSync').mockReturnValue(0);
    expect(() => log.append({ type: 'message.user', data: { text: 'x' } })).toThrow(/no space left/);
    vi.restoreAllMocks();
    expect(log.append({ type: 'message.user', data: { text: 'y' } }).seq).toBe(1);
    expect(fs.readFileSync(log.file, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    log.close();
  });
});
