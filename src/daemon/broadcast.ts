import { OmniError } from '../core/errors.js';
import { hasTags, isLive, validateTag, type SessionRecord } from '../core/session.js';
import type { SendOptions } from './pane-io.js';

/** One prompt to many sessions: `POST /v1/broadcast` (docs/API.md), `omni send --tag/--to`. */
export interface BroadcastRequest {
  text: string;
  /** Every live session carrying all of these tags. */
  tags?: string[];
  /** Sessions by id or name (ended ones get a failed row, not silence). */
  sessions?: string[];
  submit?: boolean;
  force?: boolean;
}

/** What happened in one session; `error` says why it did not take the text. */
export interface BroadcastRow {
  /** The session id, or the reference as given when it names no session. */
  session: string;
  name: string;
  ok: boolean;
  accepted?: boolean;
  verified?: boolean;
  queued?: boolean;
  error?: { code: string; message: string };
}

export interface BroadcastResult {
  results: BroadcastRow[];
  sent: number;
  failed: number;
}

/** The part of the session manager a broadcast uses. */
export interface BroadcastTargets {
  list(): SessionRecord[];
  resolve(ref: string): SessionRecord;
  send(rec: SessionRecord, text: string, opts: SendOptions): Promise<{ accepted: boolean; verified: boolean; queued: boolean }>;
}

/**
 * Types `text` into every selected session at once (each pane has its own lock, so they do not
 * wait on each other) and reports each one: a failure in one never stops the others.
 */
export async function broadcast(targets: BroadcastTargets, req: BroadcastRequest): Promise<BroadcastResult> {
  if (!req.text) throw new OmniError('"text" must be a non-empty string', 'bad_request');
  const tags = req.tags ?? [];
  const refs = req.sessions ?? [];
  for (const t of tags) {
    const bad = validateTag(t);
    if (bad) throw new OmniError(bad, 'bad_request');
  }
  if (tags.length === 0 && refs.length === 0) throw new OmniError('a broadcast needs tags or sessions to send to', 'bad_request');

  const picked = new Map<string, SessionRecord>();
  const rows: BroadcastRow[] = [];
  if (tags.length) for (const s of targets.list()) if (isLive(s.status) && hasTags(s, tags)) picked.set(s.id, s);
  for (const ref of refs) {
    try {
      const s = targets.resolve(ref);
      picked.set(s.id, s);
    } catch (err) {
      rows.push(failedRow(ref, ref, err));
    }
  }
  if (picked.size === 0 && rows.length === 0) {
    throw new OmniError(`no live session is tagged ${tags.map((t) => `"${t}"`).join(' and ')} (omni ls shows the tags)`, 'not_found', undefined, { tags });
  }
  const opts: SendOptions = { submit: req.submit !== false, force: req.force === true };
  const sent = await Promise.all(
    [...picked.values()].map(async (s): Promise<BroadcastRow> => {
      try {
        return { session: s.id, name: s.name, ok: true, ...(await targets.send(s, req.text, opts)) };
      } catch (err) {
        return failedRow(s.id, s.name, err);
      }
    }),
  );
  const results = [...sent, ...rows];
  const failed = results.filter((r) => !r.ok).length;
  return { results, sent: results.length - failed, failed };
}

function failedRow(session: string, name: string, err: unknown): BroadcastRow {
  const code = err instanceof OmniError ? err.code : 'error';
  return { session, name, ok: false, error: { code, message: (err as Error).message } };
}
