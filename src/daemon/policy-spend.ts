import type { SessionRecord } from '../core/session.js';
import type { Spend } from '../policy/types.js';
import { descendants } from './session-tree.js';

/** One session's computed spend (subject.spend.session). */
export function sessionSpend(r: SessionRecord): Spend {
  return { usd: r.cost?.computedUsd ?? 0, unpricedModels: [...(r.cost?.unpricedModels ?? [])] };
}

/** A session and its descendants (the one session tree, session-tree.ts), among `all` (subject.spend.tree). */
export function treeSpend(rec: SessionRecord, all: readonly SessionRecord[]): Spend {
  const tree = sessionSpend(rec);
  for (const r of descendants(rec.id, all)) {
    tree.usd = Math.round((tree.usd + (r.cost?.computedUsd ?? 0)) * 1e9) / 1e9;
    for (const m of r.cost?.unpricedModels ?? []) if (!tree.unpricedModels.includes(m)) tree.unpricedModels.push(m);
  }
  return tree;
}
