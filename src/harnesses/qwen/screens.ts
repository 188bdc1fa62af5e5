import type { ScreenMatch } from '../types.js';

/**
 * Screens Qwen Code (0.24.4) shows that stop an unattended session, as read off the pane
 * (fixtures in test/fixtures/qwen/screen-*.txt). Read only while no hook has spoken; each maps
 * to `waiting` with a reason, so `omni ls` says what the session is stuck on.
 */
const SCREENS: Array<{ re: RegExp; reason: string }> = [
  { re: /Connect a Provider[\s\S]*Custom Provider/i, reason: 'first-run screen: connect a provider (no credentials)' },
  { re: /Do you trust (the files in )?this folder\?|Trust folder/i, reason: 'first-run screen: folder trust' },
  { re: /Waiting for user confirmation|Allow execution of|Apply this change\?|Allow once/i, reason: 'Qwen Code asks permission for a tool' },
];

export function detectQwenScreen(text: string): ScreenMatch | undefined {
  for (const s of SCREENS) if (s.re.test(text)) return { status: 'waiting', reason: s.reason };
  return undefined;
}

/** The input box: a line starting with "> " at column 0 (the conversation's prompts are indented). */
const INPUT_LINE = /^> /;
const PLACEHOLDER = /^Type your message or @path\/to\/file$/;

export function qwenInputReady(text: string): boolean {
  return text.split('\n').some((l) => INPUT_LINE.test(l)) && !detectQwenScreen(text);
}

/** Idle after an interrupt (no hook fires for one): the box is drawn and nothing offers to cancel. */
export function qwenIdleScreen(text: string): boolean {
  return qwenInputReady(text) && !/esc to cancel/i.test(text);
}

/**
 * What is typed in the input box: from the last "> " line to the rule (─) that closes the box;
 * '' when it shows its placeholder. The cursor is drawn as a zero-width space.
 */
export function qwenInputText(text: string): string | undefined {
  const lines = text.split('\n');
  let at = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (INPUT_LINE.test(lines[i]!) || lines[i] === '>') {
      at = i;
      break;
    }
  }
  if (at < 0) return undefined;
  const out = [lines[at]!.slice(2)];
  for (let i = at + 1; i < lines.length && !/^─{10,}/.test(lines[i]!); i++) out.push(lines[i]!);
  const typed = out.join('\n').replace(/\u200b/g, '').trim();
  return PLACEHOLDER.test(typed) ? '' : typed;
}
