import fs from 'node:fs';
import { readJsonFile, writeFileAtomic } from '../core/fsutil.js';
import type { ShareRole } from './share-roles.js';

/** One grant: a Unix user's role on one session (by id: a rename changes nothing). */
export interface Grant {
  session: string;
  user: string;
  uid: number;
  role: ShareRole;
  at: string;
}

interface ShareFile {
  grants: Grant[];
  /** user → the directories omni gave it search (x) on, to take back with the last grant. */
  dirs: Record<string, string[]>;
}

/** The grants, kept in the owner's OMNI_HOME ($stateDir/shares.json, 0600). */
export class ShareStore {
  private data: ShareFile = { grants: [], dirs: {} };

  constructor(private readonly file: string) {}

  load(): this {
    const d = readJsonFile<Partial<ShareFile>>(this.file);
    this.data = { grants: Array.isArray(d?.grants) ? d.grants : [], dirs: d?.dirs && typeof d.dirs === 'object' ? d.dirs : {} };
    return this;
  }

  all(): Grant[] {
    return [...this.data.grants];
  }

  forUid(uid: number): Grant[] {
    return this.data.grants.filter((g) => g.uid === uid);
  }

  get(session: string, uid: number): Grant | undefined {
    return this.data.grants.find((g) => g.session === session && g.uid === uid);
  }

  /** Adds or replaces the user's grant on the session; returns the previous one. */
  put(g: Grant): Grant | undefined {
    const prev = this.get(g.session, g.uid);
    this.data.grants = [...this.data.grants.filter((x) => !(x.session === g.session && x.uid === g.uid)), g];
    this.save();
    return prev;
  }

  remove(session: string, uid: number): Grant | undefined {
    const prev = this.get(session, uid);
    if (!prev) return undefined;
    this.data.grants = this.data.grants.filter((x) => x !== prev);
    this.save();
    return prev;
  }

  dirs(user: string): string[] {
    return this.data.dirs[user] ?? [];
  }

  setDirs(user: string, dirs: string[]): void {
    if (dirs.length) this.data.dirs[user] = dirs;
    else delete this.data.dirs[user];
    this.save();
  }

  private save(): void {
    fs.mkdirSync(this.file.slice(0, this.file.lastIndexOf('/')), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file, JSON.stringify(this.data, null, 2) + '\n', 0o600);
  }
}
