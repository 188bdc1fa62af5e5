import { deepestFirst, findNode, sessionTree } from '../../core/session-tree.js';
import { isLive, type SessionRecord } from '../../core/session.js';
import type { OmniClient } from '../../client/api.js';
import { client } from '../context.js';
import { printJson, sessionLine } from '../output.js';

/**
 * `omni stop`: exit 0 also when the session had already ended (then it says so, and `--json`
 * has `alreadyEnded: true`): what the caller asked for holds, and a cleanup script keeps its
 * non-zero exits for real failures (unknown session 3, no daemon 4).
 */
export async function stopCommand(ref: string, opts: { json?: boolean; tree?: boolean }): Promise<number> {
  if (opts.tree) return stopTree(await client(), ref, opts);
  const { session, alreadyEnded } = await (await client()).request<{ session: SessionRecord; alreadyEnded?: boolean }>(`/v1/sessions/${encodeURIComponent(ref)}/stop`, { method: 'POST' });
  if (opts.json) printJson(alreadyEnded ? { ...session, alreadyEnded } : session);
  else if (alreadyEnded) process.stdout.write(`${session.name} (${session.id}) had already ${session.status === 'failed' ? 'failed' : 'ended'}${session.statusReason ? ` — ${session.statusReason}` : ''}; nothing to stop\n`);
  else process.stdout.write(`stopped ${sessionLine(session)}\n`);
  return 0;
}

/**
 * `omni stop --tree`: the session and every session under it, deepest first (a child before its
 * lead), one line per stopped session. Client side: the list, its tree, one stop each. A lead
 * may start a child meanwhile, so the tree is read again until nothing under it is live.
 */
async function stopTree(api: OmniClient, ref: string, opts: { json?: boolean }): Promise<number> {
  const { session: root } = await api.session(ref);
  const stopped: SessionRecord[] = [];
  const ended: SessionRecord[] = [];
  const done = new Set<string>();
  for (let round = 0; round < 5; round++) {
    const { sessions } = await api.sessions(true);
    const node = findNode(sessionTree(sessions), root.id);
    const todo = node ? deepestFirst(node).filter((s) => !done.has(s.id)) : [];
    if (round > 0 && !todo.some((s) => isLive(s.status))) break;
    for (const s of todo) {
      done.add(s.id);
      if (!isLive(s.status)) {
        ended.push(s);
        continue;
      }
      const r = await api.request<{ session: SessionRecord; alreadyEnded?: boolean }>(`/v1/sessions/${encodeURIComponent(s.id)}/stop`, { method: 'POST' });
      (r.alreadyEnded ? ended : stopped).push(r.session);
      if (!opts.json && !r.alreadyEnded) process.stdout.write(`stopped ${sessionLine(r.session)}\n`);
    }
    if (!todo.length) break;
  }
  if (opts.json) printJson({ stopped, alreadyEnded: ended.map((s) => s.id) });
  else if (!stopped.length) process.stdout.write(`nothing to stop: ${root.name} (${root.id}) and the sessions under it had already ended\n`);
  return 0;
}

export async function interruptCommand(ref: string, opts: { json?: boolean }): Promise<number> {
  const r = await (await client()).request<{ session: string }>(`/v1/sessions/${encodeURIComponent(ref)}/interrupt`, { method: 'POST' });
  if (opts.json) printJson(r);
  else process.stdout.write(`interrupted ${ref}\n`);
  return 0;
}
