import fs from 'node:fs';
import type { NewEvent, OmniEvent } from '../core/events.js';
import { JsonlCursor } from '../core/jsonl.js';
import { START, scanLogSync, type LogPosition } from './log-scan.js';

/**
 * A session's append-only NDJSON event log. One object per line, `seq` strictly increasing.
 * Reopening tolerates a torn last line (a crash mid-append): the partial line is cut off so the
 * next append starts on a clean line, and nothing before it is lost.
 */
export class EventLog {
  private fd: number;
  private seq: number;
  private size: number;
  private lastLineStart: number;
  readonly tornBytes: number;
  /** Complete lines that are not events (skipped, left in the file): where they start and how long. */
  readonly skipped: ReadonlyArray<{ offset: number; bytes: number }>;

  private constructor(readonly file: string, readonly session: string, fd: number, at: LogPosition, tornBytes: number, skipped: EventLog['skipped']) {
    this.fd = fd;
    this.skipped = skipped;
    this.seq = at.lastSeq;
    this.size = at.offset;
    this.lastLineStart = at.lastLineStart;
    this.tornBytes = tornBytes;
  }

  /**
   * Open for appending, reading only what lies past `from` (what a valid summary already
   * covers is not read again). `onCostEvent` sees every complete `usage` and `cost.reported`
   * event read, from the same single pass; other lines are not decoded (src/daemon/log-scan.ts).
   */
  static open(file: string, session: string, onCostEvent?: (ev: OmniEvent) => void, from: LogPosition = START): EventLog {
    const skipped: Array<{ offset: number; bytes: number }> = [];
    const { position, pendingBytes } = scanLogSync(file, from, (ev) => onCostEvent?.(ev), (offset, bytes) => skipped.push({ offset, bytes }));
    // What no newline ends was cut short mid-append.
    if (pendingBytes) fs.truncateSync(file, position.offset);
    const fd = fs.openSync(file, 'a', 0o600);
    return new EventLog(file, session, fd, position, pendingBytes, skipped);
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** How far the log is written (a summary records it). */
  get position(): LogPosition {
    return { offset: this.size, lastSeq: this.seq, lastLineStart: this.lastLineStart };
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
    this.seq = full.seq;
    this.lastLineStart = this.size;
    this.size += buf.length;
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
