import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestEnv, type TestEnv } from '../helpers/omni.js';

/** The real daemon process, driven through the real CLI and raw sockets. */
describe('omni daemon', () => {
  let t: TestEnv;
  beforeEach(() => {
    t = makeTestEnv();
  });
  afterEach(async () => {
    await t.cleanup();
  });
  const sock = () => path.join(t.omniHome, 'run', 'omni.sock');

  it('auto-starts on first need with a user-only socket, answers curl, stops on request', async () => {
    const st0 = await t.omni(['daemon', 'status']);
    expect(st0.exitCode).toBe(4);
    expect(st0.stdout).toMatch(/not running/);
    const ls = await t.omni(['ls']);
    expect(ls.exitCode).toBe(0);
    expect(ls.stdout).toMatch(/no live sessions/);
    expect(fs.statSync(sock()).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(sock())).mode & 0o777).toBe(0o700);
    const curl = await execa('curl', ['-sS', '--unix-socket', sock(), 'http://omni/v1/sessions']);
    expect(JSON.parse(curl.stdout)).toEqual({ sessions: [] });
    const st = await t.omniJson<{ running: boolean; pid: number }>(['daemon', 'status']);
    expect(st.running).toBe(true);
    const again = await t.omni(['daemon', 'start']);
    expect(again.stdout).toMatch(`already running (pid ${st.pid})`);
    const stop = await t.omni(['daemon', 'stop']);
    expect(stop.stdout).toMatch(/stopped/);
    expect(fs.existsSync(sock())).toBe(false);
  });

  it('keeps serving after garbage on the socket', async () => {
    await t.omni(['daemon', 'start']);
    const reply = await new Promise<string>((resolve) => {
      const c = net.connect(sock());
      let buf = '';
      c.on('data', (d) => (buf += d));
      c.on('close', () => resolve(buf));
      c.on('error', () => resolve(buf));
      c.write('\x00\x01GARBAGE NOT HTTP\r\n\r\n');
    });
    expect(reply).toMatch(/^HTTP\/1.1 400/);
    const ls = await t.omni(['ls', '--json']);
    expect(ls.exitCode).toBe(0);
    expect(JSON.parse(String(ls.stdout))).toEqual([]);
    const notJson = await execa('curl', ['-sS', '--unix-socket', sock(), '-d', '{nope', '-H', 'content-type: application/json', 'http://omni/v1/sessions'], { reject: false });
    expect(JSON.parse(notJson.stdout).error.code).toBe('bad_json');
  });

  it('replaces a stale socket left by a dead daemon', async () => {
    fs.mkdirSync(path.dirname(sock()), { recursive: true, mode: 0o700 });
    // A process that listens on the socket and is killed -9 leaves the file with nobody behind it.
    const holder = execa(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock())}, () => console.log('up'))`], { reject: false });
    await new Promise<void>((r) => holder.stdout!.once('data', () => r()));
    holder.kill('SIGKILL');
    await holder;
    expect(fs.statSync(sock()).isSocket()).toBe(true);
    const ls = await t.omni(['ls']);
    expect(ls.exitCode, String(ls.stderr)).toBe(0);
    const st = await t.omniJson<{ running: boolean }>(['daemon', 'status']);
    expect(st.running).toBe(true);
  });

  it('says clearly when something else answers on the socket', async () => {
    fs.mkdirSync(path.dirname(sock()), { recursive: true, mode: 0o700 });
    const conns = new Set<net.Socket>();
    const impostor = net.createServer((c) => {
      conns.add(c);
      c.end('SSH-2.0-OpenSSH_9.2\r\n');
    });
    await new Promise<void>((r) => impostor.listen(sock(), r));
    try {
      const r = await t.omni(['ls']);
      expect(r.exitCode).toBe(4);
      expect(String(r.stderr)).toMatch(/^omni: something answered on .*omni\.sock but it is not the omni daemon/);
      expect(String(r.stderr).trim().split('\n')).toHaveLength(1);
    } finally {
      for (const c of conns) c.destroy();
      await new Promise<void>((r) => impostor.close(() => r()));
    }
  });

  it('names what exists for an unknown session, an unknown harness and a missing binary', async () => {
    for (const args of [['attach', 'ghost'], ['send', 'ghost', 'hi'], ['wait', 'ghost'], ['events', 'ghost'], ['stop', 'ghost']]) {
      const r = await t.omni(args);
      expect(r.exitCode, args.join(' ')).toBe(3);
      expect(String(r.stderr)).toBe('omni: no session "ghost"; no live sessions (omni ls --all shows ended ones)');
    }
    const harness = await execa(
      'curl',
      ['-sS', '--unix-socket', sock(), '-H', 'content-type: application/json', '-d', JSON.stringify({ harness: 'cursor', cwd: t.work }), 'http://omni/v1/sessions'],
      { reject: false },
    );
    expect(JSON.parse(harness.stdout).error).toMatchObject({ code: 'unknown_harness', details: { known: expect.arrayContaining(['claude']) } });
    const missing = await t.omni(['claude', '--detach'], { env: { PATH: '/usr/bin:/bin' } });
    expect(missing.exitCode).toBe(5);
    expect(String(missing.stderr)).toMatch(/Claude Code is not installed .*npm install -g @anthropic-ai\/claude-code/);
    const badName = await t.omni(['claude', '--detach', '--name', 'no spaces']);
    expect(badName.exitCode).toBe(2);
    expect(String(badName.stderr)).toMatch(/invalid session name/);
    const badCwd = await t.omni(['claude', '--detach', '--cwd', path.join(t.dir, 'nope')]);
    expect(badCwd.exitCode).toBe(2);
    expect(String(badCwd.stderr)).toMatch(/does not exist/);
    const usage = await t.omni(['wait']);
    expect(usage.exitCode).toBe(2);
  });

  it('refuses to start a session whose policy does not load, naming file, line and column', async () => {
    const bad = path.join(t.dir, 'bad.yaml');
    fs.writeFileSync(bad, 'policies:\n  - name: p\n    rules:\n      - when: { comand: git push }\n        verdict: deny\n');
    const r = await t.omni(['claude', '--detach', '--name', 'nope', '--policy', bad]);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(new RegExp(`^omni: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:17: unknown key "comand" in when`));
    expect(String(r.stderr)).toMatch(/did you mean "command"/);
    const unknown = await t.omni(['claude', '--detach', '--policy', 'no_such_builtin']);
    expect(unknown.exitCode).toBe(2);
    expect(String(unknown.stderr)).toMatch(/blast_radius/); // lists what exists
    const all = await t.omniJson<unknown[]>(['ls', '--all']);
    expect(all).toEqual([]);
  });
});
