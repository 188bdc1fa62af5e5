import fs from 'node:fs';
import type { CostArchive } from '../cost/archive.js';
import { OmniError } from '../core/errors.js';
import { isLive, type SessionCost, type SessionRecord } from '../core/session.js';
import type { SessionStore } from './store.js';

/** What `omni rm`/`omni prune` removed (or, with `dryRun`, would remove). */
export interface RemovedSession {
  id: string;
  name: string;
  harness: string;
  status: string;
  endedAt: string;
  cost?: SessionCost;
  /** Its usage was kept in the cost archive (false: it had none). */
  costKept: boolean;
}

/**
 * `omni rm` and `omni prune`: forget ended sessions. The record and the session's directory
 * (event log, generated harness files) are deleted; its `usage` and `cost.reported` events go to
 * the cost archive first, so `omni cost`, the day ledger and repricing still count them. A live
 * session is refused (stop it first).
 */
export class SessionRemoval {
  constructor(
    private readonly deps: {
      store: SessionStore;
      archive: CostArchive;
      /** Close the session's open log, if any (SessionLog.close). */
      closeLog: (id: string) => void;
      /** Drop what the policy service keeps for it (PolicyService.forget). */
      forget: (id: string) => void;
      now?: () => Date;
      log?: (msg: string) => void;
    },
  ) {}

  remove(rec: SessionRecord, opts: { dryRun?: boolean } = {}): RemovedSession {
    if (isLive(rec.status)) {
      throw new OmniError(`session ${rec.name} (${rec.id}) is ${rec.status}; only ended sessions can be removed (omni stop ${rec.name} first)`, 'conflict', undefined, {
        session: rec.id,
        status: rec.status,
      });
    }
    const out: RemovedSession = { id: rec.id, name: rec.name, harness: rec.harness, status: rec.status, endedAt: endedAt(rec), ...(rec.cost ? { cost: rec.cost } : {}), costKept: (rec.cost?.messages ?? 0) > 0 };
    if (opts.dryRun) return out;
    this.deps.closeLog(rec.id);
    let text = '';
    try {
      text = fs.readFileSync(this.deps.store.eventsFile(rec.id), 'utf8');
    } catch {
      /* no log: nothing to keep */
    }
    out.costKept = this.deps.archive.keep(
      { id: rec.id, name: rec.name, harness: rec.harness, ...(rec.parent ? { parent: rec.parent } : {}), createdAt: rec.createdAt, ...(rec.exitedAt ? { exitedAt: rec.exitedAt } : {}), removedAt: this.now().toISOString() },
      text,
    );
    this.deps.store.remove(rec.id);
    this.deps.forget(rec.id);
    this.deps.log?.(`${rec.id}: removed (${rec.name})${out.costKept ? '; its cost history is kept' : ''}`);
    return out;
  }

  /** Remove every ended session that ended at least `olderThanMs` ago (all of them when 0). */
  prune(opts: { olderThanMs?: number; dryRun?: boolean } = {}): RemovedSession[] {
    const cutoff = this.now().getTime() - (opts.olderThanMs ?? 0);
    const old = this.deps.store.all().filter((r) => !isLive(r.status) && Date.parse(endedAt(r)) <= cutoff);
    return old.map((r) => this.remove(r, { dryRun: opts.dryRun }));
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}

function endedAt(rec: SessionRecord): string {
  return rec.exitedAt ?? rec.updatedAt;
}
