import type http from 'node:http';
import { isLive, type SessionRecord } from '../core/session.js';
import { startNdjson } from './http.js';

/**
 * `GET /v1/sessions/:ref/screen?follow=1`: the pane's screen as NDJSON, `{type:'screen', text}`
 * each time it changed (read every `everyMs`), then `{type:'end', status, reason}` when the
 * session ends. One connection for a whole `omni watch` of a guest (one peer check, and revoking
 * the grant closes it).
 */
export async function followScreen(
  res: http.ServerResponse,
  deps: { current: () => SessionRecord | undefined; read: (rec: SessionRecord) => Promise<string>; everyMs?: number },
): Promise<void> {
  const write = startNdjson(res);
  let closed = false;
  res.on('close', () => (closed = true));
  let last: string | undefined;
  while (!closed) {
    const rec = deps.current();
    if (!rec || !isLive(rec.status)) {
      const status = rec?.status ?? 'removed';
      write({ type: 'end', status, reason: `session ${rec?.name ?? ''} has ${status}`.replace('  ', ' ') });
      res.end();
      return;
    }
    // A read that fails as the session ends is answered by the next turn's end.
    const text = await deps.read(rec).catch(() => undefined);
    if (text !== undefined && text !== last) {
      last = text;
      if (!write({ type: 'screen', text })) return;
    }
    await new Promise((r) => setTimeout(r, deps.everyMs ?? 250));
  }
}
