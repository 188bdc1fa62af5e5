import { isLive, type SessionRecord } from '../core/session.js';

/**
 * The session tree (`SessionRecord.parent`, set by omni_spawn): who descends from whom, how
 * deep a session sits. Pure functions over the records, for the composer, the `mcp` policy
 * subject and `omni_sessions`.
 */

/** Children by parent id. */
export function childrenIndex(all: readonly SessionRecord[]): Map<string, SessionRecord[]> {
  const out = new Map<string, SessionRecord[]>();
  for (const r of all) if (r.parent) out.set(r.parent, [...(out.get(r.parent) ?? []), r]);
  return out;
}

/** Every descendant of `id`, parents before their children (breadth first). */
export function descendants(id: string, all: readonly SessionRecord[]): SessionRecord[] {
  const kids = childrenIndex(all);
  const out: SessionRecord[] = [];
  const seen = new Set([id]);
  const queue = [...(kids.get(id) ?? [])];
  while (queue.length) {
    const r = queue.shift()!;
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    out.push(r);
    queue.push(...(kids.get(r.id) ?? []));
  }
  return out;
}

/** How deep `rec` sits: a root (no parent) is 0. A parent missing from `all` ends the walk. */
export function depthOf(rec: SessionRecord, all: readonly SessionRecord[]): number {
  const byId = new Map(all.map((r) => [r.id, r]));
  let depth = 0;
  const seen = new Set([rec.id]);
  for (let p = rec.parent; p && byId.has(p) && !seen.has(p); p = byId.get(p)!.parent) {
    seen.add(p);
    depth++;
  }
  return depth;
}

/** What the `mcp` policy phase sees of a session's place in the tree (subject.mcp.tree). */
export function treeFacts(rec: SessionRecord, all: readonly SessionRecord[]): { children: number; live: number; depth: number } {
  return {
    children: all.filter((r) => r.parent === rec.id).length,
    live: descendants(rec.id, all).filter((r) => isLive(r.status)).length,
    depth: depthOf(rec, all),
  };
}
