import fs from 'node:fs';
import { ExitCode, OmniError } from '../../core/errors.js';
import type { PromptBlock } from '../../core/session.js';
import { client } from '../context.js';
import { printJson } from '../output.js';

export async function sendCommand(ref: string, words: string[], opts: { file?: string; submit?: boolean; json?: boolean; force?: boolean }): Promise<number> {
  let text: string;
  if (opts.file) text = fs.readFileSync(opts.file === '-' ? 0 : opts.file, 'utf8');
  else if (words.length === 1 && words[0] === '-') text = fs.readFileSync(0, 'utf8');
  else text = words.join(' ');
  text = text.replace(/\s+$/, '');
  if (!text) throw new OmniError('nothing to send: give the text, --file FILE, or - for stdin', 'bad_request');
  const result = await (await client()).request<SendAnswer>(
    `/v1/sessions/${encodeURIComponent(ref)}/input`,
    { body: { text, submit: opts.submit !== false, force: Boolean(opts.force) } },
  );
  if (opts.json) printJson(result);
  else if (result.queued) process.stdout.write(`sent to ${ref} (it was busy: the harness queued the input)\n`);
  if (result.blocked) {
    process.stderr.write(`omni: the prompt was blocked by ${blockedBy(result.blocked)}; it never ran\n`);
    return ExitCode.promptBlocked;
  }
  if (result.held) {
    const h = result.held;
    process.stderr.write(`omni: ${ref} holds the prompt for a person: ${approvalNote(h.approval, h.policy, h.reason)}\n`);
  }
  return 0;
}

interface SendAnswer {
  session: string;
  accepted: boolean;
  verified: boolean;
  queued: boolean;
  blocked?: PromptBlock;
  held?: { approval: string; policy?: string; reason?: string };
}

/** "policy P: reason" (shared with `omni wait`). */
export function blockedBy(b: PromptBlock): string {
  return `${b.policy ? `policy ${b.policy}` : 'policy'}: ${b.reason}`;
}

/** One ask and how to answer it (shared with `omni wait`). */
export function approvalNote(id: string, policy?: string, reason?: string): string {
  return `approval ${id}${policy ? ` (policy ${policy})` : ''}${reason ? `: ${reason}` : ''} — answer with: omni approve ${id}  |  omni deny ${id}`;
}
