import type { SessionRecord } from '../../core/session.js';
import { client } from '../context.js';
import { printJson, sessionLine } from '../output.js';

/** `omni rename <session> <name>`: the same daemon call as the dashboard's `r`. */
export async function renameCommand(ref: string, name: string, opts: { json?: boolean }): Promise<number> {
  const { session } = await (await client()).request<{ session: SessionRecord }>(`/v1/sessions/${encodeURIComponent(ref)}/rename`, { body: { name } });
  if (opts.json) printJson(session);
  else process.stdout.write(`renamed ${ref} to ${sessionLine(session)}\n`);
  return 0;
}
