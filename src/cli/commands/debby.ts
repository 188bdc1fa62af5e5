import { ExitCode, OmniError } from '../../core/errors.js';
import type { DebbyExchange, DebbyRun } from '../../debby/types.js';
import { usdShort } from '../../cost/format.js';
import { clientDebbySource, type DebbyApi } from '../../tui/debby/source.js';
import { client } from '../context.js';
import { age, makeChalk, printJson, table, tildify } from '../output.js';
import { callerEnv } from './start.js';

/** The Debby API with the caller's cwd, so `latest` means the newest run started here. */
async function debbyApi(): Promise<DebbyApi> {
  return clientDebbySource(await client(), process.cwd());
}

/** `omni debby`: start the heads; then the Debby view in a tmux window (on a terminal), or print the run id. */
export async function debbyStartCommand(opts: { heads?: string; synth?: string; detach?: boolean; json?: boolean }): Promise<number> {
  const heads = (opts.heads ?? 'claude,codex')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  if (heads.length < 2) throw new OmniError(`--heads needs at least two harnesses, comma-separated (got "${opts.heads ?? ''}")`, 'bad_request', ExitCode.usage);
  const run = await (await debbyApi()).start({ cwd: process.cwd(), env: callerEnv(), heads, ...(opts.synth ? { synth: opts.synth } : {}) });
  if (opts.json) {
    printJson({ run });
    return 0;
  }
  const detach = opts.detach || !process.stdin.isTTY || !process.stdout.isTTY;
  if (detach) {
    // stdout is the run id alone, for RUN=$(omni debby --detach); the rest is for the person.
    process.stdout.write(`${run.id}\n`);
    process.stderr.write(`debby ${run.id}: ${run.heads.map((h) => `${h.name} (${h.harness})`).join(', ')}\n`);
    process.stderr.write(`ask with: omni debby ask ${run.id} "…"   view with: omni debby view ${run.id}\n`);
    if (!opts.detach) process.stderr.write('not a terminal, so not opening the view\n');
    return 0;
  }
  return (await import('./debby-window.js')).openDebbyWindow(run);
}

/** `omni debby ask RUN "question"`: every head answers; exit 1 if one failed, 124 if time ran out. */
export async function debbyAskCommand(ref: string, words: string[], opts: { timeout?: string; json?: boolean }): Promise<number> {
  const text = words.join(' ').trim();
  if (!text) throw new OmniError('no question: omni debby ask RUN "question"', 'bad_request', ExitCode.usage);
  const timeoutS = seconds(opts.timeout);
  const { exchange } = (await (await debbyApi()).ask(ref, text, { timeoutS })) as { exchange: DebbyExchange };
  if (opts.json) printJson(exchange);
  else process.stdout.write(exchangeText(exchange));
  return exitFor([exchange]);
}

/** `omni debby debate RUN`: N critique rounds, then the synthesis. */
export async function debbyDebateCommand(ref: string, opts: { rounds?: string; synth?: string; timeout?: string; json?: boolean }): Promise<number> {
  const rounds = opts.rounds === undefined ? undefined : Number(opts.rounds);
  if (rounds !== undefined && (!Number.isInteger(rounds) || rounds < 1)) throw new OmniError(`--rounds is a whole number of rounds, 1 or more (got "${opts.rounds}")`, 'bad_request', ExitCode.usage);
  const timeoutS = seconds(opts.timeout);
  const { exchanges } = (await (await debbyApi()).debate(ref, rounds, { ...(opts.synth ? { synth: opts.synth } : {}), timeoutS })) as { exchanges: DebbyExchange[] };
  if (opts.json) printJson({ exchanges });
  else process.stdout.write(exchanges.map(exchangeText).join('\n'));
  return exitFor(exchanges);
}

/** `omni debby show RUN`: the run (heads, costs, every exchange); `--json` is GET /v1/debby/:run's run. */
export async function debbyShowCommand(ref: string, opts: { json?: boolean }): Promise<number> {
  const run = await (await debbyApi()).run(ref);
  if (opts.json) {
    printJson(run);
    return 0;
  }
  const c = makeChalk();
  const out = [
    `${c.bold(run.id)}  ${run.status}${run.busy ? ' (busy)' : ''}  ${usdShort(run.costUsd ?? 0)}  ${tildify(run.cwd)}  started ${age(run.createdAt)} ago`,
    ...run.heads.map((h) => `  ${h.label}: ${h.name} (${h.session}, ${h.harness})  ${usdShort(h.costUsd ?? 0)}${h.label === run.synth ? '  synth' : ''}`),
    '',
  ];
  for (const ex of run.exchanges) out.push(c.dim(`#${ex.n} ${ex.kind}: ${ex.kind === 'ask' ? ex.prompt : ex.prompt.split('\n')[0]}`), exchangeText(ex));
  process.stdout.write(`${out.join('\n')}${out.at(-1)?.endsWith('\n') ? '' : '\n'}`);
  return 0;
}

/** `omni debby stop RUN`: stop every head. */
export async function debbyStopCommand(ref: string, opts: { json?: boolean }): Promise<number> {
  const run = await (await debbyApi()).stop(ref);
  if (opts.json) printJson({ run });
  else process.stdout.write(`stopped debby ${run.id}: ${run.heads.map((h) => h.name).join(', ')}\n`);
  return 0;
}

/** `omni debby ls`: the runs, newest first (`--json`: an array, as `omni ls --json`). */
export async function debbyLsCommand(opts: { json?: boolean }): Promise<number> {
  const runs = await (await debbyApi()).runs();
  if (opts.json) {
    printJson(runs);
    return 0;
  }
  if (!runs.length) {
    process.stdout.write('no debby runs (start one with: omni debby)\n');
    return 0;
  }
  const c = makeChalk();
  const rows = [['RUN', 'STATUS', 'HEADS', 'EXCHANGES', 'COST', 'AGE', 'CWD']];
  for (const r of runs) rows.push([r.id, r.busy ? 'busy' : r.status, r.heads.map((h) => h.label).join(','), String(r.exchanges.length), usdShort(r.costUsd ?? 0), age(r.createdAt), tildify(r.cwd)]);
  process.stdout.write(`${table(rows, c)}\n`);
  return 0;
}

/** Each answer under a `── label ──` rule (a synthesis: `── synthesis (label) ──`). */
export function exchangeText(ex: DebbyExchange): string {
  const c = makeChalk();
  const parts: string[] = [];
  for (const a of ex.answers) {
    const title = ex.kind === 'synthesis' ? `synthesis (${a.head})` : ex.kind === 'critique' ? `${a.head} · round ${ex.round ?? 1}` : a.head;
    parts.push(c.bold(`── ${title} ──`));
    if (a.text) parts.push(a.text);
    if (a.error) parts.push(c.red(`(${a.error})`));
    parts.push('');
  }
  return `${parts.join('\n')}`;
}

function exitFor(exchanges: DebbyExchange[]): number {
  const answers = exchanges.flatMap((e) => e.answers);
  if (answers.some((a) => a.timedOut)) return ExitCode.timeout;
  return answers.some((a) => a.error) ? ExitCode.error : ExitCode.ok;
}

function seconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new OmniError(`--timeout is a number of seconds above 0 (got "${v}")`, 'bad_request', ExitCode.usage);
  return n;
}
