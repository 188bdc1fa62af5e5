import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { OMNI_JS, claudeEnv, makeTestEnv, pinnedCli, until, type TestEnv } from '../helpers/omni.js';
import { canMakeUsers, ensureUnixUser, runAs, userTempDir, type UnixUser } from '../helpers/unix-user.js';

/**
 * Hand-off on a real Claude Code session (issue 17): the owner starts it, shares it with
 * `omniguest` (a real second Unix user) to drive, the guest types into it with its own `omni`
 * through the owner's guests' socket, and the log says who typed what.
 */
describe.skipIf(!canMakeUsers() || !pinnedCli('claude'))('hand-off: another Unix user drives a real Claude Code session', () => {
  let fake: FakeModel;
  let t: TestEnv;
  let guest: UnixUser;
  let guestHome: string;

  beforeAll(async () => {
    fake = await startFakeModel();
    t = makeTestEnv(claudeEnv(fake.url));
    guest = ensureUnixUser('omniguest');
    guestHome = userTempDir(guest, 'omg-');
  });
  afterAll(async () => {
    await t?.cleanup();
    await fake?.close();
    if (guestHome) fs.rmSync(guestHome, { recursive: true, force: true });
  });

  it('the guest sends with its own omni; omni events shows who typed what', async () => {
    await t.omniJson<SessionRecord>(['claude', '--name', 'hand']);
    expect((await t.omni(['wait', 'hand', '--timeout', '90'])).exitCode).toBe(0);
    const shared = await t.omni(['share', 'hand', '--user', 'omniguest', '--role', 'drive']);
    expect(shared.exitCode, String(shared.stderr)).toBe(0);
    const sock = /OMNI_SOCKET=(\S+)/.exec(String(shared.stdout))![1]!;
    expect(sock).toBe(path.join(t.omniHome, 'run', 'share', 'omni.sock'));

    const send = runAs(guest, [process.execPath, OMNI_JS, 'send', 'hand', 'hello from the guest'], { OMNI_HOME: guestHome, OMNI_SOCKET: sock, NO_COLOR: '1' }, { timeoutMs: 90_000 });
    expect(send.exitCode, send.stderr).toBe(0);
    expect((await t.omni(['wait', 'hand', '--timeout', '90'])).exitCode).toBe(0);
    const evs = String((await t.omni(['events', 'hand', '--json'])).stdout)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as OmniEvent);
    const sent = evs.findIndex((e) => e.type === 'input.sent');
    expect(evs[sent]?.data).toMatchObject({ by: 'omniguest', uid: guest.uid, text: 'hello from the guest' });
    // Typed before Claude took it: the harness's own record of the prompt follows.
    const took = evs.findIndex((e) => e.type === 'message.user' && (e.data as { text: string }).text.includes('hello from the guest'));
    expect(took).toBeGreaterThan(sent);
    expect(evs.slice(took).some((e) => e.type === 'message.assistant')).toBe(true);

    // The guest reads the same log, plainly.
    const read = await until(() => {
      const r = runAs(guest, [process.execPath, OMNI_JS, '--socket', sock, 'events', 'hand'], { OMNI_HOME: guestHome, NO_COLOR: '1' });
      return r.exitCode === 0 && /omniguest typed: hello from the guest/.test(r.stdout) ? r.stdout : undefined;
    }, 20_000, 'the guest to read who typed what');
    expect(read).toMatch(/shared with omniguest \(uid \d+\): drive/);
  }, 240_000);
});
