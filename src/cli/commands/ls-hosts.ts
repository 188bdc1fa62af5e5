import { askHosts, failureLine, msOption, viewHosts, type HostFailure, type HostResult } from '../../client/all-hosts.js';
import { ExitCode } from '../../core/errors.js';
import type { SessionRecord } from '../../core/session.js';
import { sessionTree, treeRows, type TreeNode } from '../../core/session-tree.js';
import { client, paths } from '../context.js';
import { printJson } from '../json-output.js';
import { liveWithAncestors, treeCosts, type LsOptions, type TreeCost } from './ls-tree.js';

/** Per host, unless --host-timeout or OMNI_HOST_TIMEOUT_MS says otherwise. */
export const LS_HOST_TIMEOUT_MS = 5000;

/** One host's list, as `omni ls` would show it there: its sessions (tree order with --tree) and tree spends. */
export interface HostList {
  host: string;
  sessions: SessionRecord[];
  forest: TreeNode<SessionRecord>[];
  costs: Map<string, TreeCost>;
}

/**
 * `omni ls --all-hosts`: the local daemon and every host of hosts.json, asked at once, each
 * within its own time limit. A host that did not answer is one line on stderr and the rest
 * still print. Exit 0 when every host answered, 4 (daemon unreachable) when one did not.
 */
export async function lsAllHosts(opts: LsOptions): Promise<number> {
  const tags = opts.tag ?? [];
  const timeoutMs = msOption(opts.hostTimeout ?? process.env.OMNI_HOST_TIMEOUT_MS, LS_HOST_TIMEOUT_MS);
  const hosts = await viewHosts(paths(), await client());
  const answered = await askHosts(hosts, async (c, _h, ms) => (await c.sessions(Boolean(opts.all || opts.tree), tags, { timeoutMs: ms })).sessions, timeoutMs);
  const lists = hostLists(answered.results, opts);
  await printAllHosts(lists, answered.failures, opts);
  return answered.failures.length ? ExitCode.daemonUnreachable : ExitCode.ok;
}

/** Each host's sessions as `omni ls` picks them (trees never cross hosts: a parent is on its child's host). */
export function hostLists(results: readonly HostResult<SessionRecord[]>[], opts: Pick<LsOptions, 'all' | 'tree'>): HostList[] {
  return results.map(({ host, value }) => {
    const sessions = opts.tree && !opts.all ? liveWithAncestors(value) : value;
    return { host, sessions, forest: opts.tree ? sessionTree(sessions) : [], costs: treeCosts(value) };
  });
}

async function printAllHosts(lists: HostList[], failures: readonly HostFailure[], opts: LsOptions): Promise<void> {
  for (const f of failures) process.stderr.write(failureLine(f) + '\n');
  if (opts.json) {
    printJson(allHostsJson(lists, Boolean(opts.tree)));
    return;
  }
  const tags = opts.tag ?? [];
  if (!lists.some((l) => l.sessions.length)) {
    const tagged = tags.length ? ` tagged ${tags.join(' and ')}` : '';
    const where = lists.length ? ` on ${lists.map((l) => l.host).join(', ')}` : '';
    process.stdout.write(opts.all ? `no sessions${tagged}${where}\n` : `no live sessions${tagged}${where} (omni ls --all shows ended ones)\n`);
    return;
  }
  process.stdout.write((await allHostsTable(lists, opts)) + '\n');
}

/** `--json`: every row with its `host` (nested `children` with --tree), hosts in order. */
export function allHostsJson(lists: readonly HostList[], tree: boolean): unknown[] {
  const out: unknown[] = [];
  for (const l of lists) {
    const record = (s: SessionRecord) => ({ host: l.host, ...s, tags: s.tags ?? [], ...(l.costs.has(s.id) ? { treeCost: jsonCost(l.costs.get(s.id)!) } : {}) });
    type Nested = ReturnType<typeof record> & { children: Nested[] };
    const nest = (n: TreeNode<SessionRecord>): Nested => ({ ...record(n.item), children: n.children.map(nest) });
    out.push(...(tree ? l.forest.map(nest) : l.sessions.map(record)));
  }
  return out;
}

async function allHostsTable(lists: readonly HostList[], opts: LsOptions): Promise<string> {
  const { lsTable } = await import('./ls-table.js');
  const { terminalWidth } = await import('../output.js');
  const { spendText } = await import('../../cost/format.js');
  const sessions: SessionRecord[] = [];
  const hosts: string[] = [];
  const prefix = new Map<string, string>();
  const spend = new Map<string, string>();
  for (const l of lists) {
    const rows = opts.tree ? treeRows(l.forest).map((r) => (prefix.set(r.node.item.id, r.prefix), r.node.item)) : l.sessions;
    for (const [id, c] of l.costs) spend.set(id, c.any ? spendText(c.usd, Boolean(c.unpriced)) : '-');
    sessions.push(...rows);
    hosts.push(...rows.map(() => l.host));
  }
  return lsTable(sessions, { width: opts.wide ? Infinity : terminalWidth(), wide: Boolean(opts.wide), hosts, ...(opts.tree ? { tree: { prefix, spend } } : {}) });
}

const jsonCost = ({ any: _any, ...c }: TreeCost) => c;
