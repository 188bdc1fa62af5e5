import type { Approval } from '../../approvals/types.js';
import type { OmniClient } from '../../client/api.js';
import { OmniError } from '../../core/errors.js';
import type { SessionRecord } from '../../core/session.js';
import { spendText, totalSpend } from '../../cost/format.js';

/**
 * `omni status-line`: one short line for tmux `status-right`, e.g.
 * `omni ⚠ 2 asks · 3 sessions (1 waiting) · $3.20` (the computed spend of the live sessions). Runs every few seconds, so it must be quick: it never
 * starts the daemon, loads no Ink, and gives up after a short timeout.
 */

export interface StatusLineData {
  running: boolean;
  asks?: number;
  sessions?: number;
  waiting?: number;
  /** Computed USD spent by the live sessions so far (absent when none has used a model). */
  spendUsd?: number;
  /** Some of that spend is on models without a price (not in spendUsd). */
  unpriced?: boolean;
  error?: string;
  /** With hosts in hosts.json: each host's own figures (the totals above are over those that answered). */
  hosts?: HostStatus[];
}

/** One host's figures in a status line across hosts (`local` is this machine's daemon). */
export type HostStatus = Omit<StatusLineData, 'hosts'> & { host: string };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatStatusLine(d: StatusLineData, opts: { tmux?: boolean } = {}): string {
  const style = (s: string, fmt: string) => (opts.tmux ? `#[${fmt}]${s}#[default]` : s);
  if (!d.running) return style('omni: off', 'fg=colour244');
  if (d.error) return style('omni: error', 'fg=red');
  const parts: string[] = [];
  // Across hosts: whose asks they are (a remote host's), and which hosts are off.
  const remote = (d.hosts ?? []).filter((h) => h.host !== 'local');
  const asksAt = remote.filter((h) => h.running && !h.error && h.asks).map((h) => `${h.host} ${h.asks}`);
  if (d.asks) parts.push(style(`⚠ ${plural(d.asks, 'ask')}${asksAt.length ? ` (${asksAt.join(', ')})` : ''}`, 'fg=yellow,bold'));
  const sessions = plural(d.sessions ?? 0, 'session');
  parts.push(d.waiting ? `${sessions} (${style(`${d.waiting} waiting`, 'fg=yellow')})` : sessions);
  if (d.spendUsd !== undefined) {
    // The same text as `omni ls` and the dashboard; only the unpriced mark is coloured.
    const text = spendText(d.spendUsd, Boolean(d.unpriced));
    const mark = text.endsWith('$?') ? (text === '$?' ? '$?' : '+$?') : '';
    parts.push(mark ? `${text.slice(0, text.length - mark.length)}${style(mark, 'fg=yellow')}` : text);
  }
  for (const h of d.hosts ?? []) if (!h.running || h.error) parts.push(style(`${h.host} ${h.error ? 'error' : 'off'}`, h.error ? 'fg=red' : 'fg=colour244'));
  return `omni ${parts.join(' · ')}`;
}

export async function fetchStatusLine(c: OmniClient, timeoutMs = 1500): Promise<StatusLineData> {
  try {
    const [a, s] = await Promise.all([
      c.request<{ approvals: Approval[] }>('/v1/approvals', { timeoutMs }),
      c.request<{ sessions: SessionRecord[] }>('/v1/sessions', { timeoutMs }),
    ]);
    const sessions = s.sessions ?? [];
    const spend = totalSpend(sessions.map((x) => x.cost));
    return {
      running: true,
      asks: (a.approvals ?? []).filter((x) => x.status === 'pending').length,
      sessions: sessions.length,
      waiting: sessions.filter((x) => x.status === 'waiting').length,
      ...(spend.any ? { spendUsd: spend.usd, ...(spend.unpriced ? { unpriced: true } : {}) } : {}),
    };
  } catch (err) {
    if (err instanceof OmniError && err.code === 'daemon_unreachable' && !/not the omni daemon|did not answer/.test(err.message)) return { running: false };
    return { running: true, error: err instanceof Error ? err.message : String(err) };
  }
}

