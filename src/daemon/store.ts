import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, readJsonFile, writeFileAtomic } from '../core/fsutil.js';
import type { SessionRecord } from '../core/session.js';

interface IndexFile {
  version: 1;
  sessions: SessionRecord[];
}

/**
 * The session index (`state/sessions.json`), rewritten atomically on every change, plus one
 * private directory per session holding its event log and generated harness files.
 */
export class SessionStore {
  private sessions = new Map<string, SessionRecord>();
  private pending: NodeJS.Timeout | undefined;

  constructor(
    readonly indexFile: string,
    readonly sessionsDir: string,
  ) {}

  load(): SessionRecord[] {
    ensurePrivateDir(path.dirname(this.indexFile));
    ensurePrivateDir(this.sessionsDir);
    let index: IndexFile | undefined;
    try {
      index = readJsonFile<IndexFile>(this.indexFile);
    } catch {
      // A corrupt index is rebuilt from the per-session meta files below.
      index = undefined;
    }
    for (const rec of index?.sessions ?? []) this.sessions.set(rec.id, rec);
    // Each session dir keeps a copy of its record, so an index lost mid-write loses nothing.
    for (const id of safeReaddir(this.sessionsDir)) {
      if (this.sessions.has(id)) continue;
      try {
        const rec = readJsonFile<SessionRecord>(path.join(this.sessionsDir, id, 'session.json'));
        if (rec?.id === id) this.sessions.set(id, rec);
      } catch {
        /* unreadable meta: skip */
      }
    }
    return [...this.sessions.values()];
  }

  sessionDir(id: string): string {
    return path.join(this.sessionsDir, id);
  }

  eventsFile(id: string): string {
    return path.join(this.sessionDir(id), 'events.ndjson');
  }

  get(id: string): SessionRecord | undefined {
    return this.sessions.get(id);
  }

  all(): SessionRecord[] {
    return [...this.sessions.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  put(rec: SessionRecord): void {
    this.sessions.set(rec.id, rec);
    ensurePrivateDir(this.sessionDir(rec.id));
    writeFileAtomic(path.join(this.sessionDir(rec.id), 'session.json'), JSON.stringify(rec, null, 2) + '\n');
    this.writeIndex();
  }

  /** Forget a session: its record and its directory (event log, generated files) are deleted. */
  remove(id: string): void {
    this.sessions.delete(id);
    fs.rmSync(this.sessionDir(id), { recursive: true, force: true });
    this.writeIndex();
  }

  /** Frequent small updates (lastSeq) are coalesced; flush() forces the write. */
  touch(rec: SessionRecord): void {
    this.sessions.set(rec.id, rec);
    this.writeSoon(200);
  }

  private writeSoon(ms: number): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      try {
        this.writeIndex();
      } catch {
        // A full disk (the old index stays whole): try again until it takes, never crash a timer.
        this.writeSoon(1000);
      }
    }, ms);
    this.pending.unref();
  }

  flush(): void {
    if (this.pending) {
      clearTimeout(this.pending);
      this.pending = undefined;
    }
    this.writeIndex();
  }

  private writeIndex(): void {
    const body: IndexFile = { version: 1, sessions: this.all() };
    writeFileAtomic(this.indexFile, JSON.stringify(body, null, 2) + '\n');
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
