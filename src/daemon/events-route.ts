import type http from 'node:http';
import fs from 'node:fs';
import type { OmniEvent } from '../core/events.js';
import { OmniError } from '../core/errors.js';
import type { EventBus } from './bus.js';
import { readEventLines, type EventRange } from './event-reader.js';

/**
 * `GET /v1/sessions/:id/events?since=&last=&follow=1` (docs/API.md): the log, read
 * asynchronously a block at a time and written as it is read (waiting for the socket to drain
 * when the reader is slower), then with `follow` the live events from the bus. The bus is
 * subscribed before the log's size is taken, so the seam between the two has no gap, and
 * nothing at or below the last seq sent is sent again.
 */
export async function streamSessionEvents(
  res: http.ServerResponse,
  opts: { session: string; file: string; url: URL; bus: EventBus; ended: boolean; log: (msg: string) => void },
): Promise<void> {
  const range = eventRange(opts.url);
  // A follower of an ended session gets the backlog and the end of the stream.
  const follow = opts.url.searchParams.get('follow') === '1' && !opts.ended;
  let last = range.since ?? 0;
  let catchingUp = true;
  let exitedLive = false;
  const held: OmniEvent[] = [];
  const send = (ev: OmniEvent): void => {
    if (ev.seq <= last || res.destroyed || res.writableEnded) return;
    last = ev.seq;
    res.write(JSON.stringify(ev) + '\n');
  };
  const unsub = follow
    ? opts.bus.subscribe(opts.session, (ev) => {
        if (catchingUp) {
          held.push(ev);
          return;
        }
        if (res.destroyed || res.writableEnded) return unsub();
        send(ev);
        if (ev.type === 'session.exited') finish();
      })
    : () => {};
  res.on('close', unsub);
  function finish(): void {
    unsub();
    if (!res.writableEnded) res.end();
  }

  let size: number | undefined;
  try {
    size = (await fs.promises.stat(opts.file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  res.flushHeaders();
  try {
    if (size !== undefined) {
      for await (const batch of readEventLines(opts.file, range, size)) {
        if (res.destroyed) return;
        let text = '';
        for (const line of batch) text += line.text + '\n';
        last = batch[batch.length - 1]!.seq;
        if (!res.write(text)) await drained(res);
      }
    }
  } catch (err) {
    opts.log(`events of ${opts.session}: ${(err as Error).message}`);
    unsub();
    res.destroy(err as Error); // cut short, so the reader does not take it for the whole log
    return;
  }
  // What came live during the catch-up: those past the log's snapshot. An exit among them ends
  // the stream even if the snapshot already held it.
  catchingUp = false;
  for (const ev of held) {
    send(ev);
    if (ev.type === 'session.exited') exitedLive = true;
  }
  held.length = 0;
  if (!follow || exitedLive || res.destroyed) finish();
}

/** `since` (a seq, default 0) and `last` (a count) from the query; a bad `last` is the caller's error. */
export function eventRange(url: URL): EventRange {
  const since = Number(url.searchParams.get('since') ?? '0') || 0;
  const lastText = url.searchParams.get('last');
  if (lastText === null || lastText === '') return { since };
  const last = Number(lastText);
  if (!Number.isInteger(last) || last < 0) throw new OmniError(`"last" must be a whole number of events, 0 or more (got "${lastText}")`, 'bad_request');
  return { since, last };
}

/** Until the socket can take more, or is gone. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
