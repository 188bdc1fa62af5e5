import { Box, Text, useApp, useInput, useStdout, type Key } from 'ink';
import { useSyncExternalStore } from 'react';
import { editLine, MessageLine, useModalState } from '../approvals/parts.js';
import { InputLine } from '../dashboard/parts.js';
import { columns, Connection, Header, HeaderRow, PagerView, TaskRow } from './parts.js';
import type { BoardSnapshot, PollyBoardStore } from './store.js';

/** How the board was left: the caller attaches to a worker, or is done. */
export type BoardOutcome = { kind: 'quit' } | { kind: 'attach'; session: { id: string; name: string } };

export interface PollyBoardProps {
  store: PollyBoardStore;
  /** Called once as the view exits the Ink app (q, a). */
  onExit?: (outcome: BoardOutcome) => void;
}

/** What the keys do now: the task list, a send-back note being typed, the merge y/N. */
type Mode = { kind: 'list' } | { kind: 'note'; text: string } | { kind: 'merge' };
const LIST: Mode = { kind: 'list' };

export function useBoard(store: PollyBoardStore): BoardSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/**
 * `omni polly board`: the run's tasks with worker, status, review and cost, live; keys to
 * attach to a worker, read a diff or a review, approve, send back with a note, and merge. Every
 * action is a PollyBoardStore method.
 */
export function PollyBoardView({ store, onExit }: PollyBoardProps) {
  const snap = useBoard(store);
  const [mode, getMode, setMode] = useModalState<Mode>(LIST);
  const { exit } = useApp();
  const { stdout } = useStdout();
  const width = stdout.columns || 100;
  const height = stdout.rows || 0; // 0: not a terminal (tests): no limit
  const pageLines = height ? Math.max(3, height - 6) : 20;

  const leave = (o: BoardOutcome) => {
    onExit?.(o);
    exit();
  };

  useInput((input: string, key: Key) => {
    const m = getMode();
    if (key.ctrl && input === 'c') return leave({ kind: 'quit' });
    if (m.kind === 'merge') {
      setMode(LIST);
      if (input === 'y' || input === 'Y') void store.merge();
      else store.setMessage('not merged');
      return;
    }
    if (m.kind === 'note') {
      const e = editLine(m.text, input, key);
      if (e.kind === 'cancel') return setMode(LIST);
      if (e.kind === 'text') return setMode({ kind: 'note', text: e.text });
      setMode(LIST);
      if (e.text.trim()) void store.sendBack(e.text);
      return;
    }
    const s = store.getSnapshot();
    if (s.pager) {
      if (input === 'q' || key.escape) store.closePager();
      else if (key.upArrow || input === 'k') store.scroll(-1, pageLines);
      else if (key.downArrow || input === 'j') store.scroll(1, pageLines);
      else if (key.pageUp || input === 'b') store.scroll(-pageLines, pageLines);
      else if (key.pageDown || input === ' ') store.scroll(pageLines, pageLines);
      return;
    }
    if (input === 'q') return leave({ kind: 'quit' });
    if (key.upArrow || input === 'k') store.select(-1);
    else if (key.downArrow || input === 'j') store.select(1);
    else if (input === 'a') {
      const w = store.workerToAttach();
      if (w) leave({ kind: 'attach', session: w });
    } else if (input === 'd') void store.showDiff();
    else if (input === 'r') store.showReview();
    else if (input === 'y') void store.approve();
    else if (input === 's') {
      const row = store.selectedRow();
      if (row?.canSendBack) setMode({ kind: 'note', text: '' });
      else if (row) store.setMessage(`${row.id} is ${row.status.replace('_', ' ')}${row.worker ? '' : ' and has no worker'}: nothing to send back to`, 'error');
    } else if (input === 'm') {
      const n = s.rows.filter((r) => r.canMerge).length;
      if (n) setMode({ kind: 'merge' });
      else store.setMessage('no approved task to merge (y approves the selected one)', 'error');
    }
  });

  if (snap.pager) return <PagerView pager={snap.pager} lines={pageLines} width={width} />;

  const cols = columns(width);
  const approved = snap.rows.filter((r) => r.canMerge).map((r) => r.id);
  const selected = snap.selected >= 0 ? snap.rows[snap.selected] : undefined;
  return (
    <Box flexDirection="column">
      {snap.header ? <Header header={snap.header} /> : <Text bold>Polly {store.runId()}</Text>}
      <Connection snap={snap} />
      {!snap.loaded ? (
        <Text dimColor>loading the run…</Text>
      ) : snap.rows.length === 0 ? (
        <Text dimColor>no tasks yet: the lead is planning (omni attach {snap.run?.lead.name} to talk to it)</Text>
      ) : (
        <Box flexDirection="column">
          <HeaderRow cols={cols} />
          {snap.rows.map((r, i) => (
            <TaskRow key={r.id} row={r} selected={i === snap.selected} cols={cols} />
          ))}
        </Box>
      )}
      {snap.busy ? <Text color="cyan">{snap.busy}…</Text> : <MessageLine message={snap.message} />}
      {mode.kind === 'note' ? (
        <InputLine label={`send ${selected?.id ?? ''} back:`} text={mode.text} hint="a note for the worker · enter send · esc cancel" />
      ) : mode.kind === 'merge' ? (
        <Text color="magenta" bold>
          merge {approved.join(', ')} into {snap.run?.base}? y/N
        </Text>
      ) : (
        <Text dimColor>↑↓ · a attach · d diff · r review · y approve · s send back · m merge approved · q quit</Text>
      )}
    </Box>
  );
}
