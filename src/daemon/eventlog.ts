import fs from 'node:fs';
import type { NewEvent, OmniEvent } from '../core/events.js';

/**
 * A session's append-only NDJSON event log. One object per line, `seq` strictly increasing.
 * Reopening tolerates a torn last line (a crash mid-append): the partial line is cut off so the
 * next append starts on a clean line, and nothing before it is lost.
 */
export class EventLog {
  private fd: number;
  private seq: number;
  readonly tornBytes: number;

  private constructor(readonly file: string, readonly session: string, fd: number, lastSeq: number, tornBytes: number) {
    this.fd = fd;
    this.seq = lastSeq;
    this.tornBytes = tornBytes;
  }

  /** `onEvent` sees every complete event of the existing log, from the same single read. */
  static open(file: string, session: string, onEvent?: (ev: OmniEvent) => void): EventLog {
    const { lastSeq, goodBytes, totalBytes } = scan(file, onEvent);
    if (goodBytes < totalBytes) fs.truncateSync(file, goodBytes);
    const fd = fs.openSync(file, 'a', 0o600);
    return new EventLog(file, session, fd, lastSeq, totalBytes - goodBytes);
  }

  get lastSeq(): number {
    return this.seq;
  }

  append(ev: NewEvent, now: Date = new Date()): OmniEvent {
    const full = { seq: ++this.seq, ts: now.toISOString(), session: this.session, type: ev.type, data: ev.data } as OmniEvent;
    fs.writeSync(this.fd, JSON.stringify(full) + '\n');
    return full;
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}

/** Read every complete event with seq > since. Unparseable lines (a torn tail) are skipped. */
export function readEvents(file: string, since = 0): OmniEvent[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: OmniEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const ev = JSON.parse(line) as OmniEvent;
      if (ev.seq > since) out.push(ev);
    } catch {
      /* torn line */
    }
  }
  return out;
}

function scan(file: string, onEvent?: (ev: OmniEvent) => void): { lastSeq: number; goodBytes: number; totalBytes: number } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lastSeq: 0, goodBytes: 0, totalBytes: 0 };
    throw err;
  }
  let lastSeq = 0;
  let start = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    if (nl === -1) break; // the last line has no newline: the append was cut short
    try {
      const ev = JSON.parse(buf.subarray(start, nl).toString('utf8')) as OmniEvent;
      if (typeof ev.seq === 'number') {
        lastSeq = Math.max(lastSeq, ev.seq);
        onEvent?.(ev);
      }
    } catch {
      /* a corrupt complete line is skipped by readers; later lines still count */
    }
    start = nl + 1;
  }
  return { lastSeq, goodBytes: start, totalBytes: buf.length };
}
