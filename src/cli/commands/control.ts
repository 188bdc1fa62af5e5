import type { SessionRecord } from '../../core/session.js';
import { client } from '../context.js';
import { printJson, sessionLine } from '../output.js';

/**
 * `omni stop`: exit 0 also when the session had already ended (then it says so, and `--json`
 * has `alreadyEnded: true`): what the caller asked for holds, and a cleanup script keeps its
 * non-zero exits for real failures (unknown session 3, no daemon 4).
 */
export async function stopCommand(ref: string, opts: { json?: boolean }): Promise<number> {
  const { session, alreadyEnded } = await (await client()).request<{ session: SessionRecord; alreadyEnded?: boolean }>(`/v1/sessions/${encodeURIComponent(ref)}/stop`, { method: 'POST' });
  if (opts.json) printJson(alreadyEnded ? { ...session, alreadyEnded } : session);
  else if (alreadyEnded) process.stdout.write(`${session.name} (${session.id}) had already ${session.status === 'failed' ? 'failed' : 'ended'}${session.statusReason ? ` — ${session.statusReason}` : ''}; nothing to stop\n`);
  else process.stdout.write(`stopped ${sessionLine(session)}\n`);
  return 0;
}

export async function interruptCommand(ref: string, opts: { json?: boolean }): Promise<number> {
  const r = await (await client()).request<{ session: string }>(`/v1/sessions/${encodeURIComponent(ref)}/interrupt`, { method: 'POST' });
  if (opts.json) printJson(r);
  else process.stdout.write(`interrupted ${ref}\n`);
  return 0;
}
