import type { ScreenMatch } from '../types.js';

/**
 * What OpenCode 1.18 draws (fixtures in test/fixtures/opencode/screen-*.txt). With a model
 * configured it has no first-run dialog: it opens on its prompt. Its own permission question
 * (a tool call its `permission` config says to ask about) is answered by omni's plugin for calls
 * omni's policy allowed; one still on screen means a person must answer it.
 */
const SCREENS: Array<{ re: RegExp; reason: string }> = [
  { re: /Permission required|△ Permission|Allow once[\s\S]*Allow always[\s\S]*Reject/i, reason: 'OpenCode asks permission for a tool call' },
  { re: /No providers? (configured|found)|Connect a provider/i, reason: 'no model provider: add one to ~/.config/opencode/opencode.json or run `opencode auth login`' },
];

export function detectOpenCodeScreen(text: string): ScreenMatch | undefined {
  for (const s of SCREENS) if (s.re.test(text)) return { status: 'waiting', reason: s.reason };
  // The plugin is loaded well before the TUI draws its prompt (~20 s apart on a busy machine), so
  // the prompt on screen, not the plugin, says a starting session is ready.
  if (opencodeIdleScreen(text)) return { status: 'idle', reason: 'ready for input' };
  // A prompt typed before the plugin reported it (OpenCode can take seconds to hand it over).
  if (opencodeInputReady(text)) return { status: 'running', reason: 'working' };
  return undefined;
}

/** The prompt box is drawn: its footer offers `ctrl+p commands` (home and session views alike). */
export function opencodeInputReady(text: string): boolean {
  return /ctrl\+p commands/.test(text) && !SCREENS.some((s) => s.re.test(text));
}

/** Idle again after an interrupt: the prompt is drawn and no `esc interrupt` hint is left. */
export function opencodeIdleScreen(text: string): boolean {
  return opencodeInputReady(text) && !/esc (again to )?interrupt/.test(text);
}
