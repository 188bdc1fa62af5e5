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

/** Depth of every session by id (one tree build for a list). */
export function depths(all: readonly SessionRecord[]): Map<string, number> {
  return new Map(flattenTree(sessionTree(all)).map((n) => [n.item.id, n.depth]));
}

/** What the `mcp` policy phase sees of a session's place in the tree (subject.mcp.tree); depth: a root is 0. */
export function treeFacts(rec: SessionRecord, all: readonly SessionRecord[]): { children: number; live: number; depth: number } {
  const node = findNode(sessionTree(all), rec.id);
  return {
    children: all.filter((r) => r.parent === rec.id).length,
    live: node ? flattenTree(node.children).filter((n) => isLive(n.item.status)).length : 0,
    depth: node?.depth ?? 0,
  };
}
