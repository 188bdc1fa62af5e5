import type { ScreenMatch } from '../types.js';

/**
 * What Gemini CLI 0.61.0 draws (fixtures in test/fixtures/gemini/screen-*.txt). omni launches it
 * with the folder trusted for the session (`--skip-trust`) and the user's own auth choice, so
 * these are the fallbacks while no hook has spoken.
 */
const SCREENS: Array<{ re: RegExp; reason: string }> = [
  { re: /Do you trust the files in this folder\?/i, reason: 'first-run screen: folder trust' },
  { re: /How would you like to authenticate|Get started[\s\S]*Sign in with Google|Enter Gemini API Key/i, reason: 'first-run screen: authentication' },
  { re: /Allow execution of \[|Apply this change\?|Allow execution of MCP tool/i, reason: 'Gemini CLI asks permission to run a tool' },
  { re: /Do you want to connect .* to Gemini CLI\?|IDE integration/i, reason: 'Gemini CLI asks about IDE integration' },
];

/**
 * A turn or a hook is running: the spinner line says `(esc to cancel, …)` ("Executing Hook: omni"
 * at start-up too). `--resume` draws "Resuming session..." while it loads the chat, and keys
 * typed then are lost (a conformance run lost both the paste and the retry's Enter).
 */
const BUSY = /esc to cancel|Resuming session/i;

const FOOTER = /workspace \(\/directory\)|no sandbox|sandbox/;
const BOX_LINE = /^ *[>!*] {1,3}\S/;
/** Between the input box and the footer only rules, blank lines and the box's own continuation lines. */
const BELOW_BOX = /^[\s─━]*$|^ {3}\S/;

/**
 * The input box line: the last `>` line with nothing but rules (or its own wrapped lines)
 * between it and the footer. A chat's history shows past prompts as `> text` lines too, and a
 * resumed session draws them before the box exists.
 */
function inputBoxLine(lines: string[]): string | undefined {
  const footer = lines.findLastIndex((l) => FOOTER.test(l));
  for (let i = footer - 1; i >= 0; i--) {
    if (BOX_LINE.test(lines[i]!)) return lines[i];
    if (!BELOW_BOX.test(lines[i]!) && !FOOTER.test(lines[i]!)) return undefined;
  }
  return undefined;
}

/**
 * The input box while Gemini takes keys: drawn (` >   Type your message…` or typed text, above
 * the workspace footer), with no spinner: at start-up the SessionStart hook's spinner shows while
 * keys are not yet taken as a prompt (measured: an Enter typed then was lost and the retry took
 * it 10 s later). Undefined otherwise.
 */
function readyBox(text: string): string | undefined {
  if (BUSY.test(text) || SCREENS.some((s) => s.re.test(text))) return undefined;
  return inputBoxLine(text.split('\n'));
}

export function geminiInputReady(text: string): boolean {
  return readyBox(text) !== undefined;
}

/** The box is empty: it shows its placeholder. */
const EMPTY_INPUT = /^ *> {1,3}Type your message or @path\/to\/file\s*$/;

/** Text in the input box; '' when it shows its placeholder, undefined when no box is drawn. */
export function geminiInputText(text: string): string | undefined {
  const box = readyBox(text);
  if (box === undefined) return undefined;
  if (EMPTY_INPUT.test(box)) return '';
  return /^ *[>!*] {1,3}(.*?)\s*$/.exec(box)?.[1] ?? '';
}

const emptyBox = (text: string) => geminiInputText(text) === '';

export function detectGeminiScreen(text: string): ScreenMatch | undefined {
  for (const s of SCREENS) if (s.re.test(text)) return { status: 'waiting', reason: s.reason };
  // The box is drawn, empty and no spinner runs: Gemini takes typed input now.
  if (emptyBox(text)) return { status: 'idle', reason: 'ready for input' };
  return undefined;
}

/** Idle again after Esc: the box is drawn and empty, and no spinner is left. */
export function geminiIdleAfterInterrupt(text: string): boolean {
  return emptyBox(text);
}
