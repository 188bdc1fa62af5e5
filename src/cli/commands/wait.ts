import type { OmniClient } from '../../client/api.js';
import type { OmniEvent } from '../../core/events.js';
import { ExitCode, OmniError } from '../../core/errors.js';
import type { SessionRecord } from '../../core/session.js';
import { client } from '../context.js';
import { printJson, sessionLine } from '../output.js';
import { approvalNote, blockedBy } from './send.js';

export async function waitCommand(ref: string, opts: { for: string; timeout: string; json?: boolean }): Promise<number> {
  const timeout = Number(opts.timeout);
  if (!Number.isFinite(timeout) || timeout < 0) throw new OmniError(`--timeout must be a number of seconds, not "${opts.timeout}"`, 'bad_request');
  const c = await client();
  const q = new URLSearchParams({ for: opts.for, timeout: String(timeout) });
  // While it waits, say at once (on stderr) when the session needs a person, and who.
  // First on its own: it starts the daemon if need be, which two requests at once must not race to.
  const { session: now } = await c.session(ref);
  const stop = new AbortController();
  const notes = new PersonNotes(c);
  const following = notes.follow(now, stop.signal).catch(() => {});
  let session: SessionRecord;
  try {
    ({ session } = await c.request<{ session: SessionRecord }>(`/v1/sessions/${encodeURIComponent(now.id)}/wait?${q}`));
  } finally {
    stop.abort();
    await following;
  }
  if (opts.json) printJson(session);
  else process.stdout.write(`${sessionLine(session)}\n`);
  // `blocked` is set only while the session is idle after a prompt that never ran.
  if (session.status === 'idle' && session.blocked) {
    process.stderr.write(`omni: ${session.name} is idle because its last prompt was blocked by ${blockedBy(session.blocked)}; it never ran\n`);
    return ExitCode.promptBlocked;
  }
  if (opts.for === 'attention' && session.status === 'waiting') {
    await notes.now(session).catch(() => {});
    return ExitCode.needsPerson;
  }
  return 0;
}

/**
 * Says on stderr, once each, what a session waits on a person for: the omni approvals (id,
 * policy, reason, how to answer) and the harness's own dialogs.
 */
class PersonNotes {
  private said = new Set<string>();
  constructor(private readonly c: OmniClient) {}

  /** What the session waits on now, then everything new until `signal` aborts. */
  async follow(session: SessionRecord, signal: AbortSignal): Promise<void> {
    await this.now(session);
    const q = new URLSearchParams({ follow: '1', since: String(session.lastSeq) });
    for await (const ev of this.c.stream<OmniEvent>(`/v1/sessions/${encodeURIComponent(session.id)}/events?${q}`, signal)) {
      if (signal.aborted) return;
      if (ev.type === 'approval.requested') {
        const d = (ev as OmniEvent<'approval.requested'>).data;
        this.ask(session, d.id, d.policy, d.reason);
      } else if (ev.type === 'session.status') {
        const d = (ev as OmniEvent<'session.status'>).data;
        if (d.status === 'waiting' && d.source !== 'daemon') this.dialog(session, d.reason);
      }
    }
  }

  /** What the session (as of `session`) waits on a person for. */
  async now(session: SessionRecord): Promise<void> {
    const { approvals } = await this.c.approvals({ session: session.id });
    for (const a of approvals) if (a.status === 'pending') this.ask(session, a.id, a.policies.join(', '), a.reason);
    if (session.status === 'waiting' && session.statusSource !== 'daemon') this.dialog(session, session.statusReason);
  }

  private ask(s: SessionRecord, id: string, policy?: string, reason?: string): void {
    this.say(s, id, `waits on a person: ${approvalNote(id, policy, reason)}`);
  }

  private dialog(s: SessionRecord, reason?: string): void {
    this.say(s, `dialog:${reason}`, `waits on a person at its own screen (${reason ?? 'a dialog'}); attach to answer it: omni attach ${s.name}`);
  }

  private say(s: SessionRecord, key: string, text: string): void {
    if (this.said.has(key)) return;
    this.said.add(key);
    process.stderr.write(`omni: ${s.name} ${text}\n`);
  }
}
