import { Box, Text } from 'ink';
import { Cell } from '../dashboard/parts.js';
import { usdText, type BoardHeader, type BoardRow } from '../../polly/board-rows.js';
import type { TaskStatus } from '../../polly/types.js';
import type { BoardSnapshot, Pager } from './store.js';

/** The board's pieces: plain props in, no state. */

export function statusColor(s: TaskStatus): string | undefined {
  switch (s) {
    case 'working':
      return 'green';
    case 'reviewing':
      return 'blue';
    case 'approved':
      return 'cyan';
    case 'needs_person':
      return 'yellow';
    case 'merged':
      return 'magenta';
    case 'stopped':
      return 'red';
    default:
      return undefined;
  }
}

export function Header({ header }: { header: BoardHeader }) {
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>Polly {header.id}</Text>
        <Text dimColor> · </Text>
        <Text bold color={header.status === 'running' ? 'green' : header.status === 'planning' ? 'blue' : undefined}>
          {header.status}
        </Text>
        <Text dimColor>
          {' '}
          · {usdText(header.costUsd)}
          {header.counts ? ` · ${header.counts}` : ''}
        </Text>
      </Text>
      <Text wrap="truncate-end">
        <Text dimColor>
          lead {header.lead} · into {header.base} · goal:{' '}
        </Text>
        {header.goal}
      </Text>
      {header.planErrors?.map((e, i) => (
        <Text key={i} color="yellow" wrap="truncate-end">
          plan refused: {e}
        </Text>
      ))}
    </Box>
  );
}

/** Column widths of a row's first line; the title takes what is left. */
export function columns(width: number) {
  const fixed = { mark: 2, id: 8, harness: 11, status: 13, review: 21, cost: 8 };
  const title = Math.max(10, width - Object.values(fixed).reduce((a, b) => a + b, 0) - 1);
  return { ...fixed, title };
}

type Cols = ReturnType<typeof columns>;

export function HeaderRow({ cols }: { cols: Cols }) {
  return (
    <Box>
      <Box width={cols.mark} flexShrink={0} />
      <Cell width={cols.id} dim text="TASK" />
      <Cell width={cols.title} dim text="TITLE" />
      <Cell width={cols.harness} dim text="WORKER" />
      <Cell width={cols.status} dim text="STATUS" />
      <Cell width={cols.review} dim text="REVIEW" />
      <Cell width={cols.cost} dim text="COST" />
    </Box>
  );
}

/** Two lines: the task, then (dim, indented) its branch, diffstat, what it waits for, why it stopped. */
export function TaskRow({ row, selected, cols }: { row: BoardRow; selected: boolean; cols: Cols }) {
  const detail = [
    row.branch ?? (row.worker ? '' : 'not started'),
    row.diffstat ?? '',
    row.after.length ? `after: ${row.after.join(', ')}` : '',
    row.reason ? `— ${row.reason}` : '',
  ].filter(Boolean);
  return (
    <Box flexDirection="column">
      <Box>
        <Box width={cols.mark} flexShrink={0}>
          <Text color="cyan" bold>
            {selected ? '›' : ' '}
          </Text>
        </Box>
        <Cell width={cols.id} text={row.id} bold={selected} />
        <Cell width={cols.title} text={row.title} bold={selected} />
        <Cell width={cols.harness} text={row.harness} dim />
        <Cell width={cols.status} text={row.status.replace('_', ' ')} color={statusColor(row.status)} bold={row.status === 'needs_person'} />
        <Cell width={cols.review} text={row.review ?? '·'} dim={!row.review} color={row.review?.startsWith('changes') ? 'yellow' : row.review ? 'green' : undefined} />
        <Cell width={cols.cost} text={usdText(row.costUsd)} />
      </Box>
      <Box paddingLeft={cols.mark + cols.id}>
        <Text dimColor wrap="truncate-end">
          {detail.join(' · ') || ' '}
        </Text>
      </Box>
    </Box>
  );
}

export function PagerView({ pager, lines, width }: { pager: Pager; lines: number; width: number }) {
  const shown = pager.lines.slice(pager.top, pager.top + lines);
  const title = `─ ${pager.title} `;
  const end = Math.min(pager.lines.length, pager.top + lines);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {title + '─'.repeat(Math.max(0, width - 1 - title.length))}
      </Text>
      {shown.map((l, i) => (
        <Text key={i} wrap="truncate-end" color={l.startsWith('+') && !l.startsWith('+++') ? 'green' : l.startsWith('-') && !l.startsWith('---') ? 'red' : l.startsWith('@@') ? 'cyan' : undefined}>
          {l || ' '}
        </Text>
      ))}
      <Text dimColor>
        lines {pager.lines.length ? pager.top + 1 : 0}–{end} of {pager.lines.length} · ↑↓ scroll · space/b page · q/esc back to the board
      </Text>
    </Box>
  );
}

export function Connection({ snap }: { snap: BoardSnapshot }) {
  if (snap.events === 'error' || snap.events === 'ended') {
    return <Text color={snap.error ? 'red' : 'yellow'}>lost the daemon's event stream{snap.error ? `: ${snap.error}` : ''} (retrying)</Text>;
  }
  if (snap.error) return <Text color="red">{snap.error}</Text>;
  if (snap.events === 'connecting') return <Text dimColor>connecting to the daemon…</Text>;
  return null;
}
