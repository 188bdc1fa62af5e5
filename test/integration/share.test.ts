import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { makeTestEnv, OMNI_JS, until, type TestEnv } from '../helpers/omni.js';
import { api, createScripted, startScriptedDaemon, waitFor } from '../helpers/scripted.js';
import { canMakeUsers, ensureUnixUser, runAs, userTempDir, type UnixUser } from '../helpers/unix-user.js';

/**
 * Sharing with another Unix user (issue 17, docs/COLLABORATION.md), for real: the owner is root
 * with its OMNI_HOME in a private (0700) temp dir, the guest is `omniguest` with an OMNI_HOME of
 * its own; the kernel's ACLs, tmux's server-access and the daemon's peer check decide. The
 * daemon is the scripted one (the test is about the daemon, not a harness).
 */
describe.skipIf(!canMakeUsers())('omni share: another Unix user on this machine', () => {
  let t: TestEnv;
  let guest: UnixUser;
  let guestHome: string;
  let shareSock: string;
  let tmuxSock: string;
  let a: SessionRecord;
  let b: SessionRecord;

  /** `omni --socket SHARE …` as omniguest. */
  const asGuest = (args: string[], env: Record<string, string> = {}) =>
    runAs(guest, [process.execPath, OMNI_JS, '--socket', shareSock, ...args], { OMNI_HOME: guestHome, NO_COLOR: '1', ...env }, { timeoutMs: 30_000 });
  const guestSpawn = (argv: string[]): ChildProcess =>
    spawn('/usr/sbin/runuser', ['-u', guest.name, '--', '/usr/bin/env', '-i', `HOME=${guest.home}`, `PATH=${process.env.PATH}`, `OMNI_HOME=${guestHome}`, 'NO_COLOR=1', 'TERM=xterm', ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
  /** The guest attached in a terminal (script(1) gives tmux a pty), as `omni attach` does. */
  const guestTerminal = () => guestSpawn(['script', '-qfc', `tmux -S ${tmuxSock} attach -t =${a.tmuxSession}`, '/dev/null']);
  /** `omni watch REF` as the guest in a throwaway tmux of its own (a terminal); `screen()` reads that terminal. */
  const guestWatch = (ref: string, sock: string) => {
    const cmd = `OMNI_HOME=${guestHome} ${process.execPath} ${OMNI_JS} --socket ${shareSock} watch ${ref}; echo "watch exit $?"; sleep 30`;
    const r = runAs(guest, ['tmux', '-S', sock, 'new-session', '-d', '-x', '100', '-y', '30', cmd]);
    if (r.exitCode !== 0) throw new Error(r.stderr);
    const term = (args: string[]) => runAs(guest, ['tmux', '-S', sock, ...args]);
    const screen = () => term(['capture-pane', '-p']).stdout;
    const ended = () => until(() => (/watch exit \d+/.test(screen()) ? screen() : undefined), 10_000, `omni watch ${ref} to end`);
    return { term, screen, ended, close: () => term(['kill-server']) };
  };
  const events = async (ref: string) => (await t.omni(['events', ref, '--json'])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as OmniEvent);
  const acl = async (p: string) => (await execa('getfacl', ['-cp', p])).stdout;

  beforeAll(async () => {
    t = makeTestEnv();
    guest = ensureUnixUser('omniguest');
    guestHome = userTempDir(guest, 'omg-');
    fs.chmodSync(t.dir, 0o700);
    shareSock = path.join(t.omniHome, 'run', 'share', 'omni.sock');
    tmuxSock = path.join(t.omniHome, 'run', 'tmux.sock');
    await startScriptedDaemon(t);
    const policy = path.join(t.dir, 'ask.yaml');
    fs.writeFileSync(policy, ['policies:', '  - name: ask-touch', '    rules:', '      - when: { command: touch }', '        verdict: ask', '        reason: a person approves new files', ''].join('\n'));
    a = await createScripted(t, { name: 'a', policies: [{ ref: policy }] });
    b = await createScripted(t, { name: 'b' });
    await waitFor(t, 'a', 'idle');
    await waitFor(t, 'b', 'idle');
  }, 60_000);
  afterAll(async () => {
    await t?.cleanup();
    if (guestHome) fs.rmSync(guestHome, { recursive: true, force: true });
  });

  it('without a grant the guest cannot reach the daemon at all (exit 8), and the owner is unaffected', async () => {
    const r = asGuest(['ls']);
    expect(r.exitCode).toBe(8);
    expect(r.stderr).toMatch(/permission denied .*has not shared a session with you/);
    // Never a daemon started on someone else's socket, nor in the guest's own home.
    expect(fs.existsSync(path.join(guestHome, 'run', 'omni.sock'))).toBe(false);
    const own = await t.omniJson<SessionRecord[]>(['ls']);
    expect(own.map((s) => s.name).sort()).toEqual(['a', 'b']);
  });

  it('watch: the guest sees that session only, cannot send or approve, and has no tmux access at all', async () => {
    const shared = await t.omni(['share', 'a', '--user', 'omniguest', '--role', 'watch']);
    expect(shared.exitCode, shared.stderr).toBe(0);
    expect(shared.stdout).toContain(`OMNI_SOCKET=${shareSock} omni watch a`);
    // The ACLs: search on the private dirs of the way, rw on the guests' socket, nothing else (not tmux's).
    expect(await acl(t.dir)).toMatch(/^user:omniguest:--x$/m);
    expect(await acl(shareSock)).toMatch(/^user:omniguest:rw-$/m);
    expect(await acl(tmuxSock)).not.toContain('omniguest');
    expect(await acl(path.join(t.omniHome, 'run', 'omni.sock'))).not.toContain('omniguest');
    expect(await acl(path.join(t.omniHome, 'state'))).not.toContain('omniguest');

    const ls = asGuest(['ls', '--json']);
    expect(ls.exitCode, ls.stderr).toBe(0);
    expect((JSON.parse(ls.stdout) as SessionRecord[]).map((s) => s.name)).toEqual(['a']);
    const ev = asGuest(['events', 'a', '--json']);
    expect(ev.exitCode, ev.stderr).toBe(0);
    expect(ev.stdout).toContain('"type":"session.started"');
    // The other session does not exist for the guest: not by name, not by id.
    const nothing = asGuest(['events', 's_nothere']);
    expect(nothing.exitCode).toBe(3);
    for (const ref of ['b', b.id]) {
      const other = asGuest(['events', ref]);
      expect(other.exitCode).toBe(3);
      // Word for word what a session that does not exist gets.
      expect(other.stderr.replace(ref, 'X')).toBe(nothing.stderr.replace('s_nothere', 'X'));
    }
    const send = asGuest(['send', 'a', 'hello from the guest']);
    expect(send.exitCode).toBe(8);
    expect(send.stderr).toMatch(/omniguest may not send on a: that needs the drive role, omniguest has watch/);
    // The owner-only parts of the API answer 403 to a guest.
    for (const args of [['daemon', 'stop'], ['share', 'ls'], ['send', '--tag', 'x', 'hi'], ['rm', 'a']]) expect(asGuest(args).exitCode, args.join(' ')).toBe(8);

    // tmux: none at all. Not the socket (the kernel refuses), not tmux's own ACL.
    const tmuxLs = runAs(guest, ['tmux', '-S', tmuxSock, 'ls']);
    expect(tmuxLs.exitCode).not.toBe(0);
    expect(tmuxLs.stderr).toMatch(/Permission denied|access not allowed/i);
    expect((await t.tmux(['server-access', '-l'])).stdout).not.toContain('omniguest');
    const attach = asGuest(['attach', 'a']);
    expect(attach.exitCode).toBe(8);
    expect(attach.stderr).toMatch(/omniguest has the watch role on a: omni watch a shows it/);

    // omni watch, as a person runs it in a terminal (the guest's own throwaway tmux): the shared
    // session's screen, drawn from the daemon; keys typed into it never reach the pane.
    expect((await t.omni(['send', 'a', 'before the watcher'])).exitCode).toBe(0);
    await until(async () => (await t.tmux(['capture-pane', '-p', '-t', a.paneId!])).stdout.includes('echo: before the watcher'), 10_000, 'the owner text in the pane');
    const w = guestWatch('a', path.join(guestHome, 'term.sock'));
    try {
      await until(() => (w.screen().includes('echo: before the watcher') ? true : undefined), 15_000, 'the watched screen in the guest terminal');
      expect(w.screen()).toMatch(/omni watch a: read-only view/);
      w.term(['send-keys', 'typed by the watcher', 'Enter']);
      // The view follows the pane: the owner's next text shows, the watcher's never reaches it.
      expect((await t.omni(['send', 'a', 'after the watcher'])).exitCode).toBe(0);
      await until(() => (w.screen().includes('echo: after the watcher') ? true : undefined), 15_000, 'the next screen in the guest terminal');
      expect((await t.tmux(['capture-pane', '-p', '-t', a.paneId!])).stdout).not.toContain('typed by the watcher');
      expect((await events('a')).filter((e) => e.type === 'input.sent').map((e) => (e.data as { text: string }).text)).not.toContain('typed by the watcher');
      // q leaves the view, saying so.
      w.term(['send-keys', 'q']);
      const left = await w.ended();
      expect(left).toMatch(/omni watch: left the view of a/);
      expect(left).toMatch(/watch exit 0/);
    } finally {
      w.close();
    }

    // A watched session that ends ends the view, saying why.
    const c = await createScripted(t, { name: 'c' });
    await waitFor(t, 'c', 'idle');
    expect((await t.omni(['share', 'c', '--user', 'omniguest', '--role', 'watch'])).exitCode).toBe(0);
    const wc = guestWatch('c', path.join(guestHome, 'term-c.sock'));
    try {
      await until(() => (wc.screen().includes('omni watch c: read-only view') ? true : undefined), 15_000, 'the view of c');
      expect((await t.omni(['stop', 'c'])).exitCode).toBe(0);
      const ended = await wc.ended();
      expect(ended).toMatch(/omni watch: session c has (exited|failed)/);
      expect(ended).toMatch(/watch exit 0/);
    } finally {
      wc.close();
    }
    expect((await t.omni(['share', 'rm', 'c', '--user', 'omniguest'])).exitCode).toBe(0);
  }, 90_000);

  it('approve: the guest sends and approves; the log names omniguest and omni events shows who typed what', async () => {
    const up = await t.omni(['share', 'a', '--user', 'omniguest', '--role', 'approve']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toContain('(was watch)');
    const send = asGuest(['send', 'a', 'tool: touch made-by-guest.txt']);
    expect(send.exitCode, send.stderr).toBe(0);
    await waitFor(t, 'a', 'waiting');
    const pending = asGuest(['approvals', '--json']);
    expect(pending.exitCode, pending.stderr).toBe(0);
    const asks = JSON.parse(pending.stdout) as Array<{ id: string; session: string }>;
    expect(asks.map((x) => x.session)).toEqual([a.id]);
    // An agent is never a guest: the same approve from a process under the guest's own omni tmux
    // server (its own sessions' panes) is refused.
    const agentTmux = path.join(guestHome, 'run', 'tmux.sock');
    const agentOut = path.join(guestHome, 'agent.out');
    expect(runAs(guest, ['mkdir', '-p', path.dirname(agentTmux)]).exitCode).toBe(0);
    const cmd = `OMNI_HOME=${guestHome} ${process.execPath} ${OMNI_JS} --socket ${shareSock} approve ${asks[0]!.id} > ${agentOut} 2>&1; echo "exit $?" >> ${agentOut}`;
    expect(runAs(guest, ['tmux', '-S', agentTmux, 'new-session', '-d', cmd]).exitCode).toBe(0);
    const agent = await until(() => (fs.existsSync(agentOut) && /exit \d+/.test(fs.readFileSync(agentOut, 'utf8')) ? fs.readFileSync(agentOut, 'utf8') : undefined), 20_000, 'the agent approve');
    runAs(guest, ['tmux', '-S', agentTmux, 'kill-server']);
    expect(agent).toMatch(/exit 8/);
    expect(agent).toMatch(/runs under an omni tmux server/);
    expect((await events('a')).some((e) => e.type === 'approval.refused')).toBe(true);
    expect((await api<{ approvals: unknown[] }>(t, 'GET', '/v1/approvals?session=a')).body.approvals).toHaveLength(1);

    const ok = asGuest(['approve', asks[0]!.id]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    await waitFor(t, 'a', 'idle');
    expect(fs.existsSync(path.join(t.work, 'made-by-guest.txt'))).toBe(true);

    const evs = await events('a');
    expect(evs.find((e) => e.type === 'input.sent' && (e.data as { by: string }).by === 'omniguest')?.data).toMatchObject({ by: 'omniguest', uid: guest.uid, text: 'tool: touch made-by-guest.txt', guest: true });
    expect(evs.find((e) => e.type === 'approval.resolved')?.data).toMatchObject({ verdict: 'approve', by: 'omniguest', guest: { user: 'omniguest', uid: guest.uid } });
    expect(evs.filter((e) => e.type === 'guest.action').map((e) => (e.data as { action: string }).action)).toContain('approve');
    expect(evs.filter((e) => e.type === 'share.granted').map((e) => (e.data as { role: string }).role)).toEqual(['watch', 'approve']);
    // The owner's own send is attributed too.
    expect((await t.omni(['send', 'a', 'hello from the owner'])).exitCode).toBe(0);
    const human = (await t.omni(['events', 'a'])).stdout;
    expect(human).toMatch(/omniguest typed: tool: touch made-by-guest\.txt/);
    expect(human).toMatch(/root typed: hello from the owner/);
    // With drive or approve its tmux client writes: the same keys as the watcher's now reach the pane.
    const term = guestTerminal();
    await until(async () => (await t.tmux(['list-clients', '-F', '#{client_uid} #{client_readonly}'])).stdout.includes(`${guest.uid} 0`), 10_000, 'the guest read-write client');
    term.stdin!.write('typed by the driver\r');
    await until(async () => (await t.tmux(['capture-pane', '-p', '-t', a.paneId!])).stdout.includes('echo: typed by the driver'), 10_000, 'the driver keys in the pane');
    expect(await acl(tmuxSock)).toMatch(/^user:omniguest:rw-$/m);
    expect((await t.tmux(['server-access', '-l'])).stdout).toMatch(/omniguest \(W\)/);
    // Down to watch: the tmux access goes at once, the attached client with it.
    const termEnd = new Promise((r) => term.once('exit', r));
    expect((await t.omni(['share', 'a', '--user', 'omniguest', '--role', 'watch'])).exitCode).toBe(0);
    await until(async () => !(await t.tmux(['list-clients', '-F', '#{client_uid}'])).stdout.includes(String(guest.uid)), 5000, 'the guest client detached');
    expect(await acl(tmuxSock)).not.toContain('omniguest');
    expect((await t.tmux(['server-access', '-l'])).stdout).not.toContain('omniguest');
    expect(runAs(guest, ['tmux', '-S', tmuxSock, 'ls']).exitCode).not.toBe(0);
    term.kill();
    await termEnd;
    expect((await t.omni(['share', 'a', '--user', 'omniguest', '--role', 'approve'])).exitCode).toBe(0);
    // The guest sees its own session's asks only: b's never show.
    expect(asGuest(['approvals', '--json']).stdout).not.toContain(b.id);
  }, 90_000);

  it('grants outlive a daemon restart: the guests\' socket, its ACL and tmux access come back', async () => {
    expect((await t.omni(['daemon', 'stop'])).exitCode).toBe(0);
    await startScriptedDaemon(t);
    const ls = asGuest(['ls', '--json']);
    expect(ls.exitCode, ls.stderr).toBe(0);
    expect((JSON.parse(ls.stdout) as SessionRecord[]).map((s) => s.name)).toEqual(['a']);
    expect(await acl(shareSock)).toMatch(/^user:omniguest:rw-$/m);
  }, 60_000);

  it('revoke: the guest stream ends and its tmux client is detached at once; then it is refused and the ACLs are gone', async () => {
    const follow = guestSpawn([process.execPath, OMNI_JS, '--socket', shareSock, 'events', 'a', '-f', '--json']);
    let followOut = '';
    follow.stdout!.on('data', (d) => (followOut += d));
    const followEnd = new Promise<number | null>((r) => follow.once('exit', r));
    const ctl = guestSpawn(['tmux', '-S', tmuxSock, '-C', 'attach', '-t', `=${a.tmuxSession}`]);
    let ctlOut = '';
    ctl.stdout!.on('data', (d) => (ctlOut += d));
    const ctlEnd = new Promise<number | null>((r) => ctl.once('exit', r));
    const w = guestWatch('a', path.join(guestHome, 'term-r.sock'));
    await until(() => followOut.includes('session.started') && ctlOut.includes('%begin') && w.screen().includes('omni watch a: read-only view'), 15_000, 'the guest stream, tmux client and watch view');

    const t0 = performance.now();
    const rm = await t.omni(['share', 'rm', 'a', '--user', 'omniguest']);
    expect(rm.exitCode, rm.stderr).toBe(0);
    await Promise.race([Promise.all([followEnd, ctlEnd]), new Promise((_, rej) => setTimeout(() => rej(new Error(`not cut off: follow ${follow.exitCode} tmux ${ctl.exitCode}`)), 5000))]);
    const cutMs = performance.now() - t0;
    expect(ctlOut).toMatch(/%exit/);
    expect(cutMs).toBeLessThan(5000);
    // The guest's omni watch is cut off too, and says so.
    try {
      const cut = await w.ended();
      expect(cut).toMatch(/omni watch: the view of a was cut off/);
      expect(cut).not.toMatch(/watch exit 0/);
    } finally {
      w.close();
    }

    const after = asGuest(['ls']);
    expect(after.exitCode).not.toBe(0);
    expect(fs.existsSync(shareSock)).toBe(false);
    for (const p of [t.dir, t.omniHome, path.join(t.omniHome, 'run'), tmuxSock]) expect(await acl(p), p).not.toContain('omniguest');
    expect((await t.tmux(['server-access', '-l'])).stdout).not.toContain('omniguest');
    expect((await events('a')).some((e) => e.type === 'share.revoked')).toBe(true);
  }, 90_000);
});
