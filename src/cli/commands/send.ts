import fs from 'node:fs';
import { OmniError } from '../../core/errors.js';
import { client } from '../context.js';
import { printJson } from '../output.js';

export async function sendCommand(ref: string, words: string[], opts: { file?: string; submit?: boolean; json?: boolean; force?: boolean }): Promise<number> {
  let text: string;
  if (opts.file) text = fs.readFileSync(opts.file === '-' ? 0 : opts.file, 'utf8');
  else if (words.length === 1 && words[0] === '-') text = fs.readFileSync(0, 'utf8');
  else text = words.join(' ');
  text = text.replace(/\s+$/, '');
  if (!text) throw new OmniError('nothing to send: give the text, --file FILE, or - for stdin', 'bad_request');
  const result = await (await client()).request<{ session: string; accepted: boolean; verified: boolean; queued: boolean }>(
    `/v1/sessions/${encodeURIComponent(ref)}/input`,
    { body: { text, submit: opts.submit !== false, force: Boolean(opts.force) } },
  );
  if (opts.json) printJson(result);
  else if (result.queued) process.stdout.write(`sent to ${ref} (it was busy: the harness queued the input)\n`);
  return 0;
}
