import { OmniError } from '../../core/errors.js';
import type { SessionRecord } from '../../core/session.js';
import { client } from '../context.js';
import { printJson } from '../output.js';

/** `omni tag S` lists the tags; `omni tag S +a -b c` adds a and c, removes b. */
export async function tagCommand(ref: string, changes: string[], opts: { json?: boolean }): Promise<number> {
  const api = await client();
  const add: string[] = [];
  const remove: string[] = [];
  for (const c of changes) {
    if (c === '--json') continue; // commander leaves it among the words when it follows a -TAG
    if (c.startsWith('-')) remove.push(c.slice(1));
    else add.push(c.startsWith('+') ? c.slice(1) : c);
  }
  if ([...add, ...remove].some((t) => !t)) throw new OmniError('a tag change is +TAG or -TAG', 'bad_request');
  const { session } =
    add.length || remove.length
      ? await api.request<{ session: SessionRecord }>(`/v1/sessions/${encodeURIComponent(ref)}/tags`, { body: { add, remove } })
      : await api.session(ref);
  const tags = session.tags ?? [];
  if (opts.json || changes.includes('--json')) printJson({ session: session.id, name: session.name, tags });
  else process.stdout.write(tags.length ? tags.join(' ') + '\n' : `${session.name} has no tags\n`);
  return 0;
}
