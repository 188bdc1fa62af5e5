import fs from 'node:fs';

/**
 * A cursor over an append-only JSONL file (a harness transcript, omni's event log): each
 * `read` hands over the whole lines appended since the last one, in order.
 *
 * - Lines are cut on `\n` bytes and decoded one by one, so a multi-byte character split across
 *   two reads (or two appends) arrives whole.
 * - The bytes after the last `\n` are a line still being written: held back until it ends.
 * - A complete line that is not JSON (a torn write, a crash mid-append before a newer line) is
 *   reported to `onTorn` and skipped; the lines after it still count. Blank lines are skipped.
 * - A file shorter than what was read was replaced (a /clear, a rewrite): read from the start.
 */
export class JsonlCursor {
  /** Bytes of the file consumed: through the newline of the last complete line. */
  private pos = 0;
  /** The bytes after `pos` read so far (an unfinished line). */
  private partial: Buffer = Buffer.alloc(0);

  constructor(
    readonly file: string,
    /** How much one read call asks the OS for. */
    private readonly chunkBytes = 1 << 20,
  ) {}

  /** Where the next complete line starts: everything before it has been handed over. */
  get offset(): number {
    return this.pos;
  }

  /** Bytes read after `offset` that no newline ends yet (a line being written, or a torn tail). */
  get pendingBytes(): number {
    return this.partial.length;
  }

  /** From the start of the file again. */
  reset(): void {
    this.pos = 0;
    this.partial = Buffer.alloc(0);
  }

  /**
   * Read what was appended since the last call. `onRow` gets each complete line's JSON value;
   * `onTorn` each complete line that does not parse, with its byte offset. A missing file reads
   * nothing (false); other errors opening or reading it are thrown.
   */
  read<T = unknown>(onRow: (row: T) => void, onTorn?: (line: string, offset: number) => void): boolean {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    try {
      const size = fs.fstatSync(fd).size;
      let at = this.pos + this.partial.length;
      if (size < at) {
        this.reset();
        at = 0;
      }
      // Lines left over by a callback that threw last time.
      if (this.partial.includes(0x0a)) this.take(Buffer.alloc(0), onRow, onTorn);
      while (at < size) {
        const buf = Buffer.alloc(Math.min(size - at, this.chunkBytes));
        const n = fs.readSync(fd, buf, 0, buf.length, at);
        if (n <= 0) break;
        at += n;
        this.take(n === buf.length ? buf : buf.subarray(0, n), onRow, onTorn);
      }
    } finally {
      fs.closeSync(fd);
    }
    return true;
  }

  private take<T>(chunk: Buffer, onRow: (row: T) => void, onTorn?: (line: string, offset: number) => void): void {
    const data = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    const base = this.pos;
    let start = 0;
    try {
      for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
        const line = data.toString('utf8', start, nl);
        const offset = base + start;
        start = nl + 1;
        this.pos = base + start; // before the callbacks: one that throws loses only its own line
        if (!line.trim()) continue;
        let row: T;
        try {
          row = JSON.parse(line) as T;
        } catch {
          onTorn?.(line, offset);
          continue;
        }
        onRow(row);
      }
    } finally {
      // A copy, so the chunk (up to chunkBytes) is not kept alive by a short unfinished line.
      this.partial = start === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(start));
    }
  }
}
