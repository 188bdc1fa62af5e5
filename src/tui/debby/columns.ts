import { agreement, agreementLine } from '../../debby/agreement.js';
import type { DebbyExchange, DebbyHead, DebbyRun } from '../../debby/types.js';
import type { SessionStatus } from '../../core/events.js';

/**
 * What the Debby view shows, as plain functions of the run (as `GET /v1/debby/:run` answered it)
 * and the text streamed since (no React, no I/O): a column per head, the agreement line, and
 * text wrapped to a column's width.
 */

/** A head's answer to an exchange as it streams in (its log's events since the exchange started). */
export interface LiveAnswer {
  n: number;
  kind: DebbyExchange['kind'];
  round?: number;
  /** The turn's whole assistant messages so far, and the part of the next one streamed (text.delta). */
  text: string;
  partial: string;
  /** Until the exchange's `done` event. */
  open: boolean;
}

export interface DebbyColumn {
  label: string;
  harness: string;
  session: string;
  name: string;
  status?: SessionStatus;
  costUsd?: number;
  /** Which exchange the text answers: `ask 1`, `debate round 1`, `synthesis`; empty before any. */
  title: string;
  text: string;
  error?: string;
  /** The text is still coming. */
  streaming: boolean;
}

const SHOWN_FOR_AGREEMENT: ReadonlyArray<DebbyExchange['kind']> = ['ask', 'critique'];

export function exchangeTitle(x: Pick<DebbyExchange, 'n' | 'kind' | 'round'>): string {
  if (x.kind === 'ask') return `ask ${x.n}`;
  if (x.kind === 'synthesis') return 'synthesis';
  return `debate round ${x.round ?? '?'}`;
}

interface Picked {
  title: string;
  text: string;
  error?: string;
  streaming: boolean;
}

/**
 * A head's latest answer, of the given kinds: the stored one, unless the live stream is of a
 * later exchange or of the same exchange before the daemon stored its answer.
 */
function pick(run: DebbyRun, head: DebbyHead, live: LiveAnswer | undefined, kinds?: ReadonlyArray<DebbyExchange['kind']>): Picked | undefined {
  let stored: { x: DebbyExchange; text: string; error?: string } | undefined;
  for (let i = run.exchanges.length - 1; i >= 0 && !stored; i--) {
    const x = run.exchanges[i]!;
    if (kinds && !kinds.includes(x.kind)) continue;
    const a = x.answers.find((y) => y.head === head.label);
    if (a) stored = { x, text: a.text, ...(a.error ? { error: a.error } : {}) };
  }
  const useLive =
    live && (!kinds || kinds.includes(live.kind)) && (!stored || live.n > stored.x.n || (live.n === stored.x.n && !stored.x.endedAt && !stored.text && !stored.error));
  if (useLive) {
    const text = live.text && live.partial ? `${live.text}\n\n${live.partial}` : live.text || live.partial;
    return { title: exchangeTitle(live), text, streaming: live.open };
  }
  if (!stored) return undefined;
  return { title: exchangeTitle(stored.x), text: stored.text, ...(stored.error ? { error: stored.error } : {}), streaming: false };
}

export function columnsOf(run: DebbyRun, live: ReadonlyMap<string, LiveAnswer>, status: ReadonlyMap<string, SessionStatus>): DebbyColumn[] {
  return run.heads.map((h) => {
    const p = pick(run, h, live.get(h.session));
    const st = status.get(h.session);
    return {
      label: h.label,
      harness: h.harness,
      session: h.session,
      name: h.name,
      ...(st ? { status: st } : {}),
      ...(h.costUsd !== undefined ? { costUsd: h.costUsd } : {}),
      title: p?.title ?? '',
      text: p?.text ?? '',
      ...(p?.error ? { error: p.error } : {}),
      streaming: p?.streaming ?? false,
    };
  });
}

/** The agreement line over each head's latest answer to a question or a debate round (not a synthesis: one head writes it). */
export function agreementOf(run: DebbyRun, live: ReadonlyMap<string, LiveAnswer>): string {
  const answers = run.heads.flatMap((h) => {
    const p = pick(run, h, live.get(h.session), SHOWN_FOR_AGREEMENT);
    return p && !p.error ? [{ label: h.label, text: p.text }] : [];
  });
  return agreementLine(agreement(answers));
}

/** The question being answered (the latest `ask`), for the line above the columns. */
export function currentQuestion(run: DebbyRun): string | undefined {
  for (let i = run.exchanges.length - 1; i >= 0; i--) if (run.exchanges[i]!.kind === 'ask') return run.exchanges[i]!.prompt;
  return undefined;
}

/** Cells a character takes: East Asian wide characters and most emoji take two. */
function cells(ch: string): number {
  const c = ch.codePointAt(0)!;
  if (c < 0x1100) return 1;
  const wide =
    (c <= 0x115f) ||
    (c >= 0x2e80 && c <= 0xa4cf) ||
    (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) ||
    (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) ||
    (c >= 0x1f300 && c <= 0x1faff) ||
    (c >= 0x20000 && c <= 0x3fffd);
  return wide ? 2 : 1;
}

/**
 * Text as lines at most `width` cells wide: words wrap, a word longer than a line is cut, tabs
 * become spaces and control characters go. The view shows the last lines that fit, so the
 * newest streamed text stays in sight.
 */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, Math.floor(width));
  const out: string[] = [];
  for (const raw of text.replace(/\r\n?/g, '\n').replace(/\t/g, '  ').replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '').split('\n')) {
    let line = '';
    let used = 0;
    for (const word of raw.split(/(\s+)/)) {
      if (!word) continue;
      const chars = Array.from(word);
      const len = chars.reduce((n, ch) => n + cells(ch), 0);
      if (used + len <= w) {
        line += word;
        used += len;
        continue;
      }
      if (/^\s+$/.test(word)) {
        // Spaces at a break are dropped, not carried to the next line.
        out.push(line.trimEnd());
        line = '';
        used = 0;
        continue;
      }
      if (used > 0 && len <= w) {
        out.push(line.trimEnd());
        line = word;
        used = len;
        continue;
      }
      for (const ch of chars) {
        const n = cells(ch);
        if (used + n > w) {
          out.push(line);
          line = '';
          used = 0;
        }
        line += ch;
        used += n;
      }
    }
    out.push(line.trimEnd());
  }
  return out;
}
