import type { ScreenMatch } from '../types.js';

/**
 * Screens Claude Code shows before its prompt that would stop an unattended session (texts
 * measured on 2.1.330; fixtures in test/fixtures/claude/screen-*.txt). Read from the pane only as
 * a fallback while no hook has reported; each maps to `waiting` with a reason, so `omni ls` says
 * what the session is stuck on instead of hanging silently.
 */
const SCREENS: Array<{ re: RegExp; reason: string }> = [
  { re: /Quick safety check: Is this a project you created|Do you trust the files in this folder/i, reason: 'first-run screen: folder trust dialog' },
  { re: /Do you want to use this API key\?/i, reason: 'first-run screen: API key question' },
  { re: /Choose the text style that looks best/i, reason: 'first-run screen: onboarding (theme)' },
  { re: /Security notes:[\s\S]*Press Enter to continue/i, reason: 'first-run screen: onboarding (security notes)' },
  { re: /Select login method|Log in with your Anthropic account/i, reason: 'first-run screen: login required' },
  { re: /WARNING: Claude Code running in Bypass Permissions mode/i, reason: 'first-run screen: bypass-permissions warning' },
  { re: /Settings Warning[\s\S]*Continue/i, reason: 'settings warning dialog' },
  { re: /Unable to connect to Anthropic services/i, reason: 'cannot reach the model API (onboarding connectivity check)' },
];

export function detectClaudeScreen(text: string): ScreenMatch | undefined {
  for (const s of SCREENS) if (s.re.test(text)) return { status: 'waiting', reason: s.reason };
  return undefined;
}

/** The input box is drawn: a line starting with "❯" and a no-break space. */
export function claudeInputReady(text: string): boolean {
  return /^❯\u00a0/m.test(text);
}

/** Idle after an interrupt: the input box is drawn and the footer no longer offers to interrupt. */
export function claudeIdleScreen(text: string): boolean {
  return claudeInputReady(text) && !/esc to interrupt/i.test(text);
}

/**
 * What is typed in the input box: the text after the last "❯ " prompt line, up to the rule
 * (─) that closes the box. Earlier "❯" lines in the pane are the conversation's own history.
 */
export function claudeInputText(text: string): string | undefined {
  const lines = text.split('\n');
  let at = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^❯[\u00a0 ]/.test(lines[i]!) || lines[i] === '❯') {
      at = i;
      break;
    }
  }
  if (at < 0) return undefined;
  const out = [lines[at]!.slice(2)];
  for (let i = at + 1; i < lines.length && !/^─{10,}/.test(lines[i]!); i++) out.push(lines[i]!);
  return out.join('\n').trim();
}

/**
 * Keys that clear `typed` wherever the cursor is: Backspace and Delete, one each per character
 * (bounded; the caller presses again while text is left). Claude 2.1.332 puts a blocked prompt
 * back with the cursor at its start, where C-u deletes nothing and a paste lands in front of it.
 */
export function claudeClearKeys(typed: string): string[] {
  const n = Math.min(typed.length, 500) + 2;
  return [...Array<string>(n).fill('BSpace'), ...Array<string>(n).fill('DC')];
}
