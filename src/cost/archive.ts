import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '../core/fsutil.js';
import type { UsageData } from '../core/events.js';
import { costEventsOf, type CostBucketsInput, type CostInput } from './aggregate.js';
import { CostFold } from './summary.js';

/** Who a kept cost history belongs to: enough to label it in `omni cost --by session`. */
export interface ArchivedSession {
  id: string;
  name: string;
  harness: string;
  parent?: string;
  createdAt: string;
  exitedAt?: string;
  removedAt: string;
}

/**
 * The cost history of removed sessions (`omni rm`, `omni prune`): `state/cost-archive/<id>.ndjson`,
 * a header line `{"session": {…}}` then the session's `usage` and `cost.reported` events as they
 * were logged. Tokens are kept, not just dollars, so repricing still applies to them; the rest of
 * the log (prompts, tool calls, output) is gone with the session.
 */
export class CostArchive {
  /** Each kept history folded once per set of prices (the files never change once written). */
  private folds = new Map<string, { stamp: string; fold: CostFold }>();

  constructor(readonly dir: string) {}

  /** Keep the cost events of one session's log text (nothing is written when it has none). */
  keep(session: ArchivedSession, logText: string): boolean {
    const lines = logText.split('\n').filter((l) => (l.includes('"type":"usage"') || l.includes('"type":"cost.reported"')) && isJson(l));
    if (!lines.length) return false;
    ensurePrivateDir(this.dir);
    writeFileAtomic(this.file(session.id), [JSON.stringify({ session }), ...lines].join('\n') + '\n');
    return true;
  }

  file(id: string): string {
    return path.join(this.dir, `${id}.ndjson`);
  }

  /** Every kept history: its session and its log file (the ledger's seed reads the file). */
  list(): Array<{ session: ArchivedSession; file: string }> {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => n.endsWith('.ndjson'));
    } catch {
      return [];
    }
    const out: Array<{ session: ArchivedSession; file: string }> = [];
    for (const n of names.sort()) {
      const file = path.join(this.dir, n);
      const session = readHeader(file);
      if (session) out.push({ session, file });
    }
    return out;
  }

  /**
   * Each kept history folded with `price` (the current book): read once per file and set of
   * prices (`fingerprint`), not on every call.
   */
  summaries(fingerprint: string, price: (harness: string, usage: UsageData, at: Date) => UsageData): Array<{ session: ArchivedSession; fold: CostFold }> {
    const out: Array<{ session: ArchivedSession; fold: CostFold }> = [];
    const seen = new Set<string>();
    for (const { session, file } of this.list()) {
      seen.add(file);
      let st: fs.Stats;
      try {
        st = fs.statSync(file);
      } catch {
        continue;
      }
      const stamp = `${fingerprint}|${st.ino}|${st.size}|${st.mtimeMs}`;
      let c = this.folds.get(file);
      if (c?.stamp !== stamp) {
        const fold = CostFold.empty(fingerprint);
        for (const ev of costEventsOf(readText(file))) fold.add(ev.type === 'usage' ? { ...ev, data: price(session.harness, ev.data as UsageData, new Date(ev.ts)) } : ev);
        c = { stamp, fold };
        this.folds.set(file, c);
      }
      out.push({ session, fold: c.fold });
    }
    for (const f of this.folds.keys()) if (!seen.has(f)) this.folds.delete(f);
    return out;
  }

  /** The kept histories as `omni cost` inputs, from their folds. */
  bucketInputs(fingerprint: string, price: (harness: string, usage: UsageData, at: Date) => UsageData): CostBucketsInput[] {
    return this.summaries(fingerprint, price).map(({ session: s, fold }) => ({
      session: { id: s.id, name: s.name, harness: s.harness, ...(s.parent ? { parent: s.parent } : {}) },
      buckets: fold.bucketList,
    }));
  }

  /** The kept histories as `omni cost` inputs. */
  inputs(): CostInput[] {
    return this.list().map(({ session: s, file }) => ({
      session: { id: s.id, name: s.name, harness: s.harness, ...(s.parent ? { parent: s.parent } : {}) },
      events: costEventsOf(readText(file)),
    }));
  }
}

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false; // a torn line
  }
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function readHeader(file: string): ArchivedSession | undefined {
  // The header is the first line: read its first few KiB, not the whole history.
  let first = '';
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(16 << 10);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      first = buf.toString('utf8', 0, n).split('\n', 1)[0] ?? '';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  try {
    const s = (JSON.parse(first) as { session?: ArchivedSession }).session;
    return s && typeof s.id === 'string' && typeof s.harness === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}
