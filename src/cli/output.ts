import { Chalk, type ChalkInstance } from 'chalk';
import type { OmniEvent, SessionStatus } from '../core/events.js';
import type { SessionRecord } from '../core/session.js';

/** Colour only on a TTY, never with NO_COLOR (https://no-color.org). */
export function makeChalk(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  const enabled = Boolean(stream.isTTY) && !('NO_COLOR' in env && env.NO_COLOR !== '') && env.TERM !== 'dumb';
  return new Chalk({ level: enabled ? 2 : 0 });
}

/**
 * The width to fit: the terminal's, else `$COLUMNS` (set by shells and by tests), else no limit
 * (output to a pipe or file is not cut).
 */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  if (stream.isTTY && stream.columns > 0) return stream.columns;
  const n = Number(env.COLUMNS);
  return Number.isInteger(n) && n > 0 ? n : Infinity;
}

export { printJson } from './json-output.js';

export function age(fromIso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(fromIso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d`;
}

export function colorStatus(c: ChalkInstance, status: SessionStatus): string {
  switch (status) {
    case 'running':
      return c.green(status);
    case 'waiting':
      return c.yellow.bold(status);
    case 'idle':
      return c.cyan(status);
    case 'starting':
      return c.blue(status);
    case 'failed':
      return c.red(status);
    default:
      return c.dim(status);
  }
}

export function tildify(p: string, home = process.env.HOME): string {
  return home && (p === home || p.startsWith(home + '/')) ? '~' + p.slice(home.length) : p;
}

/** A plain, aligned table (no dependencies: `omni ls` must stay fast). */
export function table(rows: string[][], c: ChalkInstance): string {
  const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, strip(cell).length)));
  return rows
    .map((r, ri) =>
      r
        .map((cell, i) => {
          const pad = i === r.length - 1 ? '' : ' '.repeat((widths[i] ?? 0) - strip(cell).length);
          return (ri === 0 ? c.bold(cell) : cell) + pad;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function sessionLine(s: SessionRecord): string {
  return `${s.name} (${s.id}) ${s.harness} ${s.status}${s.statusReason ? ` — ${s.statusReason}` : ''}`;
}

const oneLine = (s: string, max = 200) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
};

function describeInput(input: unknown): string {
  if (input && typeof input === 'object') {
    const o = input as Record<string, unknown>;
    for (const k of ['command', 'cmd', 'file_path', 'path', 'pattern', 'url', 'query']) if (typeof o[k] === 'string') return o[k] as string;
  }
  return JSON.stringify(input);
}

/** Keys whose values are a tool's text output, in the order they are shown. */
const OUTPUT_TEXT_KEYS = ['stdout', 'stderr', 'output', 'text', 'content', 'result', 'error', 'message'];
const OUTPUT_PATH_KEYS = ['filePath', 'file_path', 'path'];

/**
 * A tool's output as text, whatever shape the harness gave it: a string; content blocks
 * (`[{type: 'text', text}]`); an object's text fields (stdout, stderr, content…), after the
 * file it is about; else its nested values' text (a file listing, a nested `file`). Never JSON.
 */
export function describeOutput(output: unknown, depth = 0): string {
  if (output === null || output === undefined) return '';
  if (typeof output === 'string') return output;
  if (typeof output !== 'object') return String(output);
  if (depth > 4) return '';
  if (Array.isArray(output)) return output.map((x) => describeOutput(x, depth + 1)).filter(Boolean).join(' ');
  const o = output as Record<string, unknown>;
  const file = OUTPUT_PATH_KEYS.map((k) => o[k]).find((v): v is string => typeof v === 'string' && v !== '');
  const texts = OUTPUT_TEXT_KEYS.filter((k) => k in o && typeof o[k] !== 'boolean' && typeof o[k] !== 'number')
    .map((k) => describeOutput(o[k], depth + 1))
    .filter(Boolean);
  if (texts.length) return `${file ? `${file}: ` : ''}${texts.join(' ')}`;
  if (file) return file; // e.g. an edit: which file is the news, not its old and new text
  return Object.entries(o)
    .filter(([k, v]) => k !== 'type' && v !== null && (typeof v === 'string' || typeof v === 'object'))
    .map(([, v]) => describeOutput(v, depth + 1))
    .filter(Boolean)
    .join(' ');
}

const money = (usd: number) => `$${usd < 0.01 ? usd.toFixed(4) : usd.toFixed(2)}`;

/** One readable line per event for `omni events` without --json. */
export function formatEvent(ev: OmniEvent, c: ChalkInstance): string {
  const t = c.dim(`${ev.ts.slice(11, 19)} #${ev.seq}`);
  const d = ev.data as unknown as Record<string, unknown>;
  switch (ev.type) {
    case 'session.started':
      return `${t} ${c.bold('started')} ${d.harness} in ${d.cwd}${d.model ? ` (model ${d.model})` : ''}`;
    case 'session.status':
      return `${t} ${c.dim('status')} ${colorStatus(c, d.status as SessionStatus)}${d.reason ? ` — ${d.reason}` : ''}${d.source === 'pane' ? c.dim(' (from the pane)') : ''}`;
    case 'session.adopted':
      return `${t} ${c.dim('re-adopted by a restarted daemon')}`;
    case 'message.user':
      return `${t} ${c.bold.blue('user')} ${oneLine(String(d.text ?? ''), 500)}`;
    case 'message.assistant':
      return `${t} ${c.bold.magenta('assistant')} ${String(d.text ?? '')}`;
    case 'tool.call':
      return `${t} ${c.yellow('tool')} ${d.tool} ${c.dim(`[${d.kind}]`)} ${oneLine(describeInput(d.input))}`;
    case 'tool.result':
      return `${t} ${d.ok ? c.green('result') : c.red('failed')} ${d.tool ?? ''} ${c.dim(oneLine(describeOutput(d.output), 160))}`.trimEnd();
    case 'usage':
      return `${t} ${c.dim('usage')} ${d.model} in ${d.inputTokens} out ${d.outputTokens} cache r/w ${d.cacheReadTokens}/${d.cacheWriteTokens}${typeof d.computedCostUsd === 'number' ? ` ~${money(d.computedCostUsd)}` : d.unpriced ? ' (unpriced)' : ''}`;
    case 'cost.reported':
      return `${t} ${c.dim('cost')} the harness reports ${money(Number(d.totalUsd))} so far${d.model ? ` on ${d.model}` : ''} ${c.dim(`(${d.source}${d.harnessSessionId ? `, its session ${d.harnessSessionId}` : ''})`)}`;
    case 'approval.requested':
      return `${t} ${c.yellow.bold('ask')} ${d.id} ${d.phase}${d.policy ? ` by ${d.policy}` : ''}${d.reason ? ` — ${oneLine(String(d.reason))}` : ''}`;
    case 'approval.resolved':
      return `${t} ${d.verdict === 'approve' ? c.green('approved') : c.red(d.verdict === 'deny' ? 'denied' : String(d.verdict))} ${d.id}${d.scope === 'session' ? ' for the session' : ''} by ${d.by} via ${d.via}${d.reason ? ` — ${oneLine(String(d.reason))}` : ''}`;
    case 'approval.refused':
      return `${t} ${c.red('refused')} ${d.verb} ${d.id}${d.pid !== undefined ? ` from pid ${d.pid}` : ''} — ${oneLine(String(d.why))}`;
    case 'session.resumed':
      return `${t} ${c.bold('resumed')} ${c.dim(`harness session ${d.harnessSessionId}`)}`;
    case 'session.forked':
      return `${t} ${c.bold('forked')} from ${d.fromName} ${c.dim(`(${d.from}, harness session ${d.harnessSessionId})`)}${d.worktree ? ` in worktree ${tildify(String(d.worktree))}` : ''}`;
    case 'session.fork':
      return `${t} ${c.dim('forked into')} ${d.toName} ${c.dim(`(${d.to})`)}`;
    case 'text.delta':
      return `${t} ${c.dim('…')} ${oneLine(String(d.text ?? ''))}`;
    case 'policy.decision':
      return `${t} ${c.cyan('policy')} ${d.phase} ${d.verdict}${d.policy ? ` by ${d.policy}` : ''}${d.reason ? ` — ${d.reason}` : ''}`;
    case 'sandbox.started':
      return `${t} ${c.bold('sandbox')} ${d.backend}: writes ${(d.writable as string[]).map((p) => tildify(p)).join(', ')}; network ${(d.allow as string[]).join(', ') || '(none)'}, others ${d.unknown}${(d.secrets as string[]).length ? `; secrets ${(d.secrets as string[]).join(', ')}` : ''}`;
    case 'egress.request':
      return `${t} ${d.verdict === 'allow' ? c.green('egress') : c.red('egress')} ${d.method} ${d.scheme}://${d.host}:${d.port}${d.path}${d.status ? ` → ${d.status}` : ''}${(d.secrets as string[] | undefined)?.length ? c.dim(` +${(d.secrets as string[]).join(',')}`) : ''}${d.reason && d.verdict === 'deny' ? ` — ${d.reason}` : ''}`;
    case 'session.exited':
      return `${t} ${c.bold('exited')}${d.code !== null && d.code !== undefined ? ` code ${d.code}` : ''}${d.reason ? ` — ${d.reason}` : ''}`;
    case 'child.idle':
    case 'child.exited':
      return `${t} ${c.bold('sub-agent')} ${d.name} (${d.harness}, ${d.child}) ${ev.type === 'child.idle' ? 'is idle' : `exited${d.exitCode !== undefined ? ` code ${d.exitCode}` : ''}`}`;
    case 'error':
      return `${t} ${c.red('error')} ${d.message}`;
    // Who typed what, and what guests did (docs/COLLABORATION.md)
    case 'input.sent':
      return `${t} ${c.bold.blue(String(d.by))} typed${d.submit === false ? c.dim(' (not submitted)') : ''}: ${oneLine(String(d.text ?? ''), 500)}`;
    case 'guest.action':
      return `${t} ${c.cyan('guest')} ${d.user} (uid ${d.uid}, ${d.role}) ${d.action}${d.approval ? ` ${d.approval}` : ''}`;
    case 'share.granted':
    case 'share.revoked':
      return `${t} ${c.cyan(ev.type === 'share.granted' ? 'shared' : 'unshared')} ${ev.type === 'share.granted' ? 'with' : 'from'} ${d.user} (uid ${d.uid}): ${d.role}${d.previous ? ` (was ${d.previous})` : ''}`;
    default:
      // An event type this CLI does not know yet (a newer daemon): its fields, as key=value.
      return `${t} ${ev.type} ${oneLine(Object.entries(d ?? {}).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' '))}`;
  }
}
