import type { SessionRecord } from '../../core/session.js';
import { sessionTree, treeRows, type TreeNode } from '../../core/session-tree.js';
import { printJson } from '../json-output.js';
import { client } from '../context.js';
import { liveWithAncestors, treeCosts, type LsOptions, type TreeCost } from './ls-tree.js';
export { liveWithAncestors, treeCosts, type LsOptions, type TreeCost } from './ls-tree.js';

/**
 * `omni ls`: one row per session, fitted to the terminal's width (a status reason is cut to
 * what fits, ids never are, the working directory gives way first); `--wide` shows every
 * reason whole, `--json` everything. The table (and chalk) load only when printed. `--tree`
 * puts sub-agents under their lead and forks under their source, with the tree's spend on the
 * lead's row. ATTACHED (when someone is) counts the terminals on a session and those only watching.
 */
export async function lsCommand(opts: LsOptions): Promise<number> {
  // The hosts file is read only when asked: plain `omni ls` stays as quick as before.
  if (opts.allHosts) return (await import('./ls-hosts.js')).lsAllHosts(opts);
  const tags = opts.tag ?? [];
  // --tree asks for ended sessions too: an ended child still counts in its lead's tree spend,
  // and a live child's ended lead is shown (dimmed by its status) to keep the tree whole.
  const { sessions: received } = await (await client()).sessions(Boolean(opts.all || opts.tree), tags);
  // In the tree a fork hangs under the session it was forked from (as if its child).
  const original = new Map(received.map((s) => [s.id, s]));
  const fetched = received.map((s) => (s.parent === undefined && s.forkedFrom ? { ...s, parent: s.forkedFrom } : s));
  const costs = treeCosts(fetched);
  const record = (s: SessionRecord) => ({ ...original.get(s.id)!, tags: s.tags ?? [], ...(costs.has(s.id) ? { treeCost: jsonCost(costs.get(s.id)!) } : {}) });
  const sessions = opts.tree && !opts.all ? liveWithAncestors(fetched) : fetched;
  const forest = opts.tree ? sessionTree(sessions) : [];
  if (opts.json) {
    // tags always present in JSON, so a script need not tell "none" from "unknown".
    type Nested = ReturnType<typeof record> & { children: Nested[] };
    const nest = (n: TreeNode<SessionRecord>): Nested => ({ ...record(n.item), children: n.children.map(nest) });
    printJson(opts.tree ? forest.map(nest) : received.map(record));
    return 0;
  }
  if (sessions.length === 0) {
    const tagged = tags.length ? ` tagged ${tags.join(' and ')}` : '';
    process.stdout.write(opts.all ? `no sessions${tagged}\n` : `no live sessions${tagged} (omni ls --all shows ended ones)\n`);
    return 0;
  }
  const { lsTable } = await import('./ls-table.js');
  const { terminalWidth } = await import('../output.js');
  const { spendText } = await import('../../cost/format.js');
  const width = opts.wide ? Infinity : terminalWidth();
  const rows = treeRows(forest);
  const tree = opts.tree
    ? { prefix: new Map(rows.map((r) => [r.node.item.id, r.prefix])), forks: new Set(sessions.filter((x) => x.forkedFrom && original.get(x.id)!.parent === undefined).map((x) => x.id)), spend: new Map([...costs].map(([id, c]) => [id, c.any ? spendText(c.usd, Boolean(c.unpriced)) : '-'])) }
    : undefined;
  process.stdout.write(lsTable((tree ? rows.map((r) => r.node.item) : sessions).map((x) => original.get(x.id)!), { width, wide: Boolean(opts.wide), ...(tree ? { tree } : {}) }) + '\n');
  return 0;
}

const jsonCost = ({ any: _any, ...c }: TreeCost) => c;
