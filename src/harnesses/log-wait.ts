import type { FlushHint } from './types.js';

/**
 * An ingestor's end-of-turn flush: read the harness log, and when the hint names the turn's last
 * reply, keep reading (every 25 ms, up to the hint's time, 3 s by default) until it is there.
 * Harnesses signal a turn's end before their log has its last row.
 */
export async function pollForText(poll: () => Promise<void>, has: (text: string) => boolean, hint: FlushHint = {}): Promise<void> {
  await poll();
  const want = hint.lastText?.trim();
  if (!want) return;
  const deadline = Date.now() + (hint.timeoutMs ?? 3000);
  while (!has(want) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    await poll();
  }
}
