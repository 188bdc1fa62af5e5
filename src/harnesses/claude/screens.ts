import type { ScreenMatch } from '../types.js';

/**
 * Screens Claude Code shows before its prompt that would stop an unattended session. Read from
 * the pane only as a fallback while no hook has reported; each maps to `waiting` with a reason
 * so `omni ls` says what the session is stuck on instead of hanging silently.
 */
const SCREENS: Array<{ re: RegExp; reason: string }> = [
  { re: /Do you trust the files in this folder|trust this folder|Is this a project you created or one you trust/i, reason: 'first-run screen: folder trust dialog' },
  { re: /Do you want to use this API key|Detected a custom API key/i, reason: 'first-run screen: API key question' },
  { re: /Choose the text style|Let's get started/i, reason: 'first-run screen: onboarding (theme)' },
  { re: /Select login method|Log in with your Anthropic account|Browser didn't open/i, reason: 'first-run screen: login required' },
  { re: /Bypass Permissions mode/i, reason: 'first-run screen: bypass-permissions warning' },
  { re: /Unable to connect to Anthropic services|Failed to connect to api\.anthropic\.com/i, reason: 'first-run screen: cannot reach the model API' },
];

export function detectClaudeScreen(text: string): ScreenMatch | undefined {
  for (const s of SCREENS) if (s.re.test(text)) return { status: 'waiting', reason: s.reason };
  return undefined;
}
