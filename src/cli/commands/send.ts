import fs from 'node:fs';
import { ExitCode, OmniError } from '../../core/errors.js';
import type { BroadcastResult } from '../../daemon/broadcast.js';
import { client } from '../context.js';
import { makeChalk, printJson, table } from '../output.js';

export interface SendOptions {
  file?: string;
  submit?: boolean;
  json?: boolean;
  force?: boolean;
  /** `--tag`: every live session with all of these. */
  tag?: string[];
  /** `--to a,b`: these sessions. */
  to?: string[];
}

export async function sendCommand(ref: string | undefined, words: string[], opts: SendOptions): Promise<number> {
  const tags = opts.tag ?? [];
  const to = (opts.to ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  const many = tags.length > 0 || to.length > 0;
  // With --tag/--to no session is named on the line: the first word is text too.
  const text = readText(many && ref !== undefined ? [ref, ...words] : words, opts.file);
  if (!many && ref === undefined) throw new OmniError('name a session (omni send SESSION TEXT), or send to many with --tag TAG or --to a,b', 'bad_request');
  if (many) return broadcastCommand(text, tags, to, opts);
  const result = await (await client()).request<{ session: string; accepted: boolean; verified: boolean; queued: boolean }>(
    `/v1/sessions/${encodeURIComponent(ref!)}/input`,
    { body: { text, submit: opts.submit !== false, force: Boolean(opts.force) } },
  );
  if (opts.json) printJson(result);
  else if (result.queued) process.stdout.write(`sent to ${ref} (it was busy: the harness queued the input)\n`);
  return 0;
}

/** One line per session; exit 7 (not accepted) when any of them did not take the text. */
async function broadcastCommand(text: string, tags: string[], sessions: string[], opts: SendOptions): Promise<number> {
  const result = await (await client()).request<BroadcastResult>('/v1/broadcast', {
    body: { text, tags, sessions, submit: opts.submit !== false, force: Boolean(opts.force) },
  });
  if (opts.json) printJson(result);
  else {
    const c = makeChalk();
    const rows = [['SESSION', 'NAME', 'RESULT']];
    for (const r of result.results) {
      const what = r.ok ? (r.queued ? c.yellow('queued (it was busy)') : c.green('sent')) : c.red(`failed: ${r.error?.message ?? 'unknown error'}`);
      rows.push([r.session, r.name, what]);
    }
    process.stdout.write(table(rows, c) + '\n');
    if (result.failed) process.stderr.write(`omni: ${result.failed} of ${result.results.length} sessions did not take the text\n`);
  }
  return result.failed ? ExitCode.notAccepted : ExitCode.ok;
}

function readText(words: string[], file: string | undefined): string {
  let text: string;
  if (file) text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  else if (words.length === 1 && words[0] === '-') text = fs.readFileSync(0, 'utf8');
  else text = words.join(' ');
  text = text.replace(/\s+$/, '');
  if (!text) throw new OmniError('nothing to send: give the text, --file FILE, or - for stdin', 'bad_request');
  return text;
}
