import type { OmniEvent } from '../core/events.js';

/** One entry of omni_read: what a sub-agent said, or a tool call it made. */
export interface ReadEntry {
  seq: number;
  ts: string;
  kind: 'assistant' | 'tool';
  text?: string;
  tool?: string;
  summary?: string;
  ok?: boolean;
}

/** A model reads the reply: each message and the whole reply are capped (the rest: read on with `since`). */
const MAX_TEXT = 4_000;
const MAX_SUMMARY = 200;
const MAX_REPLY = 32_000;

/**
 * A child's log, compact: assistant messages, and tool calls with a one-line summary and
 * whether they succeeded (from the matching tool.result). `events` are those after `since`;
 * `last` keeps only the last N entries. `next` is the seq to pass as `since` to read on.
 */
export function compactEntries(events: readonly OmniEvent[], opts: { since: number; last?: number }): { entries: ReadEntry[]; next: number } {
  const results = new Map<string, boolean>();
  for (const ev of events) if (ev.type === 'tool.result') results.set((ev.data as { callId: string }).callId, (ev.data as { ok: boolean }).ok);
  let entries: ReadEntry[] = [];
  for (const ev of events) {
    if (ev.type === 'message.assistant') {
      const text = (ev.data as { text: string }).text ?? '';
      entries.push({ seq: ev.seq, ts: ev.ts, kind: 'assistant', text: clip(text, MAX_TEXT) });
    } else if (ev.type === 'tool.call') {
      const d = ev.data as { callId: string; tool: string; input: unknown };
      const ok = results.get(d.callId);
      entries.push({ seq: ev.seq, ts: ev.ts, kind: 'tool', tool: d.tool, summary: clip(oneLine(d.input), MAX_SUMMARY), ...(ok !== undefined ? { ok } : {}) });
    }
  }
  const lastSeq = events.length ? events[events.length - 1]!.seq : opts.since;
  if (opts.last !== undefined) entries = entries.slice(-opts.last);
  // Over the cap: `last` keeps the newest entries; `since` the oldest, and `next` stops there.
  let size = 0;
  const fits = (e: ReadEntry) => (size += JSON.stringify(e).length + 1) <= MAX_REPLY;
  if (opts.last !== undefined) {
    const kept: ReadEntry[] = [];
    for (let i = entries.length - 1; i >= 0 && fits(entries[i]!); i--) kept.unshift(entries[i]!);
    return { entries: kept, next: lastSeq };
  }
  const kept: ReadEntry[] = [];
  for (const e of entries) {
    if (!fits(e)) return { entries: kept, next: kept.length ? kept[kept.length - 1]!.seq : opts.since };
    kept.push(e);
  }
  return { entries: kept, next: lastSeq };
}

/** A tool input in one line: its command, path or query when it has one, else its JSON. */
function oneLine(input: unknown): string {
  if (input && typeof input === 'object') {
    const o = input as Record<string, unknown>;
    for (const k of ['command', 'cmd', 'file_path', 'path', 'pattern', 'url', 'query']) {
      const v = o[k];
      if (typeof v === 'string') return v.replace(/\s+/g, ' ').trim();
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(' ');
    }
  }
  return (JSON.stringify(input) ?? '').replace(/\s+/g, ' ');
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
