import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '../core/fsutil.js';
import { costEventsOf, type CostInput } from './aggregate.js';

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
  const first = readText(file).split('\n', 1)[0] ?? '';
  try {
    const s = (JSON.parse(first) as { session?: ArchivedSession }).session;
    return s && typeof s.id === 'string' && typeof s.harness === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}
