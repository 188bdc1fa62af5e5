import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, readJsonFile, writeFileAtomic } from '../core/fsutil.js';
import { newId } from '../core/session.js';
import type { PollyRun, PollyTask, SessionRef } from '../polly/types.js';

/**
 * A turn the service waits for, written before the wait begins (docs/POLLY.md "Restart"): the
 * session, the log seq the wait starts after, and the prompt that starts the turn when omni
 * types it (absent: the session's first prompt, which the session manager types and retypes).
 */
export interface TurnWait {
  session: string;
  from: number;
  prompt?: string;
  /** The prompt was typed (a restart types one that was not, once). */
  sent?: boolean;
}

/** A task as stored: the public task and the service's own bookkeeping (stripped on read). */
export interface StoredTask extends PollyTask {
  /** The worker's turn (working) or the reviewer's (reviewing) the service waits for. */
  wait?: TurnWait;
  /** The reviewer of the current round, while reviewing. */
  reviewer?: SessionRef & { vendor: string };
  /** The reviewer was asked once more for a verdict it could read. */
  retried?: boolean;
}

export interface StoredRun extends PollyRun {
  tasks?: StoredTask[];
  /** The lead's turn the service waits for while planning. */
  leadWait?: TurnWait;
  /** Plans refused so far (after 3 the lead is no longer told; a person talks to it). */
  refusals?: number;
  /** Reviews routed so far: spreads reviews over the reviewers (pickReviewer's n). */
  routed?: number;
}

/** `p_` and 8 letters and digits, as session ids are made. */
export const newRunId = (): string => newId('p_');

/** The run without the service's bookkeeping: what the API answers. */
export function publicRun(run: StoredRun): PollyRun {
  const { leadWait: _w, refusals: _r, routed: _n, tasks, ...rest } = run;
  return { ...rest, ...(tasks ? { tasks: tasks.map(({ wait: _tw, reviewer: _rv, retried: _rt, ...t }) => t) } : {}) };
}

/**
 * Runs on disk: `$OMNI_HOME/polly/<id>/run.json` (atomic writes, the folder 0700) and beside it
 * `env.json`, the caller's environment the run's sessions start with (0600: it may hold keys).
 */
export class PollyStore {
  constructor(private readonly root: string) {}

  dir(id: string): string {
    return path.join(this.root, id);
  }

  /** A fresh id no run has. */
  newId(): string {
    let id = newRunId();
    while (fs.existsSync(this.dir(id))) id = newRunId();
    return id;
  }

  save(run: StoredRun): void {
    ensurePrivateDir(this.root);
    ensurePrivateDir(this.dir(run.id));
    writeFileAtomic(path.join(this.dir(run.id), 'run.json'), JSON.stringify(run, null, 2) + '\n');
  }

  saveEnv(id: string, env: Record<string, string>): void {
    ensurePrivateDir(this.dir(id));
    writeFileAtomic(path.join(this.dir(id), 'env.json'), JSON.stringify(env) + '\n');
  }

  env(id: string): Record<string, string> {
    return readJsonFile<Record<string, string>>(path.join(this.dir(id), 'env.json')) ?? {};
  }

  remove(id: string): void {
    fs.rmSync(this.dir(id), { recursive: true, force: true });
  }

  load(id: string): StoredRun | undefined {
    try {
      return readJsonFile<StoredRun>(path.join(this.dir(id), 'run.json'));
    } catch {
      return undefined; // a torn or hand-edited file: not a run
    }
  }

  /** Every run on disk, oldest first. */
  all(): StoredRun[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch {
      return [];
    }
    const runs = names.filter((n) => /^p_[a-z0-9]{8}$/.test(n)).flatMap((n) => this.load(n) ?? []);
    return runs.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
}
