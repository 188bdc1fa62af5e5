import fs from 'node:fs';

/**
 * The keys of harness log records already turned into events, one per line, so a restarted
 * daemon can re-read a transcript from the start without repeating or losing anything.
 */
export class IngestKeys {
  private constructor(
    private readonly fd: number,
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
    return new IngestKeys(fs.openSync(file, 'a', 0o600), keys);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    fs.writeSync(this.fd, key + '\n');
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* closed */
    }
  }
}
