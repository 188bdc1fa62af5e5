import fs from 'node:fs';
import type { OmniEvent } from '../core/events.js';

/** How far a log has been read: through the newline of its last complete line. */
export interface LogPosition {
  /** Bytes covered (the next line starts here). */
  offset: number;
  lastSeq: number;
  /** Where the line holding `lastSeq` starts (a summary's cheap check reads it back). */
  lastLineStart: number;
}

export const START: LogPosition = { offset: 0, lastSeq: 0, lastLineStart: 0 };

const NL = 0x0a;
const CLOSE = 0x7d; // '}'
const SEQ_PREFIX = Buffer.from('{"seq":');
const TYPE_KEY = Buffer.from('"type":"');
const COST_TYPES = [Buffer.from('usage"'), Buffer.from('cost.reported"')];

/**
 * Reads an event log's lines from a position without decoding them all: the log's own writer
 * (EventLog.append) starts every line with `{"seq":N,` and names the type before the data, so
 * the seq and the type come from each line's first bytes, and only the cost events (`usage`,
 * `cost.reported`) are decoded and parsed. A complete line that is not an event (a torn write
 * in the middle) is skipped, as every reader skips it; a last line without its newline is held
 * back (`pendingBytes`).
 */
export class LineScanner {
  private pos: LogPosition;
  private partial: Buffer = Buffer.alloc(0);

  constructor(
    from: LogPosition,
    private readonly onCostEvent: (ev: OmniEvent) => void,
    /** Told of each complete line that is not an event (a torn write in the middle). */
    private readonly onBadLine?: (offset: number, bytes: number) => void,
  ) {
    this.pos = { ...from };
  }

  get position(): LogPosition {
    return { ...this.pos };
  }

  get pendingBytes(): number {
    return this.partial.length;
  }

  feed(chunk: Buffer): void {
    const data = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    const base = this.pos.offset;
    let start = 0;
    for (let nl = data.indexOf(NL); nl !== -1; nl = data.indexOf(NL, start)) {
      this.line(data, start, nl, base + start);
      start = nl + 1;
      this.pos.offset = base + start;
    }
    // A copy, so a large chunk is not kept alive by a short unfinished line.
    this.partial = start === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(start));
  }

  private line(data: Buffer, start: number, end: number, at: number): void {
    if (end - start < 2) return; // blank
    let seq: number | undefined;
    if (data[end - 1] === CLOSE && data.compare(SEQ_PREFIX, 0, SEQ_PREFIX.length, start, start + SEQ_PREFIX.length) === 0) {
      let i = start + SEQ_PREFIX.length;
      let n = 0;
      for (; i < end && data[i]! >= 0x30 && data[i]! <= 0x39; i++) n = n * 10 + (data[i]! - 0x30);
      if (i > start + SEQ_PREFIX.length && data[i] === 0x2c) seq = n;
    }
    const t = data.indexOf(TYPE_KEY, start);
    const isCost = t !== -1 && t < end && COST_TYPES.some((c) => end - t - TYPE_KEY.length >= c.length && data.compare(c, 0, c.length, t + TYPE_KEY.length, t + TYPE_KEY.length + c.length) === 0);
    if (isCost || seq === undefined) {
      // Decoded only when it counts (a cost event) or its first bytes are not the writer's own.
      let ev: OmniEvent | undefined;
      try {
        ev = JSON.parse(data.toString('utf8', start, end)) as OmniEvent;
      } catch {
        this.onBadLine?.(at, end - start);
        return; // a torn line: skipped
      }
      if (typeof ev?.seq !== 'number') {
        this.onBadLine?.(at, end - start);
        return;
      }
      seq = ev.seq;
      if (ev.type === 'usage' || ev.type === 'cost.reported') {
        try {
          this.onCostEvent(ev);
        } catch {
          /* one event a fold cannot take does not keep the log from opening */
        }
      }
    }
    if (seq >= this.pos.lastSeq) {
      this.pos.lastSeq = seq;
      this.pos.lastLineStart = at;
    }
  }
}

export interface ScanResult {
  position: LogPosition;
  /** Bytes after `position.offset` that no newline ends (a torn tail, or an append in progress). */
  pendingBytes: number;
  /** The file's inode (its identity for a summary), 0 when there is no file. */
  ino: number;
}

const CHUNK = 1 << 20;

/** Scan a log from `from` to its end, synchronously (a tail, or a rebuild that cannot wait). */
export function scanLogSync(file: string, from: LogPosition, onCostEvent: (ev: OmniEvent) => void, onBadLine?: (offset: number, bytes: number) => void): ScanResult {
  const scanner = new LineScanner(from, onCostEvent, onBadLine);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { position: { ...from }, pendingBytes: 0, ino: 0 };
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    const buf = Buffer.alloc(Math.min(CHUNK, Math.max(1, st.size - from.offset)));
    for (let at = from.offset; at < st.size; ) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, st.size - at), at);
      if (n <= 0) break;
      at += n;
      scanner.feed(buf.subarray(0, n));
    }
    return { position: scanner.position, pendingBytes: scanner.pendingBytes, ino: st.ino };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The same scan off the event loop's critical path: reads in small chunks and yields between
 * them (setImmediate), so no turn holds the loop for more than a few ms (repricing, docs/COST.md).
 */
export async function scanLogAsync(file: string, from: LogPosition, onCostEvent: (ev: OmniEvent) => void, onBadLine?: (offset: number, bytes: number) => void, chunkBytes = 256 << 10): Promise<ScanResult> {
  const scanner = new LineScanner(from, onCostEvent, onBadLine);
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { position: { ...from }, pendingBytes: 0, ino: 0 };
    throw err;
  }
  try {
    const st = await fh.stat();
    const buf = Buffer.alloc(chunkBytes);
    for (let at = from.offset; ; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, at);
      if (bytesRead <= 0) break;
      at += bytesRead;
      scanner.feed(buf.subarray(0, bytesRead));
      await new Promise<void>((r) => setImmediate(r));
    }
    return { position: scanner.position, pendingBytes: scanner.pendingBytes, ino: st.ino };
  } finally {
    await fh.close();
  }
}
