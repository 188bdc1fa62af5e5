import fs from 'node:fs';

/**
 * Asynchronous, seeking reads of a session's event log (src/daemon/eventlog.ts writes it): the
 * daemon answers `omni events` from here without holding its event loop, and without reading
 * more of a large log than the answer needs.
 *
 * The log is NDJSON with `seq` strictly increasing line by line, so the first event after
 * `since` is found by a binary search over byte offsets, and the last N by reading backwards
 * from the end. A line that does not parse (a torn write) is skipped, and so are the bytes after
 * the last newline (an append in progress, or a torn tail).
 */

/** How much one read asks the OS for: small enough that handling one block takes well under a ms or two. */
const BLOCK = 64 * 1024;

export interface EventRange {
  /** Only events with seq > since. */
  since?: number;
  /** At most the last N events (of those after `since`). */
  last?: number;
}

/** One complete line of the log: its text exactly as stored, and its event's seq. */
export interface LogLine {
  text: string;
  seq: number;
  type: string;
}

/**
 * The events of `range` from the first `size` bytes of `file`, in order, as batches of lines
 * (one per block read). A missing file reads as empty. `size` is where the caller took its
 * snapshot of the log (anything after it comes from the live bus).
 */
export async function* readEventLines(file: string, range: EventRange = {}, size?: number): AsyncGenerator<LogLine[]> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const total = size ?? (await fh.stat()).size;
    const end = await lastNewlineEnd(fh, total);
    const since = range.since ?? 0;
    let start = since > 0 ? await firstAfter(fh, end, since) : 0;
    if (range.last !== undefined) start = Math.max(start, await lastN(fh, end, range.last));
    for await (const batch of forward(fh, start, end)) {
      const out = batch.filter((l) => l.seq > since);
      if (out.length) yield out;
    }
  } finally {
    await fh.close();
  }
}

/** The parsed line, or null for a blank or unparseable one. */
export function parseLine(text: string): LogLine | null {
  if (!text.trim()) return null;
  try {
    const ev = JSON.parse(text) as { seq?: unknown; type?: unknown };
    return typeof ev?.seq === 'number' ? { text, seq: ev.seq, type: String(ev.type) } : null;
  } catch {
    return null;
  }
}

/** Complete lines from `start` (a line start) to `end` (just after a newline), a block at a time. */
async function* forward(fh: fs.promises.FileHandle, start: number, end: number): AsyncGenerator<LogLine[]> {
  let at = start;
  let carry: Buffer = Buffer.alloc(0);
  while (at < end) {
    const buf = Buffer.allocUnsafe(Math.min(BLOCK, end - at));
    const { bytesRead } = await fh.read(buf, 0, buf.length, at);
    if (bytesRead <= 0) break;
    at += bytesRead;
    const data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
    const lines: LogLine[] = [];
    let from = 0;
    // Lines are cut on newline bytes before decoding, so a character split across blocks arrives whole.
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, from)) {
      const line = parseLine(data.toString('utf8', from, nl));
      if (line) lines.push(line);
      from = nl + 1;
    }
    carry = Buffer.from(data.subarray(from));
    if (lines.length) yield lines;
  }
}

/** Just after the last newline at or before `size`: what follows it is not a complete line. */
async function lastNewlineEnd(fh: fs.promises.FileHandle, size: number): Promise<number> {
  let pos = size;
  while (pos > 0) {
    const from = Math.max(0, pos - BLOCK);
    const buf = await readAt(fh, from, pos - from);
    const nl = buf.lastIndexOf(0x0a);
    if (nl !== -1) return from + nl + 1;
    pos = from;
  }
  return 0;
}

/** The offset of the last `n` valid lines before `end` (0 if there are fewer), reading backwards a block at a time. */
async function lastN(fh: fs.promises.FileHandle, end: number, n: number): Promise<number> {
  if (n <= 0) return end;
  let found = 0;
  // `data` holds the bytes from `from` up to the earliest line counted so far: empty, or ending in a newline.
  let from = end;
  let data: Buffer = Buffer.alloc(0);
  for (;;) {
    if (data.length > 0) {
      // (lastIndexOf takes a negative offset as counted from the end: guard a lone newline.)
      const nl = data.length >= 2 ? data.lastIndexOf(0x0a, data.length - 2) : -1;
      if (nl !== -1 || from === 0) {
        const start = nl + 1;
        if (parseLine(data.toString('utf8', start, data.length - 1)) && ++found === n) return from + start;
        data = data.subarray(0, start);
        continue;
      }
    } else if (from === 0) return 0;
    // The line's start is in an earlier block.
    const prev = Math.max(0, from - BLOCK);
    data = Buffer.concat([await readAt(fh, prev, from - prev), data]);
    from = prev;
  }
}

/**
 * The offset of the first line with seq > since, by binary search over byte offsets (lines are
 * in seq order); `end` if there is none. The bounds keep: every line starting before `lo` has
 * seq <= since, every valid line starting at or after `hi` has seq > since.
 */
async function firstAfter(fh: fs.promises.FileHandle, end: number, since: number): Promise<number> {
  let lo = 0;
  let hi = end;
  while (hi - lo > BLOCK) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const probe = await lineAtOrAfter(fh, mid, hi);
    if (!probe) hi = mid; // no valid line starts in [mid, hi)
    else if (probe.seq > since) hi = probe.start;
    else lo = probe.end;
  }
  // A short stretch: the forward read's seq filter finds the exact line.
  return lo;
}

/** The first valid line starting in [at, hi): its start, end (after its newline) and seq. */
async function lineAtOrAfter(fh: fs.promises.FileHandle, at: number, hi: number): Promise<{ start: number; end: number; seq: number } | null> {
  // A line starts at `at` only if the byte before it is a newline.
  let start = at;
  if (at > 0) {
    const nl = await findNewline(fh, at - 1, hi);
    if (nl === -1) return null;
    start = nl + 1;
  }
  while (start < hi) {
    const nl = await findNewline(fh, start, Number.MAX_SAFE_INTEGER);
    if (nl === -1) return null;
    const line = parseLine((await readAt(fh, start, nl - start)).toString('utf8'));
    if (line) return { start, end: nl + 1, seq: line.seq };
    start = nl + 1;
  }
  return null;
}

/** The offset of the first newline at or after `from` (before `limit`), or -1. */
async function findNewline(fh: fs.promises.FileHandle, from: number, limit: number): Promise<number> {
  let at = from;
  while (at < limit) {
    const buf = await readAt(fh, at, Math.min(BLOCK, limit - at));
    if (buf.length === 0) return -1;
    const nl = buf.indexOf(0x0a);
    if (nl !== -1) return at + nl;
    at += buf.length;
  }
  return -1;
}

async function readAt(fh: fs.promises.FileHandle, at: number, len: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, at + got);
    if (bytesRead <= 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}
