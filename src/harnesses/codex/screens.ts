import type { ScreenMatch } from '../types.js';

/**
 * Screens Codex (0.169.0) shows that stop an unattended session, as read off the pane (fixtures
 * in test/fixtures/codex/screen-*.txt). Read only while no hook has spoken; each maps to
 * `waiting` with a reason so `omni ls` says what the session is stuck on.
 */
const SCREENS: Array<{ re: RegExp; reason: string }> = [
  { re: /Welcome to Codex[\s\S]*Sign in with ChatGPT|Sign in with Device Code/i, reason: 'first-run screen: login required' },
  { re: /Trust this folder\?/i, reason: 'first-run screen: folder trust' },
  { re: /Hooks need review/i, reason: 'first-run screen: hooks need review' },
  { re: /Try new model[\s\S]*Use existing model/i, reason: 'first-run screen: model migration notice' },
  { re: /Update available![\s\S]*Skip/i, reason: 'update notice' },
  { re: /Would you like to run the following command\?/i, reason: 'Codex asks permission to run a command' },
  { re: /Would you like to (make|apply) the following (edits|changes)\?/i, reason: 'Codex asks permission to edit files' },
];

/** The composer is drawn: a `› ` input line above the footer that offers the shortcuts. */
export function codexInputReady(text: string): boolean {
  return /^› /m.test(text) && /\? for shortcuts/.test(text) && !SCREENS.some((s) => s.re.test(text));
}

/** The composer is empty: it shows its placeholder. */
const EMPTY_COMPOSER = /^› (Ask Codex to do anything|Ask a follow-up question)\s*$/m;

export function detectCodexScreen(text: string): ScreenMatch | undefined {
  for (const s of SCREENS) if (s.re.test(text)) return { status: 'waiting', reason: s.reason };
  // Codex reports nothing at launch (SessionStart fires with the first prompt), so an empty
  // composer is the signal that it is ready. Empty, not just drawn: the composer stays on
  // screen while a turn runs, and text typed into it means a prompt is on its way.
  if (codexInputReady(text) && EMPTY_COMPOSER.test(text)) return { status: 'idle', reason: 'ready for input' };
  return undefined;
}

/**
 * Idle again after an interrupt: Codex prints "■ Conversation interrupted" and leaves the
 * composer empty. The Interrupt hook normally says so first; this is the fallback.
 */
export function codexIdleAfterInterrupt(text: string): boolean {
  return codexInputReady(text) && /Conversation interrupted/.test(text) && !/esc to interrupt/i.test(text);
}
