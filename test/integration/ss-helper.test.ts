import { execFile } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { SsHelper } from '../../src/daemon/ss-helper.js';

/** The kept shell that runs `ss -xpn` for the caller checks: real sh, real ss. */
describe('SsHelper', () => {
  const helpers: SsHelper[] = [];
  const make = (env?: NodeJS.ProcessEnv) => {
    const h = new SsHelper(env);
    helpers.push(h);
    return h;
  };
  afterAll(() => helpers.forEach((h) => h.close()));

  it('gives what `ss -xpn` prints, one request at a time, from one shell', async () => {
    const h = make();
    // A listening socket whose path holds a fake end marker: it shows in the listing, and ends nothing.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oss-'));
    const sock = path.join(dir, 'omni-ss-end-0 0');
    const server = net.createServer().listen(sock);
    await new Promise((r) => server.once('listening', r));
    const accepted = new Promise((r) => server.once('connection', r));
    const client = net.connect(sock); // ss lists connected sockets: the accepted end has the path
    await accepted;
    try {
      const direct = await new Promise<string>((res, rej) => execFile('ss', ['-xpn'], (err, out) => (err ? rej(err) : res(out))));
      const outs = await Promise.all([h.run(), h.run(), h.run()]);
      for (const out of outs) {
        expect(out.split('\n')[0]!.trim().split(/\s+/)).toEqual(direct.split('\n')[0]!.trim().split(/\s+/)); // the same header
        expect(out).toContain(sock);
        expect(out).toContain(`pid=${process.pid}`);
      }
      const shell = (h as unknown as { sh?: { pid: number } }).sh?.pid;
      expect(shell).toBeGreaterThan(0);
      await h.run();
      expect((h as unknown as { sh?: { pid: number } }).sh?.pid).toBe(shell);
    } finally {
      client.destroy();
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails what it had when its shell dies, and starts another for the next call', async () => {
    const h = make();
    await h.run();
    const sh = (h as unknown as { sh: { pid: number } }).sh;
    const pending = h.run();
    process.kill(sh.pid, 'SIGKILL');
    // The request may have been answered before the kill landed; if not, it fails (never hangs).
    await pending.catch((err: Error) => expect(err.message).toMatch(/exited/));
    await new Promise((r) => setTimeout(r, 50));
    expect(await h.run()).toMatch(/^Netid/);
    expect((h as unknown as { sh: { pid: number } }).sh.pid).not.toBe(sh.pid);
  });

  it('rejects with ENOENT when ss is not on its PATH', async () => {
    const h = make({ PATH: '/nonexistent' });
    await expect(h.run()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
