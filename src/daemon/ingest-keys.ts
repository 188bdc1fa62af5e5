import fs from 'node:fs';

/**
 * The keys of harness log records already turned into events, one per line, so a restarted
 * daemon can re-read a transcript from the start without repeating or losing anything.
 */
export class IngestKeys {
  private constructor(
    private readonly file: string,
    private fd: number | undefined,
    private readonly keys: Set<string>,
  ) {}

  static open(file: string): IngestKeys {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      /* new */
    }
    const keys = new Set(text.split('\n').filter(Boolean));
    return new IngestKeys(file, fs.openSync(file, 'a', 0o600), keys);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    // Closed (the session ended) but still held by a last ingestion pass: append by name, never
    // through an fd number the process may have reused.
    if (this.fd === undefined) fs.appendFileSync(this.file, key + '\n', { mode: 0o600 });
    else fs.writeSync(this.fd, key + '\n');
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* closed */
    }
    this.fd = undefined;
  }
}
