import fs from 'node:fs';
import { writeFileAtomic, writeFileAtomicAsync } from '../core/fsutil.js';
import { parseSummaryState, type CostSummaryState } from '../cost/summary.js';
import type { LogPosition } from './log-scan.js';

/**
 * A session's summary on disk (`state/sessions/<id>/summary.json`, docs/ARCHITECTURE.md): its
 * cost fold (src/cost/summary.ts) and the prefix of the event log it covers. The log stays the
 * truth: a summary is used only when the log still holds that prefix, checked cheaply (below),
 * and only the log past its offset is read; anything else and the session is rebuilt from its
 * log. Written coalesced (SessionLog), so after a crash it is an older, still valid, prefix.
 */
export interface SummaryFile {
  state: CostSummaryState;
  log: LogPosition & {
    /** The log file's inode: a log replaced under the same name is another log. */
    ino: number;
  };
}

/** The summary, or why it cannot be used (missing, torn, another version). */
export function readSummary(file: string): SummaryFile | string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `unreadable: ${(err as Error).message}`;
  }
  let v: Partial<SummaryFile>;
  try {
    v = JSON.parse(text) as Partial<SummaryFile>;
  } catch {
    return 'torn (not JSON)';
  }
  const state = parseSummaryState(v?.state);
  if (typeof state === 'string') return state;
  const l = v.log;
  if (!l || ![l.offset, l.lastSeq, l.lastLineStart, l.ino].every((n) => Number.isSafeInteger(n) && n >= 0) || l.lastLineStart > l.offset) return 'no valid log position';
  return { state, log: l };
}

/**
 * Whether the log still holds the prefix the summary covers: same file (inode), at least
 * `offset` bytes, a newline just before `offset`, and the line ending there starting with the
 * summary's lastSeq (two small reads, however long the log). Returns why not, or undefined.
 */
export function checkSummary(s: SummaryFile, eventsFile: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(eventsFile, 'r');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? (s.log.offset === 0 ? undefined : 'the log is gone') : (err as Error).message;
  }
  try {
    const st = fs.fstatSync(fd);
    const { offset, lastSeq, lastLineStart, ino } = s.log;
    if (offset === 0) return undefined; // covers nothing: nothing to check
    if (st.ino !== ino) return 'the log was replaced (another inode)';
    if (st.size < offset) return `the log (${st.size} bytes) is shorter than the summary's offset (${offset})`;
    const expect = `{"seq":${lastSeq},`;
    if (offset - lastLineStart <= expect.length) return `the line at ${lastLineStart} is too short for seq ${lastSeq}`;
    const head = Buffer.alloc(expect.length + 1);
    const from = lastLineStart > 0 ? lastLineStart - 1 : 0;
    const n = fs.readSync(fd, head, 0, head.length, from);
    const got = head.subarray(0, n).toString('latin1');
    const line = lastLineStart > 0 ? got.slice(1, 1 + expect.length) : got.slice(0, expect.length);
    if (lastLineStart > 0 && got[0] !== '\n') return `no line starts at ${lastLineStart}`;
    if (line !== expect) return `the line at ${lastLineStart} is not seq ${lastSeq}`;
    const end = Buffer.alloc(1);
    fs.readSync(fd, end, 0, 1, offset - 1);
    if (end[0] !== 0x0a) return `no line ends at the summary's offset (${offset})`;
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Persist (atomically: a reader sees the old or the new summary, never half). Throws on failure (ENOSPC). */
export function writeSummary(file: string, s: SummaryFile): void {
  writeFileAtomic(file, JSON.stringify(s) + '\n');
}

/** The same without blocking the event loop (the periodic flush). */
export function writeSummaryAsync(file: string, s: SummaryFile): Promise<void> {
  return writeFileAtomicAsync(file, JSON.stringify(s) + '\n');
}
