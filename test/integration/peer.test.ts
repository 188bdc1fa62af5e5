import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../src/core/events.js';
import { OmniError } from '../../src/core/errors.js';
import type { SessionRecord } from '../../src/core/session.js';
import { ApprovalGate } from '../../src/daemon/approval-gate.js';
import { parentPid, peerPid, peerPids } from '../../src/daemon/peer.js';
import { cachedServerPid } from '../../src/daemon/server-pid.js';
import { SsHelper } from '../../src/daemon/ss-helper.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A real connection, and `ss` listings a caller forged through its own socket's path and name. */
describe('peerPids reads the listing as a hint only', () => {
  let dir: string;
  let server: net.Server;
  let client: net.Socket;
  let conn: net.Socket;
  let inode: string;
  let fd: number;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opp-'));
    const sock = path.join(dir, 'c.sock');
    server = net.createServer();
    await new Promise<void>((r) => server.listen(sock, r));
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    client = net.connect(sock);
    conn = await accepted;
    fd = (conn as unknown as { _handle: { fd: number } })._handle.fd;
    inode = /\[(\d+)\]/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`))![1]!;
  });
  afterAll(async () => {
    client.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const head = 'Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port Process';
  const ours = () => `u_str ESTAB 0 0 ${dir}/c.sock ${inode} * 777 users:(("node",pid=${process.pid},fd=${fd}))`;
  const holds = (pid: number, ino: string) => ino === '777' && (pid === 4242 || pid === 4243);
  const listing = (...rows: string[]) => async () => [head, ...rows].join('\n') + '\n';

  it('counts only the pids /proc shows holding the peer socket, every one of them', async () => {
    // The caller bound its socket to "/tmp/x 777 * 1 users:(("init",pid=1,fd=1))": pid 1 is made up.
    const forged = `u_str ESTAB 0 0 /tmp/x 777 * 1 users:(("init",pid=1,fd=1)) 777 * ${inode} users:(("curl",pid=4242,fd=3))`;
    expect(await peerPids(conn, listing(ours(), forged), holds)).toEqual([4242]);
    const shared = `u_str ESTAB 0 0 * 777 * ${inode} users:(("sh",pid=4243,fd=0),("sh",pid=4242,fd=0))`;
    expect(await peerPids(conn, listing(shared, ours()), holds)).toEqual([4243, 4242]);
    await expect(peerPids(conn, listing(ours(), 'u_str ESTAB 0 0 * 777 * 5 users:(("init",pid=1,fd=1))'), holds)).rejects.toThrow(/does not show the process behind this connection/);
  });

  it('fails closed when a second row claims to be ours (a path with a newline)', async () => {
    const fake = `u_str ESTAB 0 0 /tmp/y ${inode} * 888 users:(("node",pid=${process.pid},fd=${fd}))`;
    await expect(peerPids(conn, listing(ours(), fake), () => true)).rejects.toThrow(/more than one row/);
    await expect(peerPids(conn, listing(), holds)).rejects.toThrow(/no row/);
    // A child the daemon forks holds its fds until it execs: the same row, one more user.
    const forked = `u_str ESTAB 0 0 ${dir}/c.sock ${inode} * 777 users:(("node",pid=99999,fd=${fd}),("node",pid=${process.pid},fd=${fd}))`;
    expect(await peerPids(conn, listing(forked, `u_str ESTAB 0 0 * 777 * ${inode} users:(("curl",pid=4242,fd=3))`), holds)).toEqual([4242]);
  });

  it('finds the real peer through real ss and /proc', async () => {
    expect(await peerPids(conn)).toEqual([process.pid]); // both ends are this process
  });
});

/**
 * Real processes, a real Unix socket, real `ss` and a real tmux server: who is asking the daemon?
 * Twice: `ss` and tmux asked afresh on every call, and as the daemon wires it (main.ts): `ss` run
 * by one kept shell (ss-helper.ts), the tmux server's pid kept while it lives (server-pid.ts).
 */
describe.each([{ daemon: false }, { daemon: true }])('approval callers from a session are refused (daemon wiring: $daemon)', ({ daemon }) => {
  let dir: string;
  let sock: string;
  let tmuxSock: string;
  let server: http.Server;
  let sessions: SessionRecord[] = [];
  const target = { id: 's_target', name: 'target', status: 'running' } as SessionRecord;
  const seen: Array<{ pid?: number; ppid?: number; refused?: string }> = [];
  const events: Array<{ session: string; ev: NewEvent }> = [];
  const logs: string[] = [];
  const tmux = (args: string[]) => execa('tmux', ['-S', tmuxSock, '-f', '/dev/null', ...args], { reject: false });
  const helpers: SsHelper[] = [];
  const askTmux = async () => {
    const r = await tmux(['display-message', '-p', '#{pid}']);
    return r.exitCode === 0 ? Number(r.stdout.trim()) : undefined;
  };
  const gate = (env: NodeJS.ProcessEnv = process.env) => {
    const ss = daemon ? new SsHelper(env) : undefined;
    if (ss) helpers.push(ss);
    return new ApprovalGate({
      sessions: () => sessions,
      approvalSession: () => target,
      tmuxServerPid: daemon ? cachedServerPid(askTmux) : askTmux,
      ...(ss ? { peerPid: (s: import('node:net').Socket) => peerPids(s, ss.run) } : {}),
      emit: (rec, ev) => events.push({ session: rec.id, ev }),
      log: (m) => logs.push(m),
    });
  };
  let g: ApprovalGate;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omp-'));
    sock = path.join(dir, 'c.sock');
    tmuxSock = path.join(dir, 't.sock');
    g = gate();
    server = http.createServer(async (req, res) => {
      const pid = await peerPid(req.socket).catch(() => undefined);
      const ppid = pid ? parentPid(pid) : undefined; // while the caller is still alive
      const url = new URL(req.url ?? '/', 'http://omni');
      try {
        await g.check(req, { approval: url.searchParams.get('ap') ?? 'ap_x', verb: 'approve', ...(url.searchParams.get('nonce') ? { nonce: url.searchParams.get('nonce')! } : {}) });
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
    for (const ss of helpers) ss.close();
    await tmux(['kill-server']);
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
    expect(seen.at(-1)!.refused).toMatch(/approval refused: pid \d+ runs in session agent's process tree/);
    // The same session exited: its pane pid no longer counts.
    sessions = [{ ...sessions[0]!, status: 'exited' }];
    const outside = await curlFrom(`curl -s --unix-socket ${sock} http://omni/`);
    expect(outside.stdout).toBe('ok');
  });

  describe('from a shell in a pane of a real tmux server', () => {
    let out: string;
    const inPane = async (cmd: string, file: string) => {
      fs.rmSync(file, { force: true });
      await tmux(['send-keys', '-t', 'agent', '-l', cmd]);
      await tmux(['send-keys', '-t', 'agent', 'Enter']);
      for (let i = 0; i < 100 && !(fs.existsSync(file) && fs.readFileSync(file, 'utf8')); i++) await sleep(100);
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '(nothing written)';
    };
    beforeAll(async () => {
      out = path.join(dir, 'out');
      // The pane's environment has no TMUX (as omni's launch script leaves it): the socket is spelled out.
      expect((await tmux(['new-session', '-d', '-s', 'agent', '-x', '120', '-y', '30', 'env -u TMUX -u TMUX_PANE sh'])).exitCode).toBe(0);
      const panePid = Number((await tmux(['display-message', '-p', '-t', 'agent', '#{pane_pid}'])).stdout.trim());
      sessions = [{ id: 's_agent', name: 'agent', status: 'running', panePid } as SessionRecord];
      await sleep(300);
    });

    it("refuses `tmux -S <omni's socket> run-shell '… approve …'` and logs it", async () => {
      events.length = 0;
      const body = await inPane(`tmux -S ${tmuxSock} run-shell "curl -s --unix-socket ${sock} http://omni/?ap=ap_x > ${out}.1"`, `${out}.1`);
      expect(body).toBe('refused');
      expect(seen.at(-1)!.refused).toMatch(/runs under omni's own tmux server/);
      expect(events.map((e) => e.ev.type)).toEqual(['approval.refused']);
      expect(events[0]).toMatchObject({ session: 's_target', ev: { data: { id: 'ap_x', verb: 'approve', pid: expect.any(Number) } } });
      expect(logs.at(-1)).toMatch(/approval refused: approve ap_x by pid \d+: .*tmux server/);
    });

    it('refuses a double fork out of the pane (same Unix session) and names the session', async () => {
      events.length = 0;
      const body = await inPane(`( sh -c 'sleep 0.3; curl -s --unix-socket ${sock} http://omni/ > ${out}.2' & )`, `${out}.2`);
      expect(body).toBe('refused');
      expect(seen.at(-1)!.refused).toMatch(/in a Unix session \(sid \d+\) of session agent's processes/);
      expect(events.map((e) => e.session).sort()).toEqual(['s_agent', 's_target']);
    });

    it("accepts the daemon's popup (under the tmux server, holding its nonce) once, for its approval only", async () => {
      const nonce = g.popupNonce('ap_pop');
      const cmd = (ap: string, file: string) => `tmux -S ${tmuxSock} run-shell "curl -s --unix-socket ${sock} 'http://omni/?ap=${ap}&nonce=${nonce}' > ${file}"`;
      expect(await inPane(cmd('ap_other', `${out}.3`), `${out}.3`)).toBe('refused');
      expect(await inPane(cmd('ap_pop', `${out}.4`), `${out}.4`)).toBe('ok');
      expect(await inPane(cmd('ap_pop', `${out}.5`), `${out}.5`)).toBe('refused');
    });
  });

  it('fails closed when `ss` is missing, saying to install iproute2', async () => {
    const saved = process.env.PATH;
    process.env.PATH = path.join(dir, 'empty-path'); // the daemon's PATH: no ss on it
    const kept = g;
    if (daemon) g = gate({ ...process.env }); // the kept shell has the PATH it started with
    try {
      const r = await execa('curl', ['-s', '--unix-socket', sock, 'http://omni/'], { reject: false, env: { PATH: saved } });
      expect(r.stdout).toBe('refused');
    } finally {
      process.env.PATH = saved;
      g = kept;
    }
    expect(seen.at(-1)!.refused).toMatch(/omni cannot tell who is asking, so approvals are refused: `ss` is not installed; install iproute2/);
  });
});
