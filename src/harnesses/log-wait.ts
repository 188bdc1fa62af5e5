import type { FlushHint } from './types.js';

/**
 * An ingestor's end-of-turn flush: read the harness log, and when the hint names the turn's last
 * reply, keep reading (every 25 ms, up to the hint's time, 3 s by default) until it is there.
 * Harnesses signal a turn's end before their log has its last row.
 */
export async function pollForText(poll: () => Promise<void>, has: (text: string) => boolean, hint: FlushHint = {}): Promise<void> {
  const want = hint.lastText?.trim();
  return pollUntil(poll, want ? () => has(want) : () => true, hint.timeoutMs);
}

/** Read the log until `done` says it holds what the turn's end promised (every 25 ms, 3 s at most). */
export async function pollUntil(poll: () => Promise<void>, done: () => boolean, timeoutMs = 3000): Promise<void> {
  await poll();
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    await poll();
  }
}
