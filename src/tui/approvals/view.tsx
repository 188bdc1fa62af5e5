import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect } from 'react';
import type { Approval } from '../../approvals/types.js';
import { askWhere, formatAge, oneLine } from './format.js';
import { ConnectionLine, MessageLine, ReasonPrompt, RequestText, editLine, useApprovals, useModalState, useAgeClock } from './parts.js';
import type { ApprovalsStore } from './store.js';

export interface ApprovalsViewProps {
  store: ApprovalsStore;
  /** The clock for ages (injected so tests control it). */
  now?: () => number;
  /** 0 freezes the clock (tests); any other value lets ages tick when their text changes. */
  tickMs?: number;
  /** Called on `q` (the view also exits the Ink app). */
  onQuit?: () => void;
}

const ROW_LINES = 3;

/** Every pending ask across sessions: one row per ask, keys to answer. */
export function ApprovalsView({ store, now = Date.now, tickMs = 1000, onQuit }: ApprovalsViewProps) {
  const snap = useApprovals(store);
  const t = useAgeClock(now, snap.pending.map((a) => a.createdAt), tickMs > 0);
  const { exit } = useApp();
  const { stdout } = useStdout();
  /** A deny reason being typed, for the approval selected at `d` (rows may move meanwhile). */
  const [denying, getDenying, setDenying] = useModalState<{ id: string; text: string } | undefined>(undefined);

  // Someone else answered it while we typed: drop the input (the store's message says who).
  useEffect(() => {
    if (denying && !snap.pending.some((a) => a.id === denying.id)) setDenying(undefined);
  }, [denying, snap.pending, setDenying]);

  useInput((input, key) => {
    const d = getDenying();
    if (d) {
      const e = editLine(d.text, input, key);
      if (e.kind === 'cancel') setDenying(undefined);
      else if (e.kind === 'submit') {
        setDenying(undefined);
        void store.deny(d.id, e.text);
      } else setDenying({ id: d.id, text: e.text });
      return;
    }
    if (input === 'q') {
      onQuit?.();
      exit();
    } else if (key.upArrow || input === 'k') store.select(-1);
    else if (key.downArrow || input === 'j') store.select(1);
    else if (input === 'a') void store.approveSelected('once');
    else if (input === 's') void store.approveSelected('session');
    else if (input === 'd') {
      const id = store.getSnapshot().selectedId;
      if (id) setDenying({ id, text: '' });
    }
  });

  const rows = stdout.rows ? Math.max(1, Math.floor((stdout.rows - 7) / ROW_LINES)) : Infinity;
  const start = Math.max(0, Math.min(snap.selected - Math.floor(rows / 2), snap.pending.length - rows));
  const visible = snap.pending.slice(start, start + rows);

  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>omni approvals</Text>
        <Text dimColor> · {snap.pending.length} pending</Text>
      </Text>
      <ConnectionLine connection={snap.connection} error={snap.connectionError} loaded={snap.loaded} />
      {snap.hostErrors.map((h) => (
        <Text key={h.host} color="red" wrap="truncate-end">
          {h.host}: unreachable: {oneLine(h.error, 120)} (retrying)
        </Text>
      ))}
      {snap.pending.length === 0 ? (
        <Text dimColor>No pending approvals — waiting for asks…</Text>
      ) : (
        <Box flexDirection="column">
          {start > 0 ? <Text dimColor>  … {start} more above</Text> : null}
          {visible.map((a, i) => (
            <ApprovalRow key={a.id} approval={a} selected={start + i === snap.selected} answering={snap.answering.includes(a.id)} now={t} />
          ))}
          {start + visible.length < snap.pending.length ? <Text dimColor>  … {snap.pending.length - start - visible.length} more below</Text> : null}
        </Box>
      )}
      <MessageLine message={snap.message} />
      {/* Not for an ask that is gone: the effect above drops it a render later. */}
      {denying && snap.pending.some((a) => a.id === denying.id) ? <ReasonPrompt label={`deny ${denying.id}`} text={denying.text} /> : <Footer />}
    </Box>
  );
}

function ApprovalRow(props: { approval: Approval; selected: boolean; answering: boolean; now: number }) {
  const a = props.approval;
  return (
    <Box flexDirection="column">
      <Text>
        <Text color="cyan" bold>
          {props.selected ? '› ' : '  '}
        </Text>
        <Text bold={props.selected}>{askWhere(a)}</Text>
        <Text dimColor> ({a.harness})</Text>
        <Text color="yellow"> {a.policies.join(', ') || '(no policy)'}</Text>
        <Text dimColor>
          {' '}
          · {formatAge(a.createdAt, props.now)} · {a.id}
        </Text>
        {props.answering ? <Text color="magenta"> sending…</Text> : null}
      </Text>
      <Box paddingLeft={4}>
        <RequestText approval={a} />
      </Box>
      <Box paddingLeft={4}>
        <Text dimColor>why: {oneLine(a.reason, 300)}</Text>
      </Box>
    </Box>
  );
}

function Footer() {
  return <Text dimColor>a approve once · s approve for the session · d deny · ↑/↓ j/k move · q quit</Text>;
}
