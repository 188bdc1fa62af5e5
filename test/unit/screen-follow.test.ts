import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { followScreen } from '../../src/daemon/screen-follow.js';

describe('followScreen: a session screen as NDJSON', () => {
  let server: http.Server | undefined;
  afterEach(() => server?.close());

  /** Serves followScreen over real HTTP with the given session and screens; returns what a client read. */
  async function run(rec: SessionRecord, screens: string[], opts: { closeAfter?: number } = {}) {
    let reads = 0;
    server = http.createServer((_req, res) =>
      void followScreen(res, {
        current: () => rec,
        read: async () => {
          const s = screens[Math.min(reads, screens.length - 1)]!;
          reads++;
          if (reads >= screens.length && !opts.closeAfter) rec.status = 'exited';
          return s;
        },
        everyMs: 5,
      }),
    );
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const items: Array<Record<string, unknown>> = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ port, path: '/' }, (res) => {
        let buf = '';
        res.on('data', (d) => {
          buf += d;
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const l of lines) items.push(JSON.parse(l) as Record<string, unknown>);
          if (opts.closeAfter && items.length >= opts.closeAfter) {
            req.destroy();
            resolve();
          }
        });
        res.on('end', resolve);
      });
      req.on('error', (e) => (opts.closeAfter ? resolve() : reject(e)));
    });
    return { items, reads: () => reads };
  }

  it('sends a screen only when it changed, then the end with the status', async () => {
    const rec = { id: 's_1', name: 'a', status: 'idle' } as SessionRecord;
    const { items } = await run(rec, ['one', 'one', 'two', 'two', 'three']);
    expect(items).toEqual([
      { type: 'screen', text: 'one' },
      { type: 'screen', text: 'two' },
      { type: 'screen', text: 'three' },
      { type: 'end', status: 'exited', reason: 'session a has exited' },
    ]);
  });

  it('stops reading the pane once the client has gone', async () => {
    const rec = { id: 's_2', name: 'b', status: 'running' } as SessionRecord;
    const screens = Array.from({ length: 1000 }, (_, i) => `screen ${i}`);
    const r = await run(rec, screens, { closeAfter: 2 });
    await new Promise((res) => setTimeout(res, 100));
    const n = r.reads();
    await new Promise((res) => setTimeout(res, 100));
    expect(r.reads()).toBe(n);
    expect(n).toBeLessThan(100);
  });
});
