import { describe, expect, it } from 'vitest';
import { ownerShareSocket, passwdHome, resolvePaths } from '../../src/core/paths.js';
import { judgeGuestPeer, type ProcNames } from '../../src/daemon/approval-gate.js';
import type { ProcReader } from '../../src/daemon/peer.js';
import { addArgv, closeFor, dirsToOpen, hasUserEntry, openFor, removeArgv, type AclRunner } from '../../src/daemon/share-acl.js';
import { parsePeercredLine, parseStatusUids, procUid } from '../../src/daemon/share-cred.js';
import { guestRule, maxRole, roleAtLeast } from '../../src/daemon/share-roles.js';

describe('share roles: what a guest may ask', () => {
  it('maps each route to the role it needs, and everything else to the owner', () => {
    expect(guestRule('GET', '/v1/sessions/fix-login/events')).toEqual({ rule: { kind: 'session', need: 'watch' }, ref: 'fix-login' });
    expect(guestRule('GET', '/v1/sessions/s_1/screen').rule).toMatchObject({ kind: 'session', need: 'watch' });
    expect(guestRule('GET', '/v1/sessions/s_1/wait').rule).toMatchObject({ need: 'watch' });
    expect(guestRule('POST', '/v1/sessions/s_1/input')).toEqual({ rule: { kind: 'session', need: 'drive', action: 'send' }, ref: 's_1' });
    expect(guestRule('POST', '/v1/sessions/s_1/interrupt').rule).toMatchObject({ need: 'drive', action: 'interrupt' });
    expect(guestRule('POST', '/v1/approvals/ap_9/approve')).toEqual({ rule: { kind: 'approval', need: 'approve', action: 'approve' }, ref: 'ap_9' });
    expect(guestRule('POST', '/v1/approvals/ap_9/deny').rule).toMatchObject({ need: 'approve', action: 'deny' });
    expect(guestRule('GET', '/v1/sessions').rule).toEqual({ kind: 'list', what: 'sessions' });
    expect(guestRule('GET', '/v1/approvals').rule).toEqual({ kind: 'list', what: 'approvals' });
    expect(guestRule('GET', '/v1/daemon').rule).toEqual({ kind: 'list', what: 'daemon' });
    for (const [m, p] of [
      ['POST', '/v1/sessions'],
      ['POST', '/v1/daemon/stop'],
      ['POST', '/v1/sessions/s_1/stop'],
      ['POST', '/v1/sessions/s_1/resume'],
      ['POST', '/v1/sessions/s_1/rename'],
      ['POST', '/v1/sessions/s_1/tags'],
      ['POST', '/v1/sessions/s_1/policies'],
      ['DELETE', '/v1/sessions/s_1'],
      ['POST', '/v1/broadcast'],
      ['GET', '/v1/events'],
      ['POST', '/v1/mcp/call'],
      ['GET', '/v1/shares'],
      ['POST', '/v1/shares'],
      ['GET', '/v1/polly/runs'],
      ['GET', '/v1/sessions/s_1/input'],
      ['POST', '/v1/sessions/s_1/events'],
      ['GET', '/v1/sessions/s_1/events/x'],
    ]) expect(guestRule(m!, p!).rule, `${m} ${p}`).toEqual({ kind: 'owner' });
  });

  it('orders roles: watch < drive < approve', () => {
    expect(roleAtLeast('approve', 'drive')).toBe(true);
    expect(roleAtLeast('drive', 'approve')).toBe(false);
    expect(roleAtLeast('watch', 'watch')).toBe(true);
    expect(maxRole('watch', 'drive')).toBe('drive');
    expect(maxRole('approve', 'watch')).toBe('approve');
  });
});

describe('share credentials: the uid from the kernel, never from the client', () => {
  it('parses SO_PEERCRED as the helper prints it', () => {
    expect(parsePeercredLine('4242 1002 1002\n')).toEqual({ pid: 4242, uid: 1002, gid: 1002 });
    expect(parsePeercredLine('0 0 0\n')).toBeUndefined();
    expect(parsePeercredLine('4242 1002\n')).toBeUndefined();
    expect(parsePeercredLine('')).toBeUndefined();
  });

  it('takes the real and effective uid from /proc/<pid>/status, and refuses a process whose two differ', () => {
    const status = (r: number, e: number) => `Name:\tomni\nPid:\t7\nUid:\t${r}\t${e}\t${e}\t${e}\nGid:\t5\t5\t5\t5\n`;
    expect(parseStatusUids(status(1002, 1002))).toEqual({ real: 1002, effective: 1002 });
    expect(procUid(7, () => status(1002, 1002))).toBe(1002);
    expect(procUid(7, () => status(1002, 0))).toBeUndefined();
    expect(procUid(7, () => 'Name:\tx\n')).toBeUndefined();
    expect(
      procUid(7, () => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
    expect(procUid(process.pid)).toBe(process.getuid!());
  });
});

describe('share ACLs: exactly what the guest needs', () => {
  const dirs: Record<string, { mode: number; uid: number }> = {
    '/tmp': { mode: 0o41777, uid: 0 },
    '/tmp/owner': { mode: 0o40700, uid: 0 },
    '/tmp/owner/o': { mode: 0o40755, uid: 0 },
    '/tmp/owner/o/run': { mode: 0o40700, uid: 0 },
    '/tmp/owner/o/run/share': { mode: 0o40700, uid: 0 },
  };
  it('opens search only on the directories of the way the guest cannot already pass', () => {
    expect(dirsToOpen('/tmp/owner/o/run/share', 1002, (p) => dirs[p])).toEqual(['/tmp/owner', '/tmp/owner/o/run', '/tmp/owner/o/run/share']);
    // A directory the guest owns is passable through its owner bits.
    expect(dirsToOpen('/tmp/owner', 0, (p) => dirs[p])).toEqual([]);
  });

  it('builds setfacl/getfacl argv and leaves an entry the user already had alone', async () => {
    expect(addArgv('bob', 'x', '/d')).toEqual(['setfacl', '-m', 'u:bob:x', '/d']);
    expect(removeArgv('bob', '/d')).toEqual(['setfacl', '-x', 'u:bob', '/d']);
    expect(hasUserEntry('user::rwx\nuser:bob:r-x\ngroup::---\nmask::r-x\nother::---\n', 'bob')).toBe(true);
    expect(hasUserEntry('user::rwx\nuser:bobby:r-x\n', 'bob')).toBe(false);
    const calls: string[][] = [];
    const run = (listing: string): AclRunner => async (argv) => {
      calls.push(argv);
      return { code: 0, stdout: argv[0] === 'getfacl' ? listing : '', stderr: '' };
    };
    expect(await openFor(run('user::rwx\ngroup::---\nother::---\n'), 'bob', 'x', '/d')).toBe(true);
    expect(calls).toEqual([['getfacl', '-cp', '/d'], ['setfacl', '-m', 'u:bob:x', '/d']]);
    calls.length = 0;
    expect(await openFor(run('user::rwx\nuser:bob:rwx\n'), 'bob', 'x', '/d')).toBe(false);
    expect(calls).toEqual([['getfacl', '-cp', '/d']]);
    calls.length = 0;
    await closeFor(run(''), 'bob', '/nonexistent/for/sure');
    expect(calls).toEqual([]);
  });
});

describe('a guest is a person, never an agent', () => {
  // pid 30 (the guest's omni) ← 20 (a shell) ← 10 (a tmux server).
  const tree: Record<number, number> = { 30: 20, 20: 10, 10: 1 };
  const proc = (env: Record<string, string> | undefined): ProcReader => ({ stat: (p) => (tree[p] ? { ppid: tree[p]!, sid: p } : undefined), environ: () => env, pids: () => [] });
  const names = (argv: string[]): ProcNames => ({ comm: (p) => (p === 10 ? 'tmux: server' : 'sh'), cmdline: (p) => (p === 10 ? argv : ['sh']) });

  it('refuses a process under any omni tmux server (its own omni sessions included)', () => {
    expect(judgeGuestPeer(30, { proc: proc({}), names: names(['tmux', '-S', '/home/bob/.local/state/omni/run/tmux.sock', '-f', 'x', 'new-session']) })?.why).toMatch(/omni tmux server/);
  });

  it("lets the guest's own everyday tmux through, and refuses an omni session's environment", () => {
    expect(judgeGuestPeer(30, { proc: proc({}), names: names(['tmux', 'new-session']) })).toBeUndefined();
    expect(judgeGuestPeer(30, { proc: proc(undefined), names: names(['tmux']) })).toBeUndefined();
    expect(judgeGuestPeer(30, { proc: proc({ OMNI_SESSION_ID: 's_x' }), names: names(['tmux']) })?.why).toMatch(/OMNI_SESSION_ID=s_x/);
  });
});

describe('--socket and --owner: another user\'s daemon', () => {
  it('OMNI_SOCKET replaces the socket and marks it foreign; the rest stays the guest\'s own', () => {
    const p = resolvePaths({ OMNI_HOME: '/g', OMNI_SOCKET: '/owner/run/share/omni.sock' });
    expect(p.socket).toBe('/owner/run/share/omni.sock');
    expect(p.foreign).toMatch(/OMNI_SOCKET/);
    expect(p.configDir).toBe('/g/config');
    expect(resolvePaths({ OMNI_HOME: '/g' }).foreign).toBeUndefined();
  });

  it('OMNI_OWNER finds the home in /etc/passwd, not $HOME', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001:Alice,,,:/srv/alice:/bin/sh\n';
    expect(passwdHome('alice', passwd)).toBe('/srv/alice');
    expect(passwdHome('ali', passwd)).toBeUndefined();
    expect(ownerShareSocket('/srv/alice')).toBe('/srv/alice/.local/state/omni/run/share/omni.sock');
    expect(resolvePaths({ OMNI_HOME: '/g', OMNI_OWNER: 'root', HOME: '/elsewhere' }).socket).toBe('/root/.local/state/omni/run/share/omni.sock');
    expect(() => resolvePaths({ OMNI_OWNER: 'no-such-user-here' })).toThrow(/no user no-such-user-here/);
  });
});
