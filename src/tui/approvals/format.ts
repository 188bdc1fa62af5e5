import type { Approval } from '../../approvals/types.js';

/** Plain-text helpers shared by the approvals TUI, the popup and the CLI listing (no React). */

import { oneLine } from '../../core/status-text.js';

export { oneLine };

/** Seconds, minutes, hours+minutes, days: the same scale as `omni ls`. */
export function formatAge(fromIso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(fromIso)) / 1000));
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d`;
}

/**
 * How long until one of these ages (formatAge: `42s`, `5m`, `2h05m`, `3d`) reads differently,
 * so the view redraws when a figure changes and not on a blind 1 s tick.
 */
export function nextAgeChangeMs(isoTimes: readonly string[], now: number): number {
  let best = 3_600_000;
  for (const iso of isoTimes) {
    const ms = now - Date.parse(iso);
    if (!Number.isFinite(ms)) continue;
    const age = Math.max(0, ms);
    // formatAge rounds seconds under a minute, and floors minutes (and hours) above.
    const step = age < 59_500 ? 1000 : age < 86_400_000 ? 60_000 : 3_600_000;
    const offset = step === 1000 ? 500 : 0;
    const wait = step - ((age + offset) % step);
    best = Math.min(best, Math.max(50, wait));
  }
  return best;
}

export interface RequestDescription {
  /** What the text is: a shell command, paths, a prompt excerpt, a host, or a tool input. */
  label: 'command' | 'paths' | 'prompt' | 'url' | 'host' | 'input' | 'request';
  /** Exact for commands and paths; an excerpt for prompts and raw inputs. */
  text: string;
}

/** What is being asked about. Commands and paths are shown exactly (the person decides on them). */
export function describeRequest(a: Approval, promptExcerpt = 160): RequestDescription {
  const r = a.request ?? {};
  if (r.command) return { label: 'command', text: r.command };
  if (r.paths && r.paths.length) return { label: 'paths', text: r.paths.join(' ') };
  if (r.prompt !== undefined) return { label: 'prompt', text: oneLine(r.prompt, promptExcerpt) };
  if (r.url) return { label: 'url', text: r.url };
  if (r.host) return { label: 'host', text: r.host };
  if (r.input !== undefined) {
    let s: string;
    try {
      s = JSON.stringify(r.input) ?? String(r.input);
    } catch {
      s = String(r.input);
    }
    return { label: 'input', text: oneLine(`${r.tool ? r.tool + ' ' : ''}${s}`, promptExcerpt) };
  }
  return { label: 'request', text: r.tool ?? r.kind ?? a.phase };
}

/** "Bash [shell]", or the phase when there is no tool. */
export function describeWhat(a: Approval): string {
  const r = a.request ?? {};
  if (r.tool) return r.kind ? `${r.tool} [${r.kind}]` : r.tool;
  return a.phase;
}

/** "approved once", "approved for the rest of the session", "denied". */
export function verdictWords(verdict: 'approve' | 'deny', scope: 'once' | 'session' = 'once'): string {
  if (verdict === 'deny') return 'denied';
  return scope === 'session' ? 'approved for the rest of the session' : 'approved once';
}

/** "ap_x (claude-1) was approved once by alice via cli", for answers that were not ours. */
export function describeResolution(a: Approval): string {
  const res = a.resolution;
  if (!res) return `${a.id} (${askWhere(a)}) is no longer pending`;
  if (res.verdict === 'cancel') return `${a.id} (${askWhere(a)}) was withdrawn: ${oneLine(res.reason ?? 'the agent stopped waiting', 120)}`;
  const who = [res.by ? `by ${res.by}` : '', res.via ? `via ${res.via}` : ''].filter(Boolean).join(' ');
  const why = res.verdict === 'deny' && res.reason ? `: ${oneLine(res.reason, 120)}` : '';
  return `${a.id} (${askWhere(a)}) was ${verdictWords(res.verdict, res.scope)}${who ? ' ' + who : ''}${why}`;
}

/** The session an ask is from, with its host when that is not this machine: `devbox:fix-login`. */
export function askWhere(a: Pick<Approval, 'sessionName' | 'host'>): string {
  return a.host && a.host !== 'local' ? `${a.host}:${a.sessionName}` : a.sessionName;
}

/** Oldest first; ties by id so the order is stable. */
export function compareApprovals(a: Approval, b: Approval): number {
  const ta = Date.parse(a.createdAt);
  const tb = Date.parse(b.createdAt);
  if (ta !== tb && Number.isFinite(ta) && Number.isFinite(tb)) return ta - tb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
