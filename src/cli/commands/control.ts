import type { SessionRecord } from '../../core/session.js';
import { client } from '../context.js';
import { printJson, sessionLine } from '../output.js';

export async function stopCommand(ref: string, opts: { json?: boolean }): Promise<number> {
  const { session } = await (await client()).request<{ session: SessionRecord }>(`/v1/sessions/${encodeURIComponent(ref)}/stop`, { method: 'POST' });
  if (opts.json) printJson(session);
  else process.stdout.write(`stopped ${sessionLine(session)}\n`);
  return 0;
}

export async function interruptCommand(ref: string, opts: { json?: boolean }): Promise<number> {
  const r = await (await client()).request<{ session: string }>(`/v1/sessions/${encodeURIComponent(ref)}/interrupt`, { method: 'POST' });
  if (opts.json) printJson(r);
  else process.stdout.write(`interrupted ${ref}\n`);
  return 0;
}
