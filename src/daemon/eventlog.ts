import fs from 'node:fs';
import type { NewEvent, OmniEvent } from '../core/events.js';
import { JsonlCursor } from '../core/jsonl.js';

/**
 * A session's append-only NDJSON event log. One object per line, `seq` strictly increasing.
 * Reopening tolerates a torn last line (a crash mid-append): the partial line is cut off so the
 * next append starts on a clean line, and nothing before it is lost.
 */
export class EventLog {
  private fd: number;
  private seq: number;
  /** Bytes of complete lines: where a failed append is cut back to. */
  private size: number;
  readonly tornBytes: number;
  /** Complete lines that are not JSON (skipped, kept in the file): where they start and how long. */
  skipped: Array<{ offset: number; bytes: number }> = [];

  private constructor(readonly file: string, readonly session: string, fd: number, lastSeq: number, tornBytes: number) {
    this.fd = fd;
    this.seq = lastSeq;
    this.tornBytes = tornBytes;
    this.size = fs.fstatSync(fd).size;
  }

  /** `onEvent` sees every complete event of the existing log, from the same single read. */
  static open(file: string, session: string, onEvent?: (ev: OmniEvent) => void): EventLog {
    const { lastSeq, goodBytes, totalBytes, skipped } = scan(file, onEvent);
    if (goodBytes < totalBytes) fs.truncateSync(file, goodBytes);
    const fd = fs.openSync(file, 'a', 0o600);
    const log = new EventLog(file, session, fd, lastSeq, totalBytes - goodBytes);
    log.skipped = skipped;
    return log;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /**
   * All or nothing: a write that fails part-way (ENOSPC leaves a short write) is cut back off
   * and thrown, so the log keeps whole lines and the seq is not used up.
   */
  append(ev: NewEvent, now: Date = new Date()): OmniEvent {
    const full = { seq: this.seq + 1, ts: now.toISOString(), session: this.session, type: ev.type, data: ev.data } as OmniEvent;
    const buf = Buffer.from(JSON.stringify(full) + '\n');
    try {
      for (let off = 0; off < buf.length; ) {
        const n = fs.writeSync(this.fd, buf, off);
        if (n <= 0) throw Object.assign(new Error(`ENOSPC: no space left on device, write ${this.file}`), { code: 'ENOSPC' });
        off += n;
      }
    } catch (err) {
      try {
        fs.ftruncateSync(this.fd, this.size);
      } catch {
        /* the next open cuts a torn tail too */
      }
      throw err;
    }
    this.size += buf.length;
    this.seq = full.seq;
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

/**
 * Read every complete event with seq > since. Unparseable lines are skipped, and so is a last
 * line without its newline (an append in progress, or the torn tail that reopening cuts off).
 */
export function readEvents(file: string, since = 0): OmniEvent[] {
  const out: OmniEvent[] = [];
  new JsonlCursor(file).read<OmniEvent | null>((ev) => {
    if (ev != null && ev.seq > since) out.push(ev);
  });
  return out;
}

function scan(file: string, onEvent?: (ev: OmniEvent) => void): { lastSeq: number; goodBytes: number; totalBytes: number; skipped: EventLog['skipped'] } {
  const cursor = new JsonlCursor(file);
  let lastSeq = 0;
  const skipped: EventLog['skipped'] = [];
  // A corrupt complete line is skipped (readers skip it too); later lines still count.
  cursor.read<OmniEvent | null>((ev) => {
    if (typeof ev?.seq !== 'number') return;
    lastSeq = Math.max(lastSeq, ev.seq);
    try {
      onEvent?.(ev);
    } catch {
      /* one event a replay cannot take does not keep the log from opening */
    }
  }, (line, offset) => skipped.push({ offset, bytes: Buffer.byteLength(line) }));
  // What no newline ends was cut short mid-append.
  return { lastSeq, goodBytes: cursor.offset, totalBytes: cursor.offset + cursor.pendingBytes, skipped };
}
