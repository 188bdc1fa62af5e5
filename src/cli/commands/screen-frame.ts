/**
 * The pure parts of a guest's `omni watch` (screen-watch.ts): a pane's captured screen (with
 * its SGR escapes) fitted to this terminal, and which rows changed since the last frame.
 */

// An escape sequence: CSI (ESC [ … final byte), OSC (ESC ] … BEL or ESC \), or ESC + one byte.
const ESCAPE = /^\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/;
const RESET = '\x1b[0m';

/** Columns a code point takes: 0 for combining marks and controls, 2 for wide (CJK, emoji), else 1. */
export function charWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x300 && cp < 0x370) || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd)) return 2;
  return 1;
}

/** `line` cut to `cols` columns; escapes pass through (they take no room), and what it sets is reset at the end. */
export function fitLine(line: string, cols: number): string {
  let out = '';
  let used = 0;
  let styled = false;
  for (let i = 0; i < line.length; ) {
    if (line[i] === '\x1b') {
      const m = ESCAPE.exec(line.slice(i));
      if (m) {
        // Only SGR is kept: a cursor move or a title in the captured text would break the frame.
        if (m[0].endsWith('m') && m[0][1] === '[') {
          out += m[0];
          styled = true;
        }
        i += m[0].length;
        continue;
      }
      i++;
      continue;
    }
    const cp = line.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const w = charWidth(cp);
    if (used + w > cols) break;
    if (w > 0 || cp >= 0x20) out += ch;
    used += w;
    i += ch.length;
  }
  return styled ? out + RESET : out;
}

/**
 * The screen as `rows` lines of at most `cols` columns. A pane taller than the terminal shows
 * its bottom (where a harness draws its input box and the newest output).
 */
export function fitFrame(text: string, cols: number, rows: number): string[] {
  const lines = text.split('\n');
  const shown = lines.slice(Math.max(0, lines.length - rows)).map((l) => fitLine(l, cols));
  while (shown.length < rows) shown.push('');
  return shown;
}

/** The rows of `next` that differ from `prev` (every row when there is no `prev` or its height differs). */
export function changedRows(prev: readonly string[] | undefined, next: readonly string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < next.length; i++) if (!prev || prev.length !== next.length || prev[i] !== next[i]) out.push(i);
  return out;
}

/** What redraws `rows` of `frame` (1-based terminal rows from the top), each cleared to its end. */
export function drawRows(frame: readonly string[], rows: readonly number[]): string {
  return rows.map((i) => `\x1b[${i + 1};1H${RESET}${frame[i]}${RESET}\x1b[K`).join('');
}

/** The bottom line: what is watched, and how to leave, in reverse video, cut to the width. */
export function footer(text: string, cols: number): string {
  return `\x1b[7m${fitLine(text, cols).padEnd(cols)}${RESET}`;
}
