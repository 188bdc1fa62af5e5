import type { SessionStatus } from './events.js';

/** `s` on one line (runs of whitespace become one space), cut to `max` characters with `…`. */
export function oneLine(s: string, max = Infinity): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, Math.max(0, max - 1)) + '…' : t;
}

/** An omni id in a sentence (`ap_…`, `s_…`): shown whole or not at all, never cut. */
const ID = /\b(?:ap|s)_[a-z0-9]+\b/;

/**
 * A status reason short enough for a table cell (`omni ls`, the dashboard): an approval's reason
 * (`approval ap_…: <why>`) becomes its id, anything else is cut at a word to `max` characters.
 * An id is never cut: if the cut would fall inside one, the text stops before it.
 */
export function shortReason(reason: string, max: number): string {
  const t = reason.replace(/\s+/g, ' ').trim();
  const ask = /^approval (ap_[a-z0-9]+)\b/.exec(t);
  if (ask) return ask[1]!.length <= max ? ask[1]! : '';
  if (t.length <= max) return t;
  if (max < 2) return '';
  let cut = t.slice(0, max - 1);
  const sp = cut.lastIndexOf(' ');
  if (sp >= max / 2) cut = cut.slice(0, sp);
  // Does the cut end inside an id? Then stop before that id.
  const tail = /\S+$/.exec(cut)?.[0] ?? '';
  const whole = /\S+/.exec(t.slice(cut.length - tail.length))?.[0] ?? '';
  if (tail && tail !== whole && ID.test(whole)) cut = cut.slice(0, cut.length - tail.length);
  cut = cut.trimEnd();
  return cut ? `${cut}…` : '';
}

/** `waiting (ap_fc9d1e2a3b)`, `idle (prompt blocked by policy)`, or the bare status when no reason fits. */
export function shortStatus(status: SessionStatus, reason: string | undefined, max = 40): string {
  if (!reason) return status;
  const room = max - status.length - 3;
  const r = room > 0 ? shortReason(reason, room) : '';
  return r ? `${status} (${r})` : status;
}
