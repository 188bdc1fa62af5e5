/**
 * The session tree (sessions started by a lead through omni's MCP tools carry `parent`): one
 * pure function every view uses — `omni ls --tree`, `omni stop --tree`, `omni cost` and the
 * dashboard — so they all agree on what is under what.
 */

export interface TreeNode<T> {
  item: T;
  /** 0 for a root (here: a session whose parent is not in the list). */
  depth: number;
  children: Array<TreeNode<T>>;
}

/**
 * The sessions as a forest, roots and children each in the order given. A session whose parent
 * is not in the list is a root here; so is each one of a parent loop (omni makes none, but a
 * hand-edited state must not hang a view).
 */
export function sessionTree<T extends { id: string; parent?: string }>(items: readonly T[]): Array<TreeNode<T>> {
  const byId = new Map<string, T>();
  for (const it of items) if (!byId.has(it.id)) byId.set(it.id, it);
  const inLoop = (it: T): boolean => {
    const seen = new Set([it.id]);
    for (let p = it.parent; p !== undefined && byId.has(p); p = byId.get(p)!.parent) {
      if (p === it.id) return true;
      if (seen.has(p)) return false; // a loop above it: it hangs under a member of that loop
      seen.add(p);
    }
    return false;
  };
  const nodes = new Map<string, TreeNode<T>>();
  for (const [id, item] of byId) nodes.set(id, { item, depth: 0, children: [] });
  const roots: Array<TreeNode<T>> = [];
  for (const [id, node] of nodes) {
    const p = node.item.parent;
    if (p !== undefined && nodes.has(p) && !inLoop(node.item)) nodes.get(p)!.children.push(node);
    else roots.push(nodes.get(id)!);
  }
  const setDepth = (n: TreeNode<T>, d: number): void => {
    n.depth = d;
    for (const c of n.children) setDepth(c, d + 1);
  };
  for (const r of roots) setDepth(r, 0);
  return roots;
}

/** Every node, each parent before its children (depth first, in tree order). */
export function flattenTree<T>(roots: ReadonlyArray<TreeNode<T>>): Array<TreeNode<T>> {
  const out: Array<TreeNode<T>> = [];
  const walk = (n: TreeNode<T>): void => {
    out.push(n);
    for (const c of n.children) walk(c);
  };
  for (const r of roots) walk(r);
  return out;
}

/** The node of `id` in the forest, if there. */
export function findNode<T extends { id: string }>(roots: ReadonlyArray<TreeNode<T>>, id: string): TreeNode<T> | undefined {
  return flattenTree(roots).find((n) => n.item.id === id);
}

/** The node and everything under it, deepest first (the order to stop a tree in: children before their parent). */
export function deepestFirst<T>(node: TreeNode<T>): T[] {
  return flattenTree([node])
    .map((n, i) => ({ n, i }))
    .sort((a, b) => b.n.depth - a.n.depth || a.i - b.i)
    .map((x) => x.n.item);
}

/** A figure summed over a node and its descendants (e.g. spend: own + the tree's). */
export function treeSum<T>(node: TreeNode<T>, f: (item: T) => number): number {
  let n = f(node.item);
  for (const c of node.children) n += treeSum(c, f);
  return Math.round(n * 1e9) / 1e9;
}

/**
 * The rows of a tree drawn as text: each node with the prefix that puts it under its parent
 * (`├─ `, `└─ `, with `│  ` for an ancestor that has siblings below).
 */
export function treeRows<T>(roots: ReadonlyArray<TreeNode<T>>): Array<{ node: TreeNode<T>; prefix: string }> {
  const out: Array<{ node: TreeNode<T>; prefix: string }> = [];
  const walk = (n: TreeNode<T>, lead: string, last: boolean, top: boolean): void => {
    out.push({ node: n, prefix: top ? '' : `${lead}${last ? '└─ ' : '├─ '}` });
    const next = top ? '' : `${lead}${last ? '   ' : '│  '}`;
    n.children.forEach((c, i) => walk(c, next, i === n.children.length - 1, false));
  };
  for (const r of roots) walk(r, '', true, true);
  return out;
}
