import type { ScreenMatch } from '../types.js';

/**
 * Screens Copilot CLI (1.0.102) shows that stop an unattended session, as read off the pane
 * (fixtures in test/fixtures/copilot/screen-*.txt). Each maps to `waiting` with a reason.
 */
const SCREENS: Array<{ re: RegExp; reason: string }> = [
  { re: /Confirm folder trust|Do you trust the files in this folder\?/i, reason: 'first-run screen: folder trust' },
  { re: /Do you want to run this command\?/i, reason: 'Copilot asks permission to run a command' },
  { re: /Do you want to (make|apply) (this|these) (edit|change)s?|Do you want to (create|edit) /i, reason: 'Copilot asks permission to edit files' },
  { re: /Do you want to allow|Allow access to/i, reason: 'Copilot asks permission' },
  { re: /Please use \/login|You are not logged in|Sign in to GitHub/i, reason: 'first-run screen: login required' },
];

/** The input box: a line that starts with `❯` between two rules (a past prompt is indented: ` ❯ …`). */
const INPUT_LINE = /^❯ ?(.*)$/m;
/** The footer while idle offers the commands; while a turn runs it says `esc esc interrupt`. */
const IDLE_FOOTER = /\/ commands · \? help/;

const dialog = (text: string) => SCREENS.find((s) => s.re.test(text));

export function copilotInputReady(text: string): boolean {
  return INPUT_LINE.test(text) && !dialog(text);
}

export function copilotInputText(text: string): string | undefined {
  const m = INPUT_LINE.exec(text);
  return m ? m[1]!.trim() : undefined;
}

export function detectCopilotScreen(text: string): ScreenMatch | undefined {
  const d = dialog(text);
  if (d) return { status: 'waiting', reason: d.reason };
  // A new session reports nothing until its first prompt (sessionStart comes with it): an empty
  // input box with the idle footer is the signal that it is ready.
  if (copilotIdle(text)) return { status: 'idle', reason: 'ready for input' };
  return undefined;
}

/** Idle: the input box is empty and the footer is the idle one. */
export function copilotIdle(text: string): boolean {
  return copilotInputReady(text) && copilotInputText(text) === '' && IDLE_FOOTER.test(text);
}
