import { client } from '../context.js';
import { formatEvent, makeChalk } from '../output.js';

export async function eventsCommand(ref: string, opts: { follow?: boolean; json?: boolean; since: string }): Promise<number> {
  const api = await client();
  const { session } = await api.session(ref);
  const q = new URLSearchParams({ since: String(Number(opts.since) || 0), ...(opts.follow ? { follow: '1' } : {}) });
  const c = makeChalk();
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  try {
    for await (const ev of api.stream(`/v1/sessions/${session.id}/events?${q}`, ac.signal)) {
      process.stdout.write((opts.json ? JSON.stringify(ev) : formatEvent(ev, c)) + '\n');
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
  return 0;
}
