import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useSyncExternalStore } from 'react';
import type { Approval } from '../../approvals/types.js';
import { formatAge } from '../approvals/format.js';
import { MessageLine, useNow } from '../approvals/parts.js';
import { describeAsk, describeSpend, spendBar, statusColor, statusText, totalSpendText } from './format.js';
import type { ConnectionState, DashboardRow, DashboardSnapshot, DashboardStore } from './store.js';

/** How the dashboard was left: the caller attaches, opens `omni approvals`, or is done. */
export type DashboardOutcome = { kind: 'quit' } | { kind: 'attach'; session: { id: string; name: string } } | { kind: 'approvals' };

export interface DashboardViewProps {
  store: DashboardStore;
  /** The clock for ages (injected so tests control it). */
  now?: () => number;
  /** How often ages re-render; 0 disables the tick. */
  tickMs?: number;
  /** Bar width in cells. */
  barWidth?: number;
  /** Called once as the view exits the Ink app (q, Enter on a session, a). */
  onExit?: (outcome: DashboardOutcome) => void;
}

export function useDashboard(store: DashboardStore): DashboardSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

const MAX_ASKS = 5;
const COL = { name: 22, harness: 9, status: 27, age: 7, asks: 6 };

/** `omni`: live sessions with status and spend against budgets, and the pending asks. */
export function DashboardView({ store, now = Date.now, tickMs = 1000, barWidth = 10, onExit }: DashboardViewProps) {
  const snap = useDashboard(store);
  const t = useNow(now, tickMs);
  const { exit } = useApp();
  const { stdout } = useStdout();

  const leave = (o: DashboardOutcome) => {
    onExit?.(o);
    exit();
  };

  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) leave({ kind: 'quit' });
    else if (key.upArrow || input === 'k') store.select(-1);
    else if (key.downArrow || input === 'j') store.select(1);
    else if (key.return) {
      const row = store.selectedRow();
      if (row) leave({ kind: 'attach', session: { id: row.id, name: row.name } });
    } else if (input === 'a') leave({ kind: 'approvals' });
  });

  const asksShown = Math.min(snap.asks.length, MAX_ASKS);
  const room = stdout.rows ? Math.max(1, stdout.rows - 8 - (asksShown ? asksShown + 2 : 1)) : Infinity;
  const start = Math.max(0, Math.min(snap.selected - Math.floor(room / 2), snap.rows.length - room));
  const visible = snap.rows.slice(start, start + room);

  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>omni</Text>
        <Text dimColor>
          {' '}
          · {snap.rows.length} session{snap.rows.length === 1 ? '' : 's'} · {totalSpendText(snap.rows)}
        </Text>
        {snap.asks.length ? (
          <Text color="yellow" bold>
            {' '}
            · ⚠ {snap.asks.length} ask{snap.asks.length === 1 ? '' : 's'}
          </Text>
        ) : null}
      </Text>
      <Connection snap={snap} />
      {!snap.loaded ? (
        <Text dimColor>loading sessions…</Text>
      ) : snap.rows.length === 0 ? (
        <Text dimColor>No live sessions — start one with: omni claude | omni codex | omni pi | omni run &lt;spec&gt;</Text>
      ) : (
        <Box flexDirection="column">
          <Box>
            <Box width={2} />
            <Cell width={COL.name} dim text="SESSION" />
            <Cell width={COL.harness} dim text="HARNESS" />
            <Cell width={COL.status} dim text="STATUS" />
            <Cell width={COL.age} dim text="AGE" />
            <Cell width={COL.asks} dim text="ASKS" />
            <Text dimColor>SPEND</Text>
          </Box>
          {start > 0 ? <Text dimColor>  … {start} more above</Text> : null}
          {visible.map((r, i) => (
            <SessionRow key={r.id} row={r} selected={start + i === snap.selected} now={t} barWidth={barWidth} />
          ))}
          {start + visible.length < snap.rows.length ? <Text dimColor>  … {snap.rows.length - start - visible.length} more below</Text> : null}
        </Box>
      )}
      <AsksPanel asks={snap.asks} selectedId={snap.selectedId} now={t} />
      <MessageLine message={snap.message} />
      <Text dimColor>↑/↓ select · enter attach · a approvals{snap.asks.length ? ' (answer asks)' : ''} · q quit</Text>
    </Box>
  );
}

function Cell(props: { width: number; text: string; dim?: boolean; bold?: boolean; color?: string }) {
  return (
    <Box width={props.width} flexShrink={0} paddingRight={1}>
      <Text wrap="truncate-end" dimColor={props.dim} bold={props.bold} color={props.color}>
        {props.text}
      </Text>
    </Box>
  );
}

function SessionRow(props: { row: DashboardRow; selected: boolean; now: number; barWidth: number }) {
  const r = props.row;
  const sp = describeSpend(r.spend, r.budget, r.budgetSpendUsd);
  const barColor = sp.level === 'over' ? 'red' : sp.level === 'warn' ? 'yellow' : 'green';
  return (
    <Box>
      <Box width={2} flexShrink={0}>
        <Text color="cyan" bold>
          {props.selected ? '›' : ' '}
        </Text>
      </Box>
      <Cell width={COL.name} text={r.name} bold={props.selected} />
      <Cell width={COL.harness} text={r.harness} dim />
      <Cell width={COL.status} text={statusText(r)} color={statusColor(r.status)} dim={r.status === 'exited'} bold={r.status === 'waiting'} />
      <Cell width={COL.age} text={formatAge(r.createdAt, props.now)} dim />
      <Cell width={COL.asks} text={r.asks ? `⚠ ${r.asks}` : '·'} color={r.asks ? 'yellow' : undefined} dim={!r.asks} />
      <Text wrap="truncate-end">
        {sp.bar ? <Text color={barColor}>{spendBar(sp.bar.spentUsd, sp.bar.limitUsd, props.barWidth)} </Text> : null}
        <Text color={sp.level === 'over' ? 'red' : sp.level === 'warn' ? 'yellow' : undefined}>{sp.text}</Text>
        {sp.notes.length ? <Text dimColor> {sp.notes.join(' · ')}</Text> : null}
      </Text>
    </Box>
  );
}

function AsksPanel(props: { asks: readonly Approval[]; selectedId: string | undefined; now: number }) {
  if (!props.asks.length) return <Text dimColor>No pending asks.</Text>;
  const shown = props.asks.slice(0, MAX_ASKS);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text color="yellow" bold>
        Pending asks ({props.asks.length})
      </Text>
      {shown.map((a) => {
        const d = describeAsk(a, props.now);
        return (
          <Text key={a.id} wrap="truncate-end">
            <Text color="yellow">{a.session === props.selectedId ? '› ' : '  '}</Text>
            <Text bold>{d.session}</Text>
            {/* The id before what a narrow terminal cuts: an id is shown whole or not at all. */}
            <Text dimColor> {a.id}</Text>
            <Text color="yellow"> {d.policy}</Text>
            <Text> {d.request}</Text>
            <Text dimColor> · {d.age}</Text>
          </Text>
        );
      })}
      {props.asks.length > shown.length ? <Text dimColor>  … {props.asks.length - shown.length} more (press a, or run omni approvals)</Text> : null}
    </Box>
  );
}

function Connection({ snap }: { snap: DashboardSnapshot }) {
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
