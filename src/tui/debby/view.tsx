import { Box, Text, useApp, useInput, useStdout, type Key } from 'ink';
import { useSyncExternalStore } from 'react';
import { usdShort } from '../../cost/format.js';
import { editLine, MessageLine, useModalState } from '../approvals/parts.js';
import { statusColor } from '../dashboard/format.js';
import { wrapText, type DebbyColumn } from './columns.js';
import { parseInput } from './input.js';
import type { DebbySnapshot, DebbyStore } from './store.js';

export interface DebbyViewProps {
  store: DebbyStore;
  /** Called once as the view leaves (`/quit`, Ctrl-C). The heads keep running. */
  onExit?: () => void;
}

export function useDebby(store: DebbyStore): DebbySnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

const usd = (n: number | undefined) => (n === undefined ? '-' : usdShort(n));
/** Cells between two columns: a rule and a space either side. */
const GAP = 3;
/** Lines that are not a column's text: header, question, a column's head/title/rule, agreement, message, input, help. */
const FIXED = 9;

/**
 * `omni debby view`: the heads side by side, each column its head's answer to the current
 * exchange as it streams (the last lines that fit), the agreement line, costs, and the input
 * line. Every action is a DebbyStore method; this only draws and maps keys.
 */
export function DebbyView({ store, onExit }: DebbyViewProps) {
  const snap = useDebby(store);
  const [line, getLine, setLine] = useModalState('');
  const { exit } = useApp();
  const { stdout } = useStdout();

  const leave = () => {
    onExit?.();
    exit();
  };

  useInput((input: string, key: Key) => {
    if (key.ctrl && input === 'c') return leave();
    const cur = getLine();
    const e = editLine(cur, input, key);
    if (e.kind === 'cancel') return setLine('');
    if (e.kind === 'text') return setLine(e.text);
    const p = parseInput(e.text);
    if (p.kind === 'quit') return leave();
    if (p.kind === 'none') return setLine('');
    // Refused while an exchange is under way: the line stays, to be sent when it is over.
    const no = p.kind === 'ask' || p.kind === 'debate' ? store.refusal() : undefined;
    if (no) {
      setLine(e.text);
      return store.setMessage(no, 'error');
    }
    setLine('');
    void store.submit(e.text);
  });

  const width = Math.max(20, stdout.columns || 80);
  const height = stdout.rows || 0; // 0: not a terminal (tests): no limit
  const n = Math.max(1, snap.columns.length);
  const colWidth = Math.max(8, Math.floor((width - 1 - GAP * (n - 1)) / n));
  // One line spare: a frame as tall as the terminal makes Ink clear the screen on every redraw.
  const room = height ? Math.max(1, height - FIXED - 1 - (snap.connection === 'live' ? 0 : 1)) : Infinity;

  return (
    <Box flexDirection="column">
      <Header snap={snap} />
      {snap.connection === 'live' ? null : (
        <Text color={snap.connection === 'error' ? 'red' : 'yellow'} wrap="truncate-end">
          {snap.connection === 'connecting' ? 'connecting to the daemon…' : `the daemon's event stream ${snap.connection === 'error' ? `broke: ${snap.error ?? ''}` : 'ended'} (retrying)`}
        </Text>
      )}
      <Text wrap="truncate-end" dimColor={!snap.question}>
        {snap.question ? (
          <>
            <Text dimColor>question: </Text>
            {snap.question.replace(/\s+/g, ' ')}
          </>
        ) : snap.loaded ? (
          'no question yet: type one below'
        ) : snap.error ? (
          <Text color="red">{snap.error}</Text>
        ) : (
          'loading the run…'
        )}
      </Text>
      <Box flexDirection="row">
        {snap.columns.map((c, i) => (
          <Column key={c.session} col={c} width={colWidth} room={room} first={i === 0} last={i === snap.columns.length - 1} synth={snap.synth === c.label} />
        ))}
      </Box>
      <Text wrap="truncate-end" color="cyan">
        {snap.agreement}
      </Text>
      {snap.busy ? (
        <Text wrap="truncate-end">
          <Text color="cyan">{snap.busy}</Text>
          {snap.message ? <Text color={snap.message.kind === 'error' ? 'red' : 'green'}> · {snap.message.text}</Text> : null}
        </Text>
      ) : snap.message ? (
        <MessageLine message={snap.message} />
      ) : (
        <Text> </Text>
      )}
      <Text wrap="truncate-start">
        <Text bold color={snap.busy ? 'gray' : 'green'}>
          ›{' '}
        </Text>
        {line}
        <Text inverse> </Text>
      </Text>
      <Text dimColor wrap="truncate-end">
        enter asks every head · /debate [N] each critiques the others, then a synthesis · /quit or ctrl-c leaves (the heads keep running)
      </Text>
    </Box>
  );
}

function Header({ snap }: { snap: DebbySnapshot }) {
  return (
    <Text wrap="truncate-end">
      <Text bold>omni debby</Text> {snap.run}
      {snap.status ? <Text color={snap.status === 'ended' ? 'red' : 'green'}> · {snap.status}</Text> : null}
      <Text dimColor>
        {' '}
        · {snap.columns.length} heads · total {usd(snap.totalUsd)}
      </Text>
    </Text>
  );
}

/** A head's column: `width` cells of text, then (but the last) a space, a rule and a space before the next. */
function Column({ col, width, room, first, last, synth }: { col: DebbyColumn; width: number; room: number; first: boolean; last: boolean; synth: boolean }) {
  const inner = width;
  const body = col.error ? [] : wrapText(col.text, inner);
  while (body.length && !body[body.length - 1]!.trim()) body.pop();
  const shown = Number.isFinite(room) ? body.slice(-room) : body;
  const cut = body.length - shown.length;
  if (cut > 0 && shown.length) shown[0] = `… ${cut} line${cut === 1 ? '' : 's'} above`;
  return (
    <Box
      flexDirection="column"
      width={width + (first ? 0 : 1) + (last ? 0 : 2)}
      flexShrink={0}
      paddingLeft={first ? 0 : 1}
      paddingRight={last ? 0 : 1}
      borderStyle="single" borderTop={false} borderBottom={false} borderLeft={false} borderRight={!last} borderDimColor>
      <Text wrap="truncate-end">
        <Text bold>{col.label}</Text>
        {col.label !== col.harness ? <Text dimColor> ({col.harness})</Text> : null}
        {col.status ? <Text color={statusColor(col.status)}> · {col.status}</Text> : null}
        <Text> · {usd(col.costUsd)}</Text>
        {synth ? <Text dimColor> · synth</Text> : null}
      </Text>
      <Text wrap="truncate-end" dimColor>
        {col.title || 'no answer yet'}
        {col.streaming ? <Text color="cyan"> ▍streaming</Text> : null}
      </Text>
      <Text dimColor>{'─'.repeat(Math.max(1, inner))}</Text>
      {col.error ? (
        <Text color="red" wrap="wrap">
          no answer: {col.error}
        </Text>
      ) : (
        shown.map((l, i) => (
          <Text key={i} wrap="truncate-end" dimColor={cut > 0 && i === 0}>
            {l || ' '}
          </Text>
        ))
      )}
    </Box>
  );
}
