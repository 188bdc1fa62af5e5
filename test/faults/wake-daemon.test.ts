import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { wakeRunningDaemon } from '../../src/daemon/socket-keeper.js';
import { until } from '../helpers/omni.js';

/**
 * The start-time half of "socket deleted" (socket-deleted.test.ts covers the watch, which
 * usually wins): a starting daemon that finds a running one in the pid file wakes it and steps
 * aside, reports one that does not answer, and never signals a process that is not an omni
 * daemon of this home (SIGUSR2 would end it).
 */
describe('wakeRunningDaemon', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const home = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'omt-wake-'));
    dirs.push(d);
    return d;
  };
  const answers = (sock: string) => () =>
    new Promise<boolean>((resolve) => {
      const c = net.connect(sock);
      c.once('connect', () => (c.destroy(), resolve(true)));
      c.once('error', () => resolve(false));
    });
  /** A stand-in daemon: `daemon` on its command line, OMNI_HOME in its environment; listens on SIGUSR2 if told to. */
  const standIn = async (h: string, sock: string, listensOnWake: boolean) => {
    const code = `process.on('SIGUSR2', () => { ${listensOnWake ? `require('net').createServer().listen(process.env.STANDIN_SOCK)` : ''} }); process.send('up'); setInterval(() => {}, 1000);`;
    const c = spawn(process.execPath, ['-e', code, 'daemon'], { env: { ...process.env, OMNI_HOME: h, STANDIN_SOCK: sock }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.push(c);
    await new Promise((r) => c.once('message', r));
    fs.writeFileSync(path.join(h, 'omnid.pid'), `${c.pid}\n`);
    return c;
  };

  it('wakes a running daemon without its socket and returns its pid once it answers', async () => {
    const h = home();
    const sock = path.join(h, 'omni.sock');
    const c = await standIn(h, sock, true);
    const logged: string[] = [];
    expect(await wakeRunningDaemon(path.join(h, 'omnid.pid'), h, answers(sock), (m) => logged.push(m))).toBe(c.pid);
    expect(logged.join('\n')).toContain(`daemon ${c.pid} runs but its socket does not answer`);
  });

  it('reports a running daemon that does not answer instead of starting a second one', async () => {
    const h = home();
    const c = await standIn(h, path.join(h, 'omni.sock'), false);
    await expect(wakeRunningDaemon(path.join(h, 'omnid.pid'), h, answers(path.join(h, 'omni.sock')), () => {}, 500)).rejects.toThrow(`omni daemon ${c.pid} is running but does not answer on its socket`);
    expect(c.exitCode).toBeNull(); // signalled, and still alive: its handler was set
  });

  it('leaves alone a pid that is not an omni daemon of this home (and one that is gone)', async () => {
    const h = home();
    const other = home();
    const stranger = spawn('sleep', ['30']);
    children.push(stranger);
    fs.writeFileSync(path.join(h, 'omnid.pid'), `${stranger.pid}\n`);
    expect(await wakeRunningDaemon(path.join(h, 'omnid.pid'), h, async () => false, () => {})).toBeUndefined();
    // A daemon of another OMNI_HOME, named in this home's pid file by pid reuse (its command
    // line does not say omni, so only its environment can tell).
    const foreign = await standIn(other, path.join(other, 'omni.sock'), true);
    fs.writeFileSync(path.join(h, 'omnid.pid'), `${foreign.pid}\n`);
    expect(await wakeRunningDaemon(path.join(h, 'omnid.pid'), h, async () => false, () => {})).toBeUndefined();
    await new Promise((r) => setTimeout(r, 200));
    expect(stranger.exitCode).toBeNull();
    expect(stranger.signalCode).toBeNull();
    stranger.kill('SIGKILL');
    await until(() => stranger.exitCode !== null || stranger.signalCode !== null, 5_000, 'sleep to end');
    expect(await wakeRunningDaemon(path.join(h, 'omnid.pid'), h, async () => false, () => {})).toBeUndefined();
  });
});
