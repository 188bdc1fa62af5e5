import type { SessionRecord } from '../../core/session.js';
import type { StatusMessage } from '../approvals/store.js';

/**
 * What the dashboard can do to sessions, and the plain helpers its store uses for that (no React).
 * The CLI's implementation (source.ts: clientActions) calls the same daemon endpoints as
 * `omni send`, `omni interrupt`, `omni stop`, `omni resume`, `omni rename` and `omni <harness> -d`.
 */
export interface DashboardActions {
  /** The session's visible screen, plain text (`GET /v1/sessions/:id/screen`). */
  screen(id: string): Promise<string>;
  send(id: string, text: string): Promise<{ queued: boolean }>;
  interrupt(id: string): Promise<unknown>;
  stop(id: string): Promise<unknown>;
  /** With the dashboard's own environment, as `omni resume` has its shell's. */
  resume(id: string): Promise<unknown>;
  rename(id: string, name: string): Promise<unknown>;
  /** Start a session, detached, in the dashboard's working directory and environment. */
  create(harness: string, name?: string): Promise<SessionRecord>;
  harnesses(): Promise<string[]>;
}

/** The selected session's screen as last read; `note` says why there is none. */
export interface Preview {
  id: string;
  text: string;
  note?: string;
}

/** What a filter line is matched against. */
export interface Filterable {
  id: string;
  name: string;
  harness: string;
  status: string;
  model?: string;
  tags?: string[];
}

/**
 * Every word of the filter must match: `tag:T` a tag exactly, anything else a substring of the
 * name, id, harness, status or model (case-insensitive).
 */
export function matchesFilter(row: Filterable, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const hay = [row.name, row.id, row.harness, row.status, row.model ?? ''].join(' ').toLowerCase();
  return words.every((w) => (w.startsWith('tag:') ? (row.tags ?? []).some((t) => t.toLowerCase() === w.slice(4)) : hay.includes(w)));
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * One action over several sessions at once (a broadcast), each on its own: one failing does not
 * stop the others. Resolves to the ids that succeeded and a line saying what happened to each.
 */
export async function runActions<R extends { id: string; name: string }>(
  rows: readonly R[],
  fn: (row: R) => Promise<unknown>,
  verb: string,
): Promise<{ done: string[]; message: StatusMessage }> {
  const results = await Promise.allSettled(rows.map((r) => fn(r)));
  const done: string[] = [];
  const ok: string[] = [];
  const failed: string[] = [];
  results.forEach((res, i) => {
    const r = rows[i]!;
    if (res.status === 'fulfilled') {
      done.push(r.id);
      ok.push(res.value === 'queued' ? `${r.name} (queued: it was busy)` : r.name);
    } else failed.push(`${r.name}: ${errorText(res.reason)}`);
  });
  const parts = [ok.length ? `${verb} ${ok.join(', ')}` : '', failed.length ? `failed ${failed.join('; ')}` : ''].filter(Boolean);
  return { done, message: { text: parts.join(' · '), kind: failed.length ? 'error' : 'info' } };
}

/** Plain screen text for the preview: no control characters, tabs as spaces, the last `max` lines. */
export function previewLines(text: string, max: number): string[] {
  if (max <= 0) return [];
  const lines = text
    .replace(/\t/g, '    ')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .split('\n');
  while (lines.length && !lines[lines.length - 1]!.trim()) lines.pop();
  return lines.slice(-max);
}
