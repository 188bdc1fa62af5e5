import { Box, Text, useApp, useInput } from 'ink';
import { useEffect } from 'react';
import { formatAge, oneLine } from './format.js';
import { ConnectionLine, MessageLine, ReasonPrompt, RequestText, editLine, useApprovals, useModalState, useAgeClock } from './parts.js';
import type { ApprovalsStore } from './store.js';

export interface PopupOutcome {
  /** False when the person left with q/Esc and the ask is still pending. */
  answered: boolean;
  /** What happened (our answer, someone else's, or an error). */
  message?: string;
}

export interface ApprovalPopupProps {
  /** A store filtered to this one approval. */
  store: ApprovalsStore;
  id: string;
  now?: () => number;
  tickMs?: number;
  /** How long the result stays on screen before the popup closes. */
  exitDelayMs?: number;
  onExit?: (outcome: PopupOutcome) => void;
}

/** One ask, compact, for `tmux display-popup -E` over the agent's pane. */
export function ApprovalPopup({ store, id, now = Date.now, tickMs = 1000, exitDelayMs = 800, onExit }: ApprovalPopupProps) {
  const snap = useApprovals(store);
  const approval = snap.pending.find((a) => a.id === id);
  const t = useAgeClock(now, approval ? [approval.createdAt] : [], tickMs > 0);
  const { exit } = useApp();
  /** The deny reason being typed, or undefined. */
  const [reason, getReason, setReason] = useModalState<string | undefined>(undefined);
  const gone = snap.loaded && !approval;

  useEffect(() => {
    if (!gone) return;
    setReason(undefined);
    const message = store.getSnapshot().message?.text ?? `${id} is no longer pending`;
    const timer = setTimeout(() => {
      onExit?.({ answered: true, message });
      exit();
    }, exitDelayMs);
    return () => clearTimeout(timer);
  }, [gone]);

  useInput((input, key) => {
    const typed = getReason();
    if (typed !== undefined) {
      const e = editLine(typed, input, key);
      if (e.kind === 'cancel') setReason(undefined);
      else if (e.kind === 'submit') {
        setReason(undefined);
        void store.deny(id, e.text);
      } else setReason(e.text);
      return;
    }
    if (input === 'q' || key.escape) {
      onExit?.({ answered: false });
      exit();
      return;
    }
    const current = store.getSnapshot();
    if (!current.pending.some((a) => a.id === id)) return;
    if (input === 'a') void store.approve(id, 'once');
    else if (input === 's') void store.approve(id, 'session');
    else if (input === 'd') setReason('');
  });

  if (!approval) {
    return (
      <Box flexDirection="column">
        {gone ? <MessageLine message={snap.message ?? { kind: 'info', text: `${id} is no longer pending` }} /> : <Text dimColor>loading {id}…</Text>}
        <ConnectionLine connection={snap.connection} error={snap.connectionError} loaded={snap.loaded} />
      </Box>
    );
  }
  const answering = snap.answering.includes(id);
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold color="yellow">
          omni: {approval.sessionName}
        </Text>
        <Text dimColor>
          {' '}
          ({approval.harness}) asks · {formatAge(approval.createdAt, t)} · {approval.id}
        </Text>
      </Text>
      <RequestText approval={approval} />
      <Text>
        <Text dimColor>why: </Text>
        {oneLine(approval.reason, 300)}
        <Text dimColor> ({approval.policies.join(', ') || 'no policy'})</Text>
      </Text>
      <ConnectionLine connection={snap.connection} error={snap.connectionError} loaded={snap.loaded} />
      <MessageLine message={snap.message} />
      {answering ? <Text color="magenta">sending…</Text> : null}
      {reason !== undefined ? (
        <ReasonPrompt label={`deny ${id}`} text={reason} />
      ) : (
        <Text dimColor>a approve once · s approve for the session · d deny · q/Esc leave it pending</Text>
      )}
    </Box>
  );
}
