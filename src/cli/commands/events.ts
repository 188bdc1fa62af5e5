import type { OmniEvent } from '../../core/events.js';
import { ExitCode, OmniError } from '../../core/errors.js';
import { client } from '../context.js';

/**
 * `omni events`: prints as the daemon sends (one write per batch received, nothing held for the
 * whole answer); `--json` passes the stored lines through untouched.
 */
export async function eventsCommand(ref: string, opts: { follow?: boolean; json?: boolean; since: string; last?: string }): Promise<number> {
  const q = new URLSearchParams({ since: String(Number(opts.since) || 0) });
  if (opts.last !== undefined) {
    const last = Number(opts.last);
    if (!/^\d+$/.test(opts.last) || !Number.isSafeInteger(last)) throw new OmniError(`--last takes a whole number of events (got "${opts.last}")`, 'usage', ExitCode.usage);
    q.set('last', String(last));
  }
  if (opts.follow) q.set('follow', '1');
  const api = await client();
  const format = opts.json ? undefined : await textFormat();
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  try {
    for await (const lines of api.streamLines(`/v1/sessions/${encodeURIComponent(ref)}/events?${q}`, ac.signal)) {
      const text = format ? lines.map(format).join('\n') : lines.join('\n');
      process.stdout.write(text + '\n');
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
  return 0;
}

/** One line of text per event; --json does without it (and without chalk). */
async function textFormat(): Promise<(line: string) => string> {
  const { formatEvent, makeChalk } = await import('../output.js');
  const c = makeChalk();
  return (line) => formatEvent(JSON.parse(line) as OmniEvent, c);
}
