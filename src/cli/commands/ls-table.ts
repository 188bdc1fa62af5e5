import type { SessionRecord } from '../../core/session.js';
import { shortStatus } from '../../core/status-text.js';
import { formatSpend } from '../../cost/format.js';
import { age, colorStatus, makeChalk, table, tildify } from '../output.js';

/** The table of `omni ls` (its own module: `omni ls --json` loads neither it nor chalk). */

const GAP = 2;
/** The least a working directory is cut to (`…/` and a few characters). */
const MIN_CWD = 8;
/** The most a status with its reason takes, even on a wide terminal (`--wide` shows it whole). */
const STATUS_MAX = 40;

/** `omni ls --tree`: each session's prefix under its parent, and the tree spend of those with children (sessions come in tree order). */
export interface LsTree {
  prefix: ReadonlyMap<string, string>;
  /** Sessions shown under the session they were forked from (`omni fork`): marked `[fork]`. */
  forks?: ReadonlySet<string>;
  spend: ReadonlyMap<string, string>;
}

/** The table, cut to `width` columns (unless `wide`). Exported for tests. */
export function lsTable(sessions: SessionRecord[], opts: { width: number; wide?: boolean; now?: number; tree?: LsTree; hosts?: readonly string[] }): string {
  const c = makeChalk();
  const tree = opts.tree;
  // `--all-hosts`: each session's host (parallel to `sessions`), in a HOST column first.
  const hosts = opts.hosts;
  const fixed = sessions.map((s, i) => ({
    host: hosts?.[i] ?? '',
    id: (tree?.prefix.get(s.id) ?? '') + s.id,
    treeSpend: tree?.spend.get(s.id) ?? '',
    name: tree?.forks?.has(s.id) ? `${s.name} [fork]` : s.name,
    harness: s.sandbox ? `${s.harness}${c.dim('[sbx]')}` : s.harness,
    harnessLen: s.harness.length + (s.sandbox ? 5 : 0),
    spend: formatSpend(s.cost),
    age: age(s.createdAt, opts.now),
    cwd: tildify(s.cwd),
    status: s.status,
    tags: s.tags?.join(',') ?? '',
    attached: attachedText(s),
    // Only a waiting session says why in STATUS (what it waits on).
    reason: s.status === 'waiting' ? s.statusReason : undefined,
  }));
  const colW = (f: (x: (typeof fixed)[number]) => number, head: string) => Math.max(head.length, ...fixed.map(f));
  const wHost = hosts ? colW((x) => x.host.length, 'HOST') + GAP : 0;
  const wId = colW((x) => x.id.length, 'ID');
  const wName = colW((x) => x.name.length, 'NAME');
  const wHarness = colW((x) => x.harnessLen, 'HARNESS');
  const wCost = colW((x) => x.spend.length, 'COST');
  // TREE (own + descendants' spend) on a lead's row, with --tree.
  const wTree = tree ? colW((x) => x.treeSpend.length, 'TREE') + GAP : 0;
  const wAge = colW((x) => x.age.length, 'AGE');
  // TAGS only when a session has some: most people never tag, and the table stays narrow.
  const withTags = fixed.some((x) => x.tags);
  const wTags = withTags ? colW((x) => Math.max(1, x.tags.length), 'TAGS') + GAP : 0;
  // ATTACHED only when someone is: `omni attach` (drive) and `omni watch` clients.
  const withAttached = fixed.some((x) => x.attached);
  const wAttached = withAttached ? colW((x) => Math.max(1, x.attached.length), 'ATTACHED') + GAP : 0;
  const statusFull = (x: (typeof fixed)[number]) => (x.reason ? `${x.status} (${x.reason.replace(/\s+/g, ' ').trim()})` : x.status);
  const wStatusShort = colW((x) => shortStatus(x.status, x.reason, STATUS_MAX).length, 'STATUS');
  const wCwd = colW((x) => x.cwd.length, 'CWD');
  const rest = wHost + wId + wName + wHarness + wCost + wTree + wAge + wTags + wAttached + GAP * 5;
  // Too wide: CWD gives way first (cut from the left down to MIN_CWD, then left out), then the
  // status reasons (an id in one is kept whole or left out).
  let wStatus = wStatusShort;
  let cwdMax = wCwd;
  if (!opts.wide && rest + wStatus + GAP + wCwd > opts.width) {
    cwdMax = Math.min(wCwd, opts.width - rest - wStatus - GAP);
    if (cwdMax < MIN_CWD) cwdMax = 0;
    const room = opts.width - rest - (cwdMax ? GAP + cwdMax : 0);
    if (room < wStatus) wStatus = Math.max('waiting'.length, room);
  }
  const rows = [[...(hosts ? ['HOST'] : []), 'ID', 'NAME', 'HARNESS', 'STATUS', 'COST', ...(tree ? ['TREE'] : []), 'AGE', ...(withTags ? ['TAGS'] : []), ...(withAttached ? ['ATTACHED'] : []), ...(cwdMax ? ['CWD'] : [])]];
  for (const x of fixed) {
    const status = opts.wide ? statusFull(x) : shortStatus(x.status, x.reason, wStatus);
    const reason = status.slice(x.status.length);
    rows.push([
      ...(hosts ? [x.host] : []),
      x.id,
      x.name,
      x.harness,
      colorStatus(c, x.status) + (reason ? c.dim(reason) : ''),
      x.spend.includes('$?') ? c.yellow(x.spend) : x.spend === '-' ? c.dim(x.spend) : x.spend,
      ...(tree ? [x.treeSpend ? (x.treeSpend.includes('$?') ? c.yellow(x.treeSpend) : x.treeSpend) : ''] : []),
      x.age,
      ...(withTags ? [x.tags || c.dim('-')] : []),
      ...(withAttached ? [x.attached || c.dim('-')] : []),
      ...(cwdMax ? [cutPath(x.cwd, cwdMax)] : []),
    ]);
  }
  return table(rows, c);
}

/** `1`, `2 (1 watching)`: how many terminals are attached, and how many of them only watch. */
export function attachedText(s: SessionRecord): string {
  const n = s.clients?.length ?? 0;
  if (!n) return '';
  const watching = s.clients!.filter((c) => c.mode === 'watch').length;
  return watching ? `${n} (${watching} watching)` : String(n);
}

/** `…/src/project`: the end of a path is what tells directories apart. */
export function cutPath(p: string, max: number): string {
  if (p.length <= max) return p;
  if (max < 2) return '…';
  return '…' + p.slice(p.length - (max - 1));
}
