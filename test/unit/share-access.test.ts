import type http from 'node:http';
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ApprovalQueue } from '../../src/approvals/queue.js';
import type { NewEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { shareAccess } from '../../src/daemon/share-access.js';
import type { ShareService } from '../../src/daemon/share-service.js';
import type { Grant } from '../../src/daemon/share-store.js';

/** The guest check with the parts faked: which sessions a guest reaches, and as what. */
describe('share access: a guest reaches its granted sessions only, pinned by id', () => {
  const rec = (id: string, name: string, status = 'idle') => ({ id, name, status, tmuxSession: id }) as unknown as SessionRecord;
  const sessions = [rec('s_mine', 'fix'), rec('s_other', 'secret'), rec('s_twin', 'fix', 'exited')];
  const grants: Grant[] = [{ session: 's_mine', user: 'bob', uid: 1002, role: 'watch', at: '' }];
  const guestSock = {} as net.Socket;
  const emitted: NewEvent[] = [];
  const access = shareAccess({
    shares: { guestOf: (s: net.Socket) => (s === guestSock ? { user: 'bob', uid: 1002, pid: 9 } : undefined), grants: () => grants } as unknown as ShareService,
    sessions: { list: () => sessions, get: (id) => sessions.find((s) => s.id === id), resolve: () => sessions[0]! },
    approvals: { get: (id: string) => (id === 'ap_other' ? { id, session: 's_other', sessionName: 'secret' } : id === 'ap_mine' ? { id, session: 's_mine', sessionName: 'fix' } : undefined), list: () => [] } as unknown as ApprovalQueue,
    emit: (_r, ev) => emitted.push(ev),
    info: { pid: 1, version: 'v', tmuxSocket: '/t', shareSocket: '/s', home: '/h' },
    owner: 'alice',
  });
  const req = (method: string, socket = guestSock) => ({ method, socket }) as unknown as http.IncomingMessage;
  const res = {} as http.ServerResponse;
  const go = (method: string, p: string, socket?: net.Socket) => access.access(req(method, socket), res, new URL(p, 'http://omni'));

  it('does nothing at all for the owner', async () => {
    expect(await go('POST', '/v1/daemon/stop', {} as net.Socket)).toBeUndefined();
    expect(access.who(req('GET', {} as net.Socket))).toEqual({ by: 'alice' });
  });

  it('pins a name to the granted session, whatever else carries it', async () => {
    expect(((await go('GET', '/v1/sessions/fix/events')) as { url: URL }).url.pathname).toBe('/v1/sessions/s_mine/events');
    expect(((await go('GET', '/v1/sessions/s_mine')) as { url: URL }).url.pathname).toBe('/v1/sessions/s_mine');
  });

  it('answers an ungranted session exactly as a missing one, and never names it', async () => {
    const err = async (p: string) => (await go('GET', p).catch((e: Error & { code: string }) => e)) as Error & { code: string };
    for (const ref of ['secret', 's_other', 's_twin', 'nope']) {
      const e = await err(`/v1/sessions/${ref}/events`);
      expect(e.code).toBe('unknown_session');
      expect(e.message).toBe(`no session "${ref}" is shared with you; shared with you: fix`);
    }
  });

  it('refuses what the role does not allow and whatever is the owner\'s', async () => {
    await expect(go('POST', '/v1/sessions/fix/input')).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('needs the drive role, bob has watch') });
    await expect(go('POST', '/v1/approvals/ap_mine/approve')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(go('POST', '/v1/approvals/ap_other/approve')).rejects.toMatchObject({ code: 'not_found' });
    await expect(go('POST', '/v1/sessions/fix/stop')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(go('GET', '/v1/events')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(go('GET', '/v1/cost')).rejects.toMatchObject({ code: 'forbidden' });
    expect(((await go('GET', '/v1/cost?session=fix')) as { url: URL }).url.searchParams.get('session')).toBe('s_mine');
  });

  it('allows more with a higher role, and logs what the guest does', async () => {
    grants[0] = { ...grants[0]!, role: 'approve' };
    expect(((await go('POST', '/v1/sessions/fix/interrupt')) as { url: URL }).url.pathname).toBe('/v1/sessions/s_mine/interrupt');
    expect(await go('POST', '/v1/approvals/ap_mine/approve')).toBeDefined();
    expect(emitted.filter((e) => e.type === 'guest.action').map((e) => (e.data as { action: string }).action)).toEqual(['interrupt', 'approve']);
    access.sent(req('POST'), sessions[0]!, 'hi', true);
    expect(emitted.at(-1)).toEqual({ type: 'input.sent', data: { by: 'bob', uid: 1002, guest: true, text: 'hi', submit: true } });
  });
});
