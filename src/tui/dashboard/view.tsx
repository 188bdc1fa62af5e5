import { Box, Text, useApp, useInput, useStdout, type Key } from 'ink';
import { useSyncExternalStore } from 'react';
import { editLine, MessageLine, useModalState } from '../approvals/parts.js';
import { eachKey } from '../keys.js';
import { totalSpendText } from './format.js';
import { columnWidths } from './layout.js';
import { AsksPanel, Connection, HarnessPicker, HeaderRow, InputLine, PreviewPane, SessionRow, useAgeClock } from './parts.js';
import type { DashboardSnapshot, DashboardStore } from './store.js';

/** How the dashboard was left: the caller attaches, opens `omni approvals`, or is done. */
export type DashboardOutcome = { kind: 'quit' } | { kind: 'attach'; session: { id: string; name: string; host?: string } } | { kind: 'approvals' };

export interface DashboardViewProps {
  store: DashboardStore;
  /** The clock for ages (injected so tests control it). */
  now?: () => number;
  /** 0 freezes the ages (tests); otherwise they redraw when a shown figure changes. */
  tickMs?: number;
  /** Bar width in cells. */
  barWidth?: number;
  /** Called once as the view exits the Ink app (q, Enter on a session, a). */
  onExit?: (outcome: DashboardOutcome) => void;
}

/** What the keys do right now: the list, or a line being typed, a picker, a confirmation. */
type Mode =
  | { kind: 'list' }
  | { kind: 'filter'; text: string; before: string }
  | { kind: 'send'; text: string }
  | { kind: 'rename'; text: string }
  | { kind: 'new'; index: number }
  | { kind: 'stop' };

export function useDashboard(store: DashboardStore): DashboardSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

const MAX_ASKS = 5;
const LIST: Mode = { kind: 'list' };

/**
 * `omni`: sessions with status and spend against budgets, the pending asks, the selected
 * session's screen, and the keys to act on it. Every action is a DashboardStore method.
 */
export function DashboardView({ store, now = Date.now, tickMs = 1000, barWidth = 10, onExit }: DashboardViewProps) {
  const snap = useDashboard(store);
  const [mode, getMode, setMode] = useModalState<Mode>(LIST);
  const t = useAgeClock(now, [...snap.rows.map((r) => r.createdAt), ...snap.asks.slice(0, MAX_ASKS).map((a) => a.createdAt)], tickMs > 0);
  const { exit } = useApp();
  const { stdout } = useStdout();

  const leave = (o: DashboardOutcome) => {
    onExit?.(o);
    exit();
  };
  const names = (ids: readonly string[]) => snap.rows.filter((r) => ids.includes(r.id)).map((r) => r.name);

  useInput((input: string, key: Key) => eachKey(input, key, () => getMode().kind === 'list', onKey));

  function onKey(input: string, key: Key) {
    const m = getMode();
    if (m.kind !== 'list') return typing(m, input, key);
    if (input === 'q' || (key.ctrl && input === 'c')) return leave({ kind: 'quit' });
    const row = store.selectedRow();
    if (key.upArrow || input === 'k') store.select(-1);
    else if (key.downArrow || input === 'j') store.select(1);
    else if (key.return) {
      if (row && (row.status === 'exited' || row.status === 'failed')) store.setMessage(`${row.name} has ${row.status}: R resumes it`, 'error');
      else if (row) leave({ kind: 'attach', session: { id: row.id, name: row.name, ...(row.host ? { host: row.host } : {}) } });
    } else if (input === 'a') leave({ kind: 'approvals' });
    else if (input === '/') setMode({ kind: 'filter', text: store.getSnapshot().filter, before: store.getSnapshot().filter });
    else if (input === 's' && store.targets().length) setMode({ kind: 'send', text: '' });
    else if (input === 'i') void store.interrupt();
    else if (input === 'x' && store.targets().length) setMode({ kind: 'stop' });
    else if (input === 'R') void store.resume();
    else if (input === 'r' && row) setMode({ kind: 'rename', text: row.name });
    else if (input === 'n') {
      setMode({ kind: 'new', index: 0 });
      void store.loadHarnesses();
    } else if (input === ' ') store.toggleMark();
    else if (input === '*') store.markAll();
    else if (input === 'e') void store.toggleEnded();
    else if (key.escape && store.getSnapshot().filter) store.setFilter('');
  }

  function typing(m: Exclude<Mode, { kind: 'list' }>, input: string, key: Key) {
    if (m.kind === 'stop') {
      if (input === 'y' || input === 'Y') void store.stop();
      return setMode(LIST);
    }
    if (m.kind === 'new') {
      const hs = store.getSnapshot().harnesses ?? [];
      if (key.escape) return setMode(LIST);
      if (key.leftArrow || key.upArrow) return setMode({ kind: 'new', index: Math.max(0, m.index - 1) });
      if (key.rightArrow || key.downArrow || key.tab) return setMode({ kind: 'new', index: Math.min(hs.length - 1, m.index + 1) });
      if (key.return && hs[m.index]) {
        setMode(LIST);
        void store.create(hs[m.index]!);
      }
      return;
    }
    // Text and Enter can arrive in one read (a paste, a busy process): the line ends at the newline.
    const nl = key.return ? -1 : input.search(/[\r\n]/);
    const e = nl >= 0 ? ({ kind: 'submit', text: m.text + input.slice(0, nl).replace(/[\u0000-\u001f\u007f]/g, '') } as const) : editLine(m.text, input, key);
    if (m.kind === 'filter') {
      if (e.kind === 'cancel') store.setFilter(m.before);
      else store.setFilter(e.text);
      return setMode(e.kind === 'text' ? { ...m, text: e.text } : LIST);
    }
    if (e.kind === 'cancel') return setMode(LIST);
    if (e.kind === 'text') return setMode({ ...m, text: e.text });
    setMode(LIST);
    if (m.kind === 'send') void store.sendPrompt(e.text);
    else void store.rename(e.text);
  }

  const width = stdout.columns || 80;
  const height = stdout.rows || 0; // 0: not a terminal (tests): no limit
  const cols = columnWidths(width);
  const asksShown = Math.min(snap.asks.length, MAX_ASKS);
  // Lines that are not rows or preview: header, connection, column titles, asks, message, mode/help.
  const fixed = 3 + (asksShown ? asksShown + 1 + (snap.asks.length > asksShown ? 1 : 0) : 0) + 1 + 3;
  const listRoom = height ? Math.max(1, Math.min(snap.rows.length, Math.max(3, Math.floor((height - fixed) * 0.4)))) : Infinity;
  const start = Math.max(0, Math.min(snap.selected - Math.floor(listRoom / 2), snap.rows.length - listRoom));
  const visible = snap.rows.slice(start, start + listRoom);
  const more = (start > 0 ? 1 : 0) + (start + visible.length < snap.rows.length ? 1 : 0);
  const previewRoom = height ? height - 1 - fixed - visible.length - more - 2 : 8;
  const targets = snap.marked.length ? names(snap.marked) : snap.selected >= 0 ? [snap.rows[snap.selected]!.name] : [];

  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>omni</Text>
        <Text dimColor>
          {' '}
          · {snap.unfiltered} session{snap.unfiltered === 1 ? '' : 's'} · {totalSpendText(snap.rows)}
        </Text>
        {snap.asks.length ? (
          <Text color="yellow" bold>
            {' '}
            · ⚠ {snap.asks.length} ask{snap.asks.length === 1 ? '' : 's'}
          </Text>
        ) : null}
        {snap.filter ? <Text color="cyan"> · /{snap.filter} ({snap.rows.length} shown)</Text> : null}
        {snap.showEnded ? <Text dimColor> · with ended</Text> : null}
        {snap.marked.length ? <Text color="magenta"> · {snap.marked.length} marked</Text> : null}
      </Text>
      <Connection snap={snap} />
      {!snap.loaded ? (
        <Text dimColor>loading sessions…</Text>
      ) : snap.rows.length === 0 ? (
        <Text dimColor>
          {snap.unfiltered ? `No session matches /${snap.filter} (esc clears it)` : 'No live sessions — n starts one (or: omni <harness> | omni run <spec>; omni doctor lists the harnesses)'}
        </Text>
      ) : (
        <Box flexDirection="column">
          <HeaderRow cols={cols} />
          {start > 0 ? <Text dimColor>  … {start} more above</Text> : null}
          {visible.map((r, i) => (
            <SessionRow key={r.id} row={r} selected={start + i === snap.selected} marked={snap.marked.includes(r.id)} now={t} cols={cols} barWidth={barWidth} />
          ))}
          {start + visible.length < snap.rows.length ? <Text dimColor>  … {snap.rows.length - start - visible.length} more below</Text> : null}
        </Box>
      )}
      <AsksPanel asks={snap.asks} selectedId={snap.selectedId} now={t} max={MAX_ASKS} />
      {snap.busy ? <Text color="cyan">{snap.busy}…</Text> : <MessageLine message={snap.message} />}
      {mode.kind === 'filter' ? (
        <InputLine label="/" text={mode.text} hint="type to filter (name, id, harness, status, tag:T) · enter keep · esc clear" />
      ) : mode.kind === 'send' ? (
        <InputLine label={`send to ${targets.join(', ')}:`} text={mode.text} hint="enter send · esc cancel" />
      ) : mode.kind === 'rename' ? (
        <InputLine label="rename to:" text={mode.text} hint="enter rename · esc cancel" />
      ) : mode.kind === 'new' ? (
        <HarnessPicker harnesses={snap.harnesses} index={mode.index} />
      ) : mode.kind === 'stop' ? (
        <Text color="red" bold>
          stop {targets.join(', ')}? y/n
        </Text>
      ) : (
        <Text dimColor>
          ↑↓ · ⏎ attach · s send · i interrupt · x stop · R resume · r rename · n new · / filter · ␣ mark · * all · e ended · a approvals{snap.asks.length ? ' (answer asks)' : ''} · q quit
        </Text>
      )}
      <PreviewPane snap={snap} lines={previewRoom} width={width} />
    </Box>
  );
}
