import { isLive, type SessionRecord } from '../../core/session.js';
import { flattenTree, sessionTree, treeSum } from '../../core/session-tree.js';

/** What `omni ls` and `ls --all-hosts` share: its options, and the tree's spend. */
export interface LsOptions {
  all?: boolean;
  json?: boolean;
  wide?: boolean;
  tree?: boolean;
  tag?: string[];
  allHosts?: boolean;
  hostTimeout?: string;
}

/** A tree's spend: own + descendants' computed USD; `unpriced` when some of it is on models without a price. */
export interface TreeCost {
  usd: number;
  unpriced?: true;
  /** Whether any session of the tree used a model (not in the JSON: `-` in the table otherwise). */
  any: boolean;
}

/** The tree spend of each session of the list that has children. */
export function treeCosts(sessions: readonly SessionRecord[]): Map<string, TreeCost> {
  const out = new Map<string, TreeCost>();
  for (const n of flattenTree(sessionTree(sessions))) {
    if (!n.children.length) continue;
    const members = flattenTree([n]).map((m) => m.item.cost);
    const unpriced = members.some((c) => c?.unpricedModels?.length);
    const any = members.some((c) => (c?.messages ?? 0) > 0);
    out.set(n.item.id, { usd: treeSum(n, (s) => s.cost?.computedUsd ?? 0), ...(unpriced ? { unpriced: true as const } : {}), any });
  }
  return out;
}

/** The live sessions and every ancestor of one (so a live child is shown under its ended lead). */
export function liveWithAncestors(sessions: readonly SessionRecord[]): SessionRecord[] {
  const byId = new Map(sessions.map((s) => [s.id, s]));
  const keep = new Set<string>();
  for (const s of sessions) {
    if (!isLive(s.status)) continue;
    for (let cur: SessionRecord | undefined = s; cur && !keep.has(cur.id); cur = cur.parent ? byId.get(cur.parent) : undefined) keep.add(cur.id);
  }
  return sessions.filter((s) => keep.has(s.id));
}
