import { isLive, type SessionRecord } from '../core/session.js';
import { findNode, flattenTree, sessionTree } from '../core/session-tree.js';

/**
 * The session tree as the composer and the `mcp` policy phase need it, on the one tree every
 * view uses (src/core/session-tree.ts): descendants, depth, and the facts subject.mcp.tree holds.
 */

/** Every descendant of `id`, each parent before its children. */
export function descendants(id: string, all: readonly SessionRecord[]): SessionRecord[] {
  const node = findNode(sessionTree(all), id);
  return node ? flattenTree(node.children).map((n) => n.item) : [];
}

/** How deep `rec` sits: a root (no parent among `all`) is 0. */
export function depthOf(rec: SessionRecord, all: readonly SessionRecord[]): number {
  return findNode(sessionTree(all), rec.id)?.depth ?? 0;
}

/** Depth of every session by id (one tree build for a list). */
export function depths(all: readonly SessionRecord[]): Map<string, number> {
  return new Map(flattenTree(sessionTree(all)).map((n) => [n.item.id, n.depth]));
}

/** What the `mcp` policy phase sees of a session's place in the tree (subject.mcp.tree). */
export function treeFacts(rec: SessionRecord, all: readonly SessionRecord[]): { children: number; live: number; depth: number } {
  return {
    children: all.filter((r) => r.parent === rec.id).length,
    live: descendants(rec.id, all).filter((r) => isLive(r.status)).length,
    depth: depthOf(rec, all),
  };
}
