import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OmniError } from '../../src/core/errors.js';
import type { SessionRecord } from '../../src/core/session.js';
import { parentPid, peerPid, refuseFromSession } from '../../src/daemon/peer.js';

/** Real processes, real Unix socket, real `ss`: who is asking the daemon? */
describe('approval callers inside a session are refused', () => {
  let dir: string;
  let sock: string;
  let server: http.Server;
  let sessions: SessionRecord[] = [];
  const seen: Array<{ pid?: number; ppid?: number; refused?: string }> = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omp-'));
    sock = path.join(dir, 'c.sock');
    server = http.createServer(async (req, res) => {
      const pid = await peerPid(req.socket);
      const ppid = pid ? parentPid(pid) : undefined; // while the caller is still alive
      try {
        await refuseFromSession(req, sessions);
        seen.push({ pid, ppid });
        res.end('ok');
      } catch (err) {
        seen.push({ pid, refused: (err as OmniError).message });
        res.statusCode = 403;
        res.end('refused');
      }
    });
    await new Promise<void>((r) => server.listen(sock, r));
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const curlFrom = (shellCmd: string) => execa('sh', ['-c', shellCmd], { reject: false });

  it("finds the peer's pid and parent", async () => {
    const r = await curlFrom(`curl -s --unix-socket ${sock} http://omni/ ; echo " sh=$$"`);
    const shPid = Number(/sh=(\d+)/.exec(r.stdout)![1]);
    const last = seen.at(-1)!;
    expect(last.pid).toBeGreaterThan(0);
    expect(last.ppid).toBe(shPid); // curl's parent is the sh we started
    expect(r.stdout).toMatch(/^ok/);
  });

  it('refuses a caller whose ancestor is a live session pane, allows others', async () => {
    // A "pane" process (sh) whose descendant (curl) calls the daemon.
    const pane = execa('sh', ['-c', `read go; curl -s --unix-socket ${sock} http://omni/`], { reject: false, stdin: 'pipe' });
    sessions = [{ id: 's_x', name: 'agent', status: 'running', panePid: pane.pid } as SessionRecord];
    pane.stdin!.write('go\n');
    const r = await pane;
    expect(r.stdout).toBe('refused');
    expect(seen.at(-1)!.refused).toMatch(/approvals cannot come from inside an omni session .* session agent/);
    // The same session exited: its pane pid no longer counts.
    sessions = [{ ...sessions[0]!, status: 'exited' }];
    const outside = await curlFrom(`curl -s --unix-socket ${sock} http://omni/`);
    expect(outside.stdout).toBe('ok');
  });
});
