import type { SessionRecord } from '../core/session.js';
import type { Spend } from '../policy/types.js';

/** One session's computed spend (subject.spend.session). */
export function sessionSpend(r: SessionRecord): Spend {
  return { usd: r.cost?.computedUsd ?? 0, unpricedModels: [...(r.cost?.unpricedModels ?? [])] };
}

/** A session and its descendants (SessionRecord.parent), among `all` (subject.spend.tree). */
export function treeSpend(rec: SessionRecord, all: readonly SessionRecord[]): Spend {
  const children = new Map<string, SessionRecord[]>();
  for (const r of all) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const tree = sessionSpend(rec);
  const seen = new Set([rec.id]);
  const stack = [...(children.get(rec.id) ?? [])];
  while (stack.length) {
    const r = stack.pop()!;
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    tree.usd = Math.round((tree.usd + (r.cost?.computedUsd ?? 0)) * 1e9) / 1e9;
    for (const m of r.cost?.unpricedModels ?? []) if (!tree.unpricedModels.includes(m)) tree.unpricedModels.push(m);
    stack.push(...(children.get(r.id) ?? []));
  }
  return tree;
}
