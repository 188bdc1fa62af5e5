import { Box, Text } from 'ink';
import type { Approval } from '../../approvals/types.js';
import { formatAge, oneLine } from '../approvals/format.js';
import { previewLines } from './actions.js';
import { describeAsk, describeSpend, rowName, spendBar, statusColor, statusText } from './format.js';
import { useAgeClock } from '../approvals/parts.js';
import type { Columns } from './layout.js';
import type { ConnectionState, DashboardRow, DashboardSnapshot } from './store.js';

/** The dashboard's pieces. Plain props in, no state of their own beyond the clock. */

/** The clock ages are drawn with (shared with the approvals views). */
export { useAgeClock };

export function Cell(props: { width: number; text: string; dim?: boolean; bold?: boolean; color?: string }) {
  return (
    <Box width={props.width} flexShrink={0} paddingRight={1}>
      <Text wrap="truncate-end" dimColor={props.dim} bold={props.bold} color={props.color}>
        {props.text}
      </Text>
    </Box>
  );
}

export function HeaderRow({ cols }: { cols: Columns }) {
  return (
    <Box>
      <Box width={cols.mark} flexShrink={0} />
      <Cell width={cols.name} dim text="SESSION" />
      <Cell width={cols.harness} dim text="HARNESS" />
      <Cell width={cols.status} dim text="STATUS" />
      <Cell width={cols.age} dim text="AGE" />
      <Cell width={cols.asks} dim text="ASKS" />
      <Text dimColor>SPEND</Text>
    </Box>
  );
}

export function SessionRow(props: { row: DashboardRow; selected: boolean; marked: boolean; now: number; cols: Columns; barWidth: number }) {
  const { row: r, cols } = props;
  const sp = describeSpend(r.spend, r.budget, r.budgetSpendUsd);
  const barColor = sp.level === 'over' ? 'red' : sp.level === 'warn' ? 'yellow' : 'green';
  // The figure first: a narrow terminal drops the bar and the notes, never the spend.
  const showBar = sp.bar && sp.text.length + 1 + props.barWidth <= cols.spend;
  const ended = r.status === 'exited' || r.status === 'failed';
  return (
    <Box>
      <Box width={cols.mark} flexShrink={0}>
        <Text color="cyan" bold>
          {props.selected ? '›' : ' '}
        </Text>
        <Text color="magenta" bold>
          {props.marked ? '•' : ' '}
        </Text>
      </Box>
      <Cell width={cols.name} text={(r.treePrefix ?? '') + rowName(r)} bold={props.selected} dim={ended} />
      <Cell width={cols.harness} text={r.harness} dim />
      <Cell width={cols.status} text={statusText(r, cols.status - 1)} color={statusColor(r.status)} dim={ended} bold={r.status === 'waiting'} />
      <Cell width={cols.age} text={formatAge(r.createdAt, props.now)} dim />
      <Cell width={cols.asks} text={r.asks ? `⚠ ${r.asks}` : '·'} color={r.asks ? 'yellow' : undefined} dim={!r.asks} />
      <Box width={cols.spend} flexShrink={0}>
        <Text wrap="truncate-end">
          <Text color={sp.level === 'over' ? 'red' : sp.level === 'warn' ? 'yellow' : undefined}>{sp.text}</Text>
          {showBar && sp.bar ? <Text color={barColor}> {spendBar(sp.bar.spentUsd, sp.bar.limitUsd, props.barWidth)}</Text> : null}
          {sp.notes.length ? <Text dimColor> {sp.notes.join(' · ')}</Text> : null}
        </Text>
      </Box>
    </Box>
  );
}

/** Pending asks, the id first so that a narrow terminal cuts the request, never the id. */
export function AsksPanel(props: { asks: readonly Approval[]; selectedId: string | undefined; now: number; max: number }) {
  if (!props.asks.length) return null;
  const shown = props.asks.slice(0, props.max);
  return (
    <Box flexDirection="column">
      <Text color="yellow" bold>
        Pending asks ({props.asks.length})
      </Text>
      {shown.map((a) => {
        const d = describeAsk(a, props.now);
        return (
          <Text key={a.id} wrap="truncate-end">
            <Text color="yellow">{a.session === props.selectedId ? '› ' : '  '}</Text>
            <Text dimColor>{a.id} </Text>
            <Text bold>{d.session}</Text>
            <Text color="yellow"> {d.policy}</Text>
            <Text dimColor> {d.age}</Text>
            <Text> {d.request}</Text>
          </Text>
        );
      })}
      {props.asks.length > shown.length ? <Text dimColor>  … {props.asks.length - shown.length} more (press a, or run omni approvals)</Text> : null}
    </Box>
  );
}

/** The selected session's screen: its last `lines` lines, cut to the width. */
export function PreviewPane(props: { snap: DashboardSnapshot; lines: number; width: number }) {
  const { snap } = props;
  const row = snap.selected >= 0 ? snap.rows[snap.selected] : undefined;
  if (!row || props.lines < 1 || !snap.canAct) return null;
  const p = snap.preview && snap.preview.id === row.id ? snap.preview : undefined;
  const title = `─ ${rowName(row)} (${row.status}) `;
  const body = p ? previewLines(p.text, props.lines) : [];
  return (
    <Box flexDirection="column">
      <Text dimColor wrap="truncate-end">
        {title + '─'.repeat(Math.max(0, props.width - 1 - title.length))}
      </Text>
      {!p ? <Text dimColor>reading the screen…</Text> : p.note ? <Text dimColor>{p.note}</Text> : null}
      {body.map((l, i) => (
        <Text key={i} wrap="truncate-end">
          {l || ' '}
        </Text>
      ))}
    </Box>
  );
}

export function Connection({ snap }: { snap: DashboardSnapshot }) {
  return (
    <>
      <DaemonConnection snap={snap} />
      {(snap.hostErrors ?? []).map((h) => (
        <Text key={h.host} color="red" wrap="truncate-end">
          {h.host}: unreachable: {oneLine(h.error, 120)} (retrying)
        </Text>
      ))}
    </>
  );
}

function DaemonConnection({ snap }: { snap: DashboardSnapshot }) {
  const lost = (s: ConnectionState) => s === 'error' || s === 'ended';
  const down = [lost(snap.events) ? 'event stream' : '', lost(snap.approvals) ? 'approvals stream' : ''].filter(Boolean);
  if (down.length) {
    const which = `the daemon's ${down.join(' and ')}`;
    return snap.error ? <Text color="red">lost {which}: {snap.error} (retrying)</Text> : <Text color="yellow">lost {which} (retrying)</Text>;
  }
  if (snap.error) return <Text color="red">{snap.error}</Text>;
  if (snap.events === 'connecting' || snap.approvals === 'connecting') return <Text dimColor>connecting to the daemon…</Text>;
  return null;
}

/** A line being typed: `label` then the text and a cursor. */
export function InputLine(props: { label: string; text: string; hint: string }) {
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-start">
        <Text color="cyan" bold>
          {props.label}
        </Text>{' '}
        {props.text}
        <Text inverse> </Text>
      </Text>
      <Text dimColor>{props.hint}</Text>
    </Box>
  );
}

/** The harness picker of `n`. */
export function HarnessPicker(props: { harnesses: readonly string[] | undefined; index: number }) {
  if (!props.harnesses) return <Text dimColor>listing harnesses…</Text>;
  return (
    <Box flexDirection="column">
      <Text>
        <Text color="cyan" bold>
          new session:
        </Text>
        {props.harnesses.map((h, i) => (
          <Text key={h} inverse={i === props.index} bold={i === props.index}>
            {' '}
            {h}{' '}
          </Text>
        ))}
      </Text>
      <Text dimColor>←/→ pick · enter start (detached, here) · esc cancel</Text>
    </Box>
  );
}
