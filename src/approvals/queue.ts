import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { OmniError } from '../core/errors.js';
import { ensurePrivateDir, readJsonFile, writeFileAtomic } from '../core/fsutil.js';
import type { Approval, ApprovalScope, ApprovalStreamItem, ApprovalVia } from './types.js';

type Listener = (item: ApprovalStreamItem) => void;

export type NewApproval = Omit<Approval, 'id' | 'createdAt' | 'status' | 'resolution'>;

/**
 * Asks parked in the daemon until a person answers. Each approval is a file under
 * `state/approvals/`, so a restarted daemon still has it; a hook that retries after a restart
 * asks again with the same key and joins the same approval. The first answer wins.
 */
export class ApprovalQueue {
  private items = new Map<string, Approval>();
  private waiters = new Map<string, Array<(a: Approval) => void>>();
  private listeners = new Set<Listener>();

  constructor(
    private readonly dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  load(maxResolvedAgeMs = 7 * 24 * 3600_000): void {
    ensurePrivateDir(this.dir);
    for (const f of fs.readdirSync(this.dir)) {
      if (!f.endsWith('.json')) continue;
      const file = path.join(this.dir, f);
      let a: Approval | undefined;
      try {
        a = readJsonFile<Approval>(file);
      } catch {
        continue; // a torn write of a brand-new approval: its hook will ask again
      }
      if (!a?.id) continue;
      if (a.status !== 'pending' && Date.parse(a.resolution?.at ?? a.createdAt) < this.now().getTime() - maxResolvedAgeMs) {
        fs.rmSync(file, { force: true });
        continue;
      }
      this.items.set(a.id, a);
    }
  }

  list(opts: { all?: boolean; session?: string } = {}): Approval[] {
    return [...this.items.values()]
      .filter((a) => (opts.all || a.status === 'pending') && (!opts.session || a.session === opts.session))
      .sort((x, y) => x.createdAt.localeCompare(y.createdAt));
  }

  get(id: string): Approval | undefined {
    return this.items.get(id);
  }

  /** The approval for this session and key, if one exists (pending or answered). */
  find(session: string, key: string): Approval | undefined {
    for (const a of this.items.values()) if (a.session === session && a.key === key) return a;
    return undefined;
  }

  /** Park a new ask, or join the existing one with the same session and key. */
  request(input: NewApproval): { approval: Approval; created: boolean } {
    const existing = this.find(input.session, input.key);
    if (existing) return { approval: existing, created: false };
    const approval: Approval = { ...input, id: `ap_${crypto.randomBytes(5).toString('hex')}`, createdAt: this.now().toISOString(), status: 'pending' };
    this.items.set(approval.id, approval);
    this.persist(approval);
    this.publish({ type: 'requested', approval });
    return { approval, created: true };
  }

  /** Resolves with the approval once it is answered (at once if it already is). */
  wait(id: string): Promise<Approval> {
    const a = this.items.get(id);
    if (!a) return Promise.reject(new OmniError(`no approval ${id}`, 'not_found'));
    if (a.status !== 'pending') return Promise.resolve(a);
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  resolve(id: string, answer: { verdict: 'approve' | 'deny'; scope?: ApprovalScope; via: ApprovalVia; by: string; reason?: string; guest?: { user: string; uid: number } }): Approval {
    const a = this.items.get(id);
    if (!a) {
      const pending = this.list().map((p) => p.id);
      throw new OmniError(`no approval ${id}; ${pending.length ? `pending: ${pending.join(', ')}` : 'none is pending'}`, 'not_found', undefined, { pending });
    }
    if (a.status !== 'pending') {
      const r = a.resolution!;
      throw new OmniError(`${id} was already ${a.status} by ${r.by} via ${r.via} at ${r.at}`, 'conflict', undefined, { approval: a });
    }
    a.status = answer.verdict === 'approve' ? 'approved' : 'denied';
    a.resolution = {
      verdict: answer.verdict,
      scope: answer.verdict === 'approve' ? (answer.scope ?? 'once') : 'once',
      by: answer.by,
      via: answer.via,
      at: this.now().toISOString(),
      ...(answer.reason ? { reason: answer.reason } : {}),
      ...(answer.guest ? { guest: answer.guest } : {}),
    };
    this.persist(a);
    for (const w of this.waiters.get(id) ?? []) w(a);
    this.waiters.delete(id);
    this.publish({ type: 'resolved', approval: a });
    return a;
  }

  /** The agent stopped waiting: the ask is withdrawn (nobody's answer would reach it now). */
  cancel(id: string, reason: string): Approval | undefined {
    const a = this.items.get(id);
    if (!a || a.status !== 'pending') return a;
    a.status = 'cancelled';
    a.resolution = { verdict: 'cancel', scope: 'once', by: 'omni', via: 'api', at: this.now().toISOString(), reason };
    this.persist(a);
    for (const w of this.waiters.get(id) ?? []) w(a);
    this.waiters.delete(id);
    this.publish({ type: 'resolved', approval: a });
    return a;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(item: ApprovalStreamItem): void {
    for (const l of this.listeners) {
      try {
        l(item);
      } catch {
        /* one bad subscriber must not stop the others */
      }
    }
  }

  private persist(a: Approval): void {
    writeFileAtomic(path.join(this.dir, `${a.id}.json`), JSON.stringify(a, null, 2) + '\n');
  }
}
