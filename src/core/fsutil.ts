import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** mkdir -p with a mode; also tightens the mode of an existing dir (umask may have widened it). */
export function ensurePrivateDir(dir: string, mode = 0o700): void {
  fs.mkdirSync(dir, { recursive: true, mode });
  fs.chmodSync(dir, mode);
}

/** Write a file atomically (tmp + rename) so a crash never leaves half a file behind. */
export function writeFileAtomic(file: string, data: string, mode = 0o600): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, data, { mode });
    fs.renameSync(tmp, file);
  } catch (err) {
    // The old file stays whole; a half-written temp file (ENOSPC) must not hold on to the space.
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * The same off the event loop (fs.promises): for periodic writes that must not stall the
 * daemon when the disk is slow to flush. The temp name is unique per call, so overlapping
 * writes of one file never share a temp file; the last rename wins.
 */
export async function writeFileAtomicAsync(file: string, data: string, mode = 0o600): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomUUID()}.tmp`);
  try {
    await fs.promises.writeFile(tmp, data, { mode });
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

/** A file's text, or undefined when it does not exist (other errors are thrown). */
export function readTextFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function readJsonFile<T>(file: string): T | undefined {
  const text = readTextFile(file);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

/** POSIX single-quote a word for sh. */
export function shQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_\/.,:=+@%-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The first executable regular file `name` in `pathVar` (a PATH value), or undefined. Relative
 * entries are skipped: in the daemon they would resolve against its own cwd, not the caller's.
 */
export function findOnPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(':')) {
    if (!dir || !path.isAbsolute(dir)) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}
