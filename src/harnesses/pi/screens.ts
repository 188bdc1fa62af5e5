import type { ScreenMatch } from '../types.js';

/**
 * What Pi 0.73 draws (fixtures in test/fixtures/pi/screen-*.txt). Pi has no first-run dialog:
 * with a model configured it starts at the prompt. What can stop a session is read here as a
 * fallback while no extension event has spoken.
 */
const SCREENS: Array<{ re: RegExp; reason: string }> = [
  { re: /Warning: No models available\. Use \/login/i, reason: 'no model available: use /login or add a provider to ~/.pi/agent/models.json' },
  { re: /Fork this session into current directory\? \[y\/N\]/i, reason: 'Pi asks whether to fork a session from another project' },
];

export function detectPiScreen(text: string): ScreenMatch | undefined {
  for (const s of SCREENS) if (s.re.test(text)) return { status: 'waiting', reason: s.reason };
  return undefined;
}

/** The editor is drawn: two full-width rules (─) with the input line between them. */
export function piInputReady(text: string): boolean {
  return /^─{20,}\s*$/m.test(text);
}

/** Idle again after an interrupt: the editor is drawn and no "Working..." spinner is left. */
export function piIdleScreen(text: string): boolean {
  return piInputReady(text) && !/Working\.\.\./.test(text);
}
