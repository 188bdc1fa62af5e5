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

/** A turn or a hook is running: the spinner line says `(esc to cancel, …)` ("Executing Hook: omni" at start-up too). */
const BUSY = /esc to cancel/i;

/**
 * The input box is drawn (` >   Type your message…` or typed text, above the workspace footer) and
 * no spinner runs: at start-up the SessionStart hook's spinner shows while keys are not yet taken
 * as a prompt (measured: an Enter typed then was lost and the retry took it 10 s later).
 */
export function geminiInputReady(text: string): boolean {
  return /^ *[>!*] {1,3}\S/m.test(text) && /workspace \(\/directory\)|no sandbox|sandbox/.test(text) && !BUSY.test(text) && !SCREENS.some((s) => s.re.test(text));
}

/** The box is empty: it shows its placeholder. */
const EMPTY_INPUT = /^ *> {1,3}Type your message or @path\/to\/file\s*$/m;

/** Text in the input box; '' when it shows its placeholder, undefined when no box is drawn. */
export function geminiInputText(text: string): string | undefined {
  if (!geminiInputReady(text)) return undefined;
  if (EMPTY_INPUT.test(text)) return '';
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^ *> {1,3}(.*?)\s*$/.exec(lines[i]!);
    if (m) return m[1] ?? '';
  }
  return undefined;
}

export function detectGeminiScreen(text: string): ScreenMatch | undefined {
  for (const s of SCREENS) if (s.re.test(text)) return { status: 'waiting', reason: s.reason };
  // The box is drawn, empty and no spinner runs: Gemini takes typed input now.
  if (geminiInputReady(text) && EMPTY_INPUT.test(text)) return { status: 'idle', reason: 'ready for input' };
  return undefined;
}

/** Idle again after Esc: the box is drawn and empty, and no spinner is left. */
export function geminiIdleAfterInterrupt(text: string): boolean {
  return geminiInputReady(text) && EMPTY_INPUT.test(text) && !BUSY.test(text);
}
