import { OmniError } from '../../core/errors.js';
import type { SessionRecord } from '../../core/session.js';
import { client } from '../context.js';
import { printJson, sessionLine } from '../output.js';

export async function waitCommand(ref: string, opts: { for: string; timeout: string; json?: boolean }): Promise<number> {
  const timeout = Number(opts.timeout);
  if (!Number.isFinite(timeout) || timeout < 0) throw new OmniError(`--timeout must be a number of seconds, not "${opts.timeout}"`, 'bad_request');
  const q = new URLSearchParams({ for: opts.for, timeout: String(timeout) });
  const { session } = await (await client()).request<{ session: SessionRecord }>(`/v1/sessions/${encodeURIComponent(ref)}/wait?${q}`);
  if (opts.json) printJson(session);
  else process.stdout.write(`${sessionLine(session)}\n`);
  return 0;
}
