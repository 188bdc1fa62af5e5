import type { Approval } from '../../approvals/types.js';
import type { OmniClient } from '../../client/api.js';
import { ExitCode, OmniError } from '../../core/errors.js';
import { client } from '../context.js';
import { printJson } from '../output.js';
import { formatApprovalsTable } from './approvals-table.js';

/**
 * Which asks `omni approve|deny` answers. By id (`ap_…`); by session (its single pending ask);
 * or every pending one (`--all`, optionally of one session). Each answer is its own request, so
 * the daemon's approval gate judges every one.
 */
export type AnswerTarget = { kind: 'id'; id: string } | { kind: 'session'; ref: string } | { kind: 'all'; session?: string };

export function parseTarget(verb: 'approve' | 'deny', target: string | undefined, opts: { all?: boolean; session?: string }): AnswerTarget {
  const usage = (why: string) => new OmniError(`${why} (see omni ${verb} --help)`, 'bad_request', ExitCode.usage);
  if (opts.all) {
    if (target && /^ap_/.test(target)) throw usage(`--all answers every pending ask; drop ${target}, or drop --all to answer only it`);
    if (target && opts.session && target !== opts.session) throw usage(`two sessions given: ${target} and --session ${opts.session}`);
    const session = target ?? opts.session;
    return session ? { kind: 'all', session } : { kind: 'all' };
  }
  if (target && opts.session) throw usage(`--session ${opts.session} names a session only with --all, or alone`);
  const ref = target ?? opts.session;
  if (!ref) throw usage(`which ask? give its id (ap_…), a session whose single pending ask to ${verb}, or --all`);
  return /^ap_/.test(ref) ? { kind: 'id', id: ref } : { kind: 'session', ref };
}

/** The ids to answer: one, or the pending ones chosen; a session with several pending is refused (exit 2) with the list. */
async function pick(c: OmniClient, verb: 'approve' | 'deny', target: AnswerTarget): Promise<string[]> {
  if (target.kind === 'id') return [target.id];
  const { approvals } = await c.approvals(target.kind === 'all' && !target.session ? {} : { session: target.kind === 'all' ? target.session! : target.ref });
  if (target.kind === 'all') return approvals.map((a) => a.id);
  if (approvals.length === 1) return [approvals[0]!.id];
  if (!approvals.length) throw new OmniError(`no pending ask in session ${target.ref}`, 'not_found', ExitCode.notFound);
  throw new OmniError(
    `session ${target.ref} has ${approvals.length} pending asks: ${verb} one by its id (${approvals.map((a) => a.id).join(', ')}), or all of them with omni ${verb} --all ${target.ref}`,
    'ambiguous',
    ExitCode.usage,
    { pending: approvals },
  );
}

/**
 * Answer each id in turn. With --all, an ask answered or withdrawn meanwhile is skipped (it is
 * no longer pending); a refusal by the approval gate stops everything (exit 8).
 */
async function answerAll(ids: string[], all: boolean, answer: (id: string) => Promise<{ approval: Approval }>): Promise<Approval[]> {
  const done: Approval[] = [];
  for (const id of ids) {
    try {
      done.push((await answer(id)).approval);
    } catch (err) {
      if (!all || !(err instanceof OmniError) || (err.code !== 'conflict' && err.code !== 'not_found')) throw err;
      process.stderr.write(`omni: skipped ${id}: ${err.message}\n`);
    }
  }
  return done;
}

/** Pick, answer, print. A session with several pending asks: they are printed (stdout) before the error line. */
async function run(verb: 'approve' | 'deny', target: AnswerTarget, json: boolean | undefined, answer: (c: OmniClient, id: string) => Promise<{ approval: Approval }>, line: (a: Approval) => string): Promise<number> {
  const c = await client();
  let ids: string[];
  try {
    ids = await pick(c, verb, target);
  } catch (err) {
    const pending = err instanceof OmniError && err.code === 'ambiguous' ? (err.details?.pending as Approval[]) : undefined;
    if (pending) {
      if (json) printJson(pending);
      else process.stdout.write(formatApprovalsTable(pending, Date.now()) + '\n');
    }
    throw err;
  }
  const all = target.kind === 'all';
  const done = await answerAll(ids, all, (id) => answer(c, id));
  if (json) printJson(all ? done : done[0]);
  else if (all && !done.length) process.stdout.write(`nothing pending${target.session ? ` in session ${target.session}` : ''}\n`);
  else for (const a of done) process.stdout.write(line(a) + '\n');
  return ExitCode.ok;
}

/** `omni approve <ap_id|session> [--session]`, `omni approve --all [--session S | S]`. */
export async function approveCommand(target: string | undefined, opts: { all?: boolean; session?: boolean | string; json?: boolean }): Promise<number> {
  // `--session` alone is the scope; `--session S` names the session (and `omni approve --session ap_1` is the old spelling of `ap_1 --session`).
  const named = typeof opts.session === 'string' ? opts.session : undefined;
  const scope = opts.session === true || (named !== undefined && !opts.all && !target) ? 'session' : 'once';
  const t = parseTarget('approve', target, { all: opts.all, session: named });
  return run('approve', t, opts.json, (c, id) => c.approve(id, { scope, via: 'cli' }), (a) => `approved ${a.id}${a.sessionName ? ` (${a.sessionName})` : ''} ${scope === 'session' ? 'for the rest of the session' : 'once'}`);
}

/** `omni deny <ap_id|session> [--reason TEXT]`, `omni deny --all [--session S | S]`. */
export async function denyCommand(target: string | undefined, opts: { all?: boolean; session?: string; reason?: string; json?: boolean }): Promise<number> {
  const reason = opts.reason?.trim() || undefined;
  const t = parseTarget('deny', target, opts);
  return run('deny', t, opts.json, (c, id) => c.deny(id, { reason, via: 'cli' }), (a) => `denied ${a.id}${a.sessionName ? ` (${a.sessionName})` : ''}${reason ? ` (reason: ${reason})` : ''}`);
}
