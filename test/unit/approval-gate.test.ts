import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../src/core/events.js';
import { OmniError } from '../../src/core/errors.js';
import type { SessionRecord } from '../../src/core/session.js';
import { ApprovalGate, judgePeer } from '../../src/daemon/approval-gate.js';
import { PeerCheckUnavailable, type ProcReader } from '../../src/daemon/peer.js';

/** A process table: pid → parent, Unix session, environment. */
function procs(table: Record<number, { ppid: number; sid: number; env?: Record<string, string> }>): ProcReader {
  return {
    stat: (pid) => (table[pid] ? { ppid: table[pid]!.ppid, sid: table[pid]!.sid } : undefined),
    environ: (pid) => table[pid]?.env ?? (table[pid] ? {} : undefined),
    pids: () => Object.keys(table).map(Number),
  };
}
const session = (id: string, panePid: number, status: SessionRecord['status'] = 'running') => ({ id, name: id.slice(2), status, panePid }) as SessionRecord;

// 1 init; 50 the tmux server (sid 50); 100 a pane (sid 100) → 101 the agent → 102 a shell;
// 200 the user's shell (sid 200) → 201 omni approve; 300 a double-forked orphan of the pane
// (parent init, sid 100); 400 `tmux run-shell` job (parent the server); 500 a setsid'd process
// that kept the agent's environment; 600 the popup (under the server); 103 a tool shell the
// agent started in a new Unix session (sid 103), 310 an orphan double-forked from it.
const table = procs({
  1: { ppid: 0, sid: 1 },
  50: { ppid: 1, sid: 50 },
  100: { ppid: 50, sid: 100 },
  101: { ppid: 100, sid: 100 },
  102: { ppid: 101, sid: 100 },
  103: { ppid: 101, sid: 103 },
  310: { ppid: 1, sid: 103 },
  200: { ppid: 1, sid: 200 },
  201: { ppid: 200, sid: 200 },
  300: { ppid: 1, sid: 100 },
  400: { ppid: 50, sid: 50 },
  500: { ppid: 1, sid: 500, env: { OMNI_SESSION_ID: 's_agent' } },
  600: { ppid: 50, sid: 600 },
});
const sessions = [session('s_agent', 100)];
const judge = (pid: number, popup = false, s = sessions) => judgePeer(pid, { proc: table, sessions: s, tmuxServerPid: 50, popup });

describe('judgePeer: who may answer an approval', () => {
  it("refuses a process in a live session's tree, names the session", () => {
    expect(judge(102)).toMatchObject({ from: { id: 's_agent' }, why: expect.stringMatching(/process tree/) });
    expect(judge(100)?.from?.id).toBe('s_agent');
  });
  it("refuses a double-forked orphan by the pane's Unix session", () => {
    expect(judge(300)).toMatchObject({ from: { id: 's_agent' }, why: expect.stringMatching(/Unix session \(sid 100\)/) });
  });
  it('refuses an orphan of a tool shell the agent started in a new Unix session', () => {
    expect(judge(310)).toMatchObject({ from: { id: 's_agent' }, why: expect.stringMatching(/Unix session \(sid 103\)/) });
  });
  it("refuses a child of omni's tmux server (run-shell, new-window), unless it is the daemon's popup", () => {
    expect(judge(400)?.why).toMatch(/omni's own tmux server/);
    expect(judge(600)?.why).toMatch(/omni's own tmux server/);
    expect(judge(600, true)).toBeUndefined();
  });
  it("refuses a process carrying a live session's OMNI_SESSION_ID", () => {
    expect(judge(500)).toMatchObject({ from: { id: 's_agent' }, why: expect.stringMatching(/OMNI_SESSION_ID/) });
  });
  it('a valid popup nonce never excuses a pane process or its Unix session', () => {
    expect(judge(102, true)?.from?.id).toBe('s_agent');
    expect(judge(300, true)?.from?.id).toBe('s_agent');
  });
  it("allows the user's own terminal; ended sessions no longer count", () => {
    expect(judge(201)).toBeUndefined();
    const ended = [session('s_agent', 100, 'exited')];
    expect(judge(102, false, ended)?.why).toMatch(/tmux server/); // still under omni's tmux server
    expect(judge(300, false, ended)).toBeUndefined();
    expect(judge(500, false, ended)).toBeUndefined();
  });
  it('fails closed when the asking process cannot be read', () => {
    expect(judge(999)?.why).toMatch(/cannot read \/proc\/999\/stat/);
  });
});

describe('ApprovalGate', () => {
  const target = session('s_target', 700);
  function gate(pid: number | number[] | Error) {
    const events: Array<{ session: string; ev: NewEvent }> = [];
    const logs: string[] = [];
    const g = new ApprovalGate({
      sessions: () => [...sessions, target],
      approvalSession: (id) => (id === 'ap_t' ? target : undefined),
      tmuxServerPid: async () => 50,
      emit: (rec, ev) => events.push({ session: rec.id, ev }),
      log: (m) => logs.push(m),
      proc: procs({ ...Object.fromEntries([1, 50, 100, 101, 102, 103, 200, 201, 300, 310, 400, 500, 600].map((p) => [p, { ...table.stat(p)!, env: table.environ(p) }])), 700: { ppid: 50, sid: 700 } }),
      peerPid: async () => {
        if (pid instanceof Error) throw pid;
        return pid;
      },
    });
    return { g, events, logs };
  }
  const req = {} as http.IncomingMessage;
  const refused = async (p: Promise<void>) => {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OmniError);
    expect((err as OmniError).code).toBe('forbidden');
    return (err as OmniError).message;
  };

  it("logs a refusal in the target's and the asker's logs and in the daemon log", async () => {
    const { g, events, logs } = gate(102);
    expect(await refused(g.check(req, { approval: 'ap_t', verb: 'approve' }))).toMatch(/^approval refused: pid 102 runs in session agent's process tree/);
    expect(events.map((e) => e.session).sort()).toEqual(['s_agent', 's_target']);
    expect(events[0]!.ev).toEqual({ type: 'approval.refused', data: { id: 'ap_t', verb: 'approve', pid: 102, from: 's_agent', why: expect.stringMatching(/process tree/) } });
    expect(logs[0]).toMatch(/approval refused: approve ap_t by pid 102 from session agent \(s_agent\)/);
  });

  it('a popup nonce answers once, and only the approval it was issued for', async () => {
    const { g } = gate(600);
    const n = g.popupNonce('ap_t');
    expect(await refused(g.check(req, { approval: 'ap_other', verb: 'approve', nonce: n }))).toMatch(/tmux server/);
    await g.check(req, { approval: 'ap_t', verb: 'deny', nonce: n });
    expect(await refused(g.check(req, { approval: 'ap_t', verb: 'approve', nonce: n }))).toMatch(/tmux server/);
    const m = g.popupNonce('ap_t');
    g.forget('ap_t');
    expect(await refused(g.check(req, { approval: 'ap_t', verb: 'approve', nonce: m }))).toMatch(/tmux server/);
    expect(await refused(g.check(req, { approval: 'ap_t', verb: 'approve', nonce: 'guess' }))).toMatch(/tmux server/);
  });

  it('fails closed, saying what to install, when the peer cannot be found', async () => {
    const { g, events } = gate(new PeerCheckUnavailable('`ss` is not installed; install iproute2 (which provides `ss`) …'));
    expect(await refused(g.check(req, { approval: 'ap_t', verb: 'approve' }))).toMatch(/omni cannot tell who is asking, so approvals are refused: `ss` is not installed; install iproute2/);
    expect(events).toHaveLength(1);
    expect(events[0]!.ev.data).not.toHaveProperty('pid');
  });

  it("lets the user's own terminal through", async () => {
    const { g, events } = gate(201);
    await g.check(req, { approval: 'ap_t', verb: 'approve' });
    expect(events).toEqual([]);
  });

  it('judges every process holding the connection: one inside a session is enough to refuse', async () => {
    // A socket shared across a fork: the user's terminal (201) and a pane process (102) both hold it.
    const { g } = gate([201, 102]);
    expect(await refused(g.check(req, { approval: 'ap_t', verb: 'approve' }))).toMatch(/^approval refused: pid 102 runs in session agent's process tree/);
    expect(await refused(g.checkOutsideSessions(req, 'omni mcp as the user'))).toMatch(/^omni mcp as the user refused: pid 102 runs in session agent's process tree/);
    await gate([201]).g.checkOutsideSessions(req, 'omni mcp as the user');
  });
});
