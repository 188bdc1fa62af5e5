import { isLive, type SessionRecord } from '../core/session.js';

/** Every client attached to omni's tmux server (Tmux.listAllClients). */
export type AttachedSource = () => Promise<Array<{ session: string; readOnly: boolean; user: string; tty: string }>>;

/**
 * The records with who is attached to each (omni watch): one `list-clients` for the whole
 * list, none when no session in it is live.
 */
export async function withClients(list: SessionRecord[], attached: AttachedSource | undefined): Promise<SessionRecord[]> {
  if (!attached || !list.some((s) => isLive(s.status))) return list;
  const all = await attached().catch(() => []);
  if (!all.length) return list;
  return list.map((s) => {
    const mine = all.filter((c) => c.session === s.tmuxSession);
    return mine.length ? { ...s, clients: mine.map((c) => ({ user: c.user, mode: c.readOnly ? ('watch' as const) : ('drive' as const), tty: c.tty })) } : s;
  });
}
