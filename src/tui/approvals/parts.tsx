import { Box, Text, type Key } from 'ink';
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Approval } from '../../approvals/types.js';
import { describeRequest, describeWhat, nextAgeChangeMs } from './format.js';
import type { ApprovalsSnapshot, ApprovalsStore, ConnectionState, StatusMessage } from './store.js';

/** Small pieces shared by the approvals view and the popup. State lives in ApprovalsStore. */

export function useApprovals(store: ApprovalsStore): ApprovalsSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/**
 * The injected clock, re-read when a shown age would next read differently (not on a blind
 * tick: an idle view does not redraw). `enabled: false` freezes it (tests).
 */
export function useAgeClock(now: () => number, times: readonly string[], enabled: boolean): number {
  const [, setTick] = useState(0);
  const t = now();
  useEffect(() => {
    if (!enabled || !times.length) return;
    const timer = setTimeout(() => setTick((n) => n + 1), ageRedrawMs(times, now()));
    return () => clearTimeout(timer);
  }); // re-armed after every render: the next change depends on the time of this one
  return t;
}

/**
 * Minute labels ("5m") change at a different second for every row: redrawn one by one, 20 rows
 * would cost 20 renders a minute. They are redrawn together on a wall-clock grid instead, at
 * most AGE_BATCH_MS late; second labels (under a minute) still change on time.
 */
const AGE_BATCH_MS = 60_000;

export function ageRedrawMs(times: readonly string[], now: number): number {
  const wait = nextAgeChangeMs(times, now);
  if (wait < 1000 && times.some((iso) => now - Date.parse(iso) < 59_500)) return wait;
  return Math.ceil((now + wait) / AGE_BATCH_MS) * AGE_BATCH_MS - now;
}

/** Printable characters only: no newlines or escape sequences in a reason. */
const printable = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, '');

export type LineEdit = { kind: 'text'; text: string } | { kind: 'submit'; text: string } | { kind: 'cancel' };

/**
 * A one-line editor as a pure function: type, Backspace, Enter to submit, Esc to cancel. A busy
 * process or a paste can hand over several keys in one read: several Backspaces each count, and
 * text followed by a newline submits the line up to it.
 */
export function editLine(text: string, input: string, key: Key): LineEdit {
  if (key.escape) return { kind: 'cancel' };
  if (key.return) return { kind: 'submit', text };
  if (/^[\x7f\b]{2,}$/.test(input)) return { kind: 'text', text: Array.from(text).slice(0, -input.length).join('') };
  if (key.backspace || key.delete) return { kind: 'text', text: Array.from(text).slice(0, -1).join('') };
  const nl = input.search(/[\r\n]/);
  if (nl >= 0) return { kind: 'submit', text: text + printable(input.slice(0, nl)) };
  if (key.ctrl || key.meta) return { kind: 'text', text };
  return { kind: 'text', text: text + printable(input) };
}

/**
 * Input for a view whose keys depend on its mode. One handler stays subscribed for the view's
 * whole life and reads the latest mode from a ref: a key typed right after a mode switch is never
 * lost or sent to the old mode (useInput re-subscribes in an effect, after React renders).
 */
export function useModalState<T>(initial: T): [T, () => T, (v: T) => void] {
  const [state, setState] = useState(initial);
  const ref = useRef(initial);
  const get = useCallback(() => ref.current, []);
  const set = useCallback((v: T) => {
    ref.current = v;
    setState(v);
  }, []);
  return [state, get, set];
}

/** What a deny reason being typed looks like. */
export function ReasonPrompt(props: { label: string; text: string }) {
  return (
    <Box flexDirection="column">
      <Text>
        <Text color="red" bold>
          {props.label}
        </Text>{' '}
        reason: {props.text}
        <Text inverse> </Text>
      </Text>
      <Text dimColor>Enter send · Esc cancel (an empty reason is fine)</Text>
    </Box>
  );
}

/** What is being asked about: the exact command or paths, or a prompt excerpt. */
export function RequestText(props: { approval: Approval }) {
  const d = describeRequest(props.approval);
  const prefix = d.label === 'command' ? '$ ' : d.label === 'request' ? '' : `${d.label}: `;
  return (
    <Text>
      <Text dimColor>{describeWhat(props.approval)} </Text>
      {prefix}
      <Text bold>{d.label === 'prompt' ? `“${d.text}”` : d.text}</Text>
    </Text>
  );
}

export function MessageLine(props: { message: StatusMessage | undefined }) {
  if (!props.message) return null;
  return <Text color={props.message.kind === 'error' ? 'red' : 'green'}>{props.message.text}</Text>;
}

export function ConnectionLine(props: { connection: ConnectionState; error: string | undefined; loaded: boolean }) {
  if (props.connection === 'live') return null;
  if (props.connection === 'connecting') return <Text dimColor>{props.loaded ? 'reconnecting to the daemon…' : 'connecting to the daemon…'}</Text>;
  if (props.connection === 'error') return <Text color="red">lost the daemon's approvals stream: {props.error ?? 'unknown error'} (retrying)</Text>;
  return <Text color="yellow">the daemon closed the approvals stream (retrying)</Text>;
}
