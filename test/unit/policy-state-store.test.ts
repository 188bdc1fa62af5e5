import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApprovalQueue } from '../../src/approvals/queue.js';
import type { SessionRecord } from '../../src/core/session.js';
import { PolicyService } from '../../src/daemon/policy-service.js';
import { JOURNAL_FILE, PolicyStateStore, SNAPSHOT_FILE } from '../../src/daemon/policy-state-store.js';
import type { PolicyState } from '../../src/policy/state.js';
import type { StateUpdate } from '../../src/policy/types.js';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-pstate-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const journal = () => fs.readFileSync(path.join(dir, JOURNAL_FILE), 'utf8');
const snapshot = () => JSON.parse(fs.readFileSync(path.join(dir, SNAPSHOT_FILE), 'utf8'));
/** What the daemon does per decision: apply, then journal. */
function apply(store: PolicyStateStore, state: PolicyState, u: StateUpdate[], g?: Array<[string, string]>): void {
  state.apply(u);
  for (const [p, k] of g ?? []) state.grant(p, k);
  store.append(state, { u, g });
}

describe('PolicyStateStore', () => {
  it('journals each update with one line and replays it over the snapshot on load, then compacts', () => {
    const a = new PolicyStateStore(dir);
    const st = a.load();
    apply(a, st, [{ op: 'label', name: 'package-installed' }, { op: 'incr', name: 'calls' }]);
    apply(a, st, [{ op: 'incr', name: 'calls', by: 2 }, { op: 'add', set: 'touched', values: ['/a', '/b'] }]);
    apply(a, st, [{ op: 'remove', set: 'touched', values: ['/a'] }], [['ask_on_shell', 'Bash']]);
    apply(a, st, []); // nothing to record: no line
    expect(journal().split('\n')).toHaveLength(4); // three lines and the final newline
    expect(fs.existsSync(path.join(dir, SNAPSHOT_FILE))).toBe(false); // no snapshot written per decision
    // The daemon dies here (no close): a new one reads what the journal holds.
    const b = new PolicyStateStore(dir);
    const back = b.load();
    expect(back.toJSON()).toEqual({ labels: ['package-installed'], counters: { calls: 3 }, sets: { touched: ['/b'] }, grants: ['ask_on_shell\u0000Bash'] });
    expect(back.hasGrant('ask_on_shell', 'Bash')).toBe(true);
    // Folded into the snapshot, which records the last line it includes; the journal starts afresh.
    expect(journal()).toBe('');
    expect(snapshot()).toMatchObject({ counters: { calls: 3 }, journal: 3 });
    apply(b, back, [{ op: 'incr', name: 'calls' }]);
    expect(JSON.parse(journal().trim())).toEqual({ n: 4, u: [{ op: 'incr', name: 'calls' }] });
    expect(new PolicyStateStore(dir).load().counter('calls')).toBe(4);
  });

  it('ignores a torn last line, and the next line does not glue onto it', () => {
    const a = new PolicyStateStore(dir);
    const st = a.load();
    apply(a, st, [{ op: 'incr', name: 'c' }]);
    fs.appendFileSync(path.join(dir, JOURNAL_FILE), '{"n":2,"u":[{"op":"lab'); // died mid-write
    const logs: string[] = [];
    const b = new PolicyStateStore(dir, { log: (m) => logs.push(m) });
    const back = b.load();
    expect(back.toJSON()).toMatchObject({ labels: [], counters: { c: 1 } });
    expect(logs).toEqual([expect.stringContaining('ignoring a torn last line')]);
    apply(b, back, [{ op: 'label', name: 'x' }]);
    expect(new PolicyStateStore(dir).load().toJSON()).toMatchObject({ labels: ['x'], counters: { c: 1 } });
  });

  it('replays nothing twice when the daemon died between writing a snapshot and emptying the journal', () => {
    const a = new PolicyStateStore(dir);
    const st = a.load();
    for (let i = 0; i < 3; i++) apply(a, st, [{ op: 'incr', name: 'c' }]);
    const lines = journal();
    a.close(st); // snapshot {c: 3, journal: 3}, journal emptied
    fs.writeFileSync(path.join(dir, JOURNAL_FILE), lines + JSON.stringify({ n: 4, u: [{ op: 'incr', name: 'c', by: 10 }] }) + '\n');
    expect(new PolicyStateStore(dir).load().counter('c')).toBe(13);
  });

  it('compacts every N lines and on close; appends after a close reopen the journal', () => {
    const a = new PolicyStateStore(dir, { compactEvery: 3 });
    const st = a.load();
    apply(a, st, [{ op: 'incr', name: 'c' }]);
    apply(a, st, [{ op: 'incr', name: 'c' }]);
    expect(journal().trim().split('\n')).toHaveLength(2);
    apply(a, st, [{ op: 'incr', name: 'c' }]);
    expect(journal()).toBe('');
    expect(snapshot()).toMatchObject({ counters: { c: 3 }, journal: 3 });
    apply(a, st, [{ op: 'label', name: 'l' }]);
    a.close(st);
    expect(journal()).toBe('');
    expect(snapshot()).toMatchObject({ labels: ['l'], counters: { c: 3 }, journal: 4 });
    apply(a, st, [{ op: 'unlabel', name: 'l' }]);
    expect(JSON.parse(journal())).toMatchObject({ n: 5 });
    expect(new PolicyStateStore(dir).load().toJSON()).toMatchObject({ labels: [], counters: { c: 3 } });
  });

  it('reads a snapshot written before the journal existed (no journal mark)', () => {
    fs.writeFileSync(path.join(dir, SNAPSHOT_FILE), JSON.stringify({ labels: ['t'], counters: { c: 2 }, sets: {}, grants: [] }));
    const a = new PolicyStateStore(dir);
    const st = a.load();
    expect(st.toJSON()).toMatchObject({ labels: ['t'], counters: { c: 2 } });
    apply(a, st, [{ op: 'incr', name: 'c' }]);
    expect(new PolicyStateStore(dir).load().counter('c')).toBe(3);
  });
});

describe('PolicyService policy state across a daemon restart', () => {
  function queue(): ApprovalQueue {
    const q = new ApprovalQueue(path.join(dir, 'approvals'));
    q.load();
    return q;
  }
  function service(approvals = queue()): PolicyService {
    return new PolicyService({
      approvals,
      sessionDir: (id) => {
        fs.mkdirSync(path.join(dir, id), { recursive: true });
        return path.join(dir, id);
      },
      getSession: () => undefined,
      emit: () => {},
      setStatus: () => {},
      usage: { onUsage: () => () => {} },
      configDir: path.join(dir, 'config'),
    });
  }
  const rec: SessionRecord = { id: 's_taint', name: 't', harness: 'claude', cwd: '/tmp', status: 'running', createdAt: '', updatedAt: '', tmuxSession: 't', command: [], lastSeq: 0 };
  const shell = (callId: string, script: string) => ({ phase: 'tool_call' as const, callId, tool: 'Bash', input: { command: script }, call: { kind: 'shell' as const, script } });

  it('keeps a taint: after npm install and a daemon killed without closing, git push still asks', async () => {
    const a = service();
    a.attach(rec, a.prepare([{ ref: 'taint_then_ask' }], '/tmp'));
    expect((await a.decide(rec, shell('c1', 'npm install left-pad'))).verdict).not.toBe('deny');
    expect(fs.readFileSync(path.join(dir, rec.id, JOURNAL_FILE), 'utf8')).toContain('package-installed');
    // Killed: no close. A new daemon loads the session's state from its files.
    const b = service();
    const ac = new AbortController();
    const held = b.decide(rec, shell('c2', 'git push origin main'), ac.signal);
    ac.abort(); // the agent stops waiting: the ask is withdrawn, which denies
    expect(await held).toMatchObject({ verdict: 'deny', reason: expect.stringContaining('withdrawn') });
    expect(b.describe(rec).state.labels).toEqual(['package-installed']);
    // A clean close folds the journal into the snapshot.
    b.close(rec.id);
    expect(JSON.parse(fs.readFileSync(path.join(dir, rec.id, SNAPSHOT_FILE), 'utf8')).labels).toEqual(['package-installed']);
    expect(fs.readFileSync(path.join(dir, rec.id, JOURNAL_FILE), 'utf8')).toBe('');
  });

  it('keeps an "approve for the session" grant across a restart', async () => {
    const q = queue();
    const a = service(q);
    a.attach(rec, a.prepare([{ ref: 'ask_on_shell' }], '/tmp'));
    const held = a.decide(rec, shell('c1', 'make deploy'));
    await vi.waitFor(() => expect(q.list()).toHaveLength(1));
    a.answer(q.list()[0]!.id, 'approve', { scope: 'session', via: 'cli', by: 'me' });
    expect(await held).toMatchObject({ verdict: 'allow' });
    const b = service(); // killed and restarted: the grant is read back from the journal
    // (Without the grant it would ask: the agent gives up after 2 s, which denies.)
    expect(await b.decide(rec, shell('c2', 'make deploy'), AbortSignal.timeout(2000))).toMatchObject({ verdict: 'allow' });
    expect(b.describe(rec).state.grants).toHaveLength(1);
  });

  it('denies every gate when the state cannot be read, instead of starting from empty state', async () => {
    fs.mkdirSync(path.join(dir, rec.id), { recursive: true });
    fs.writeFileSync(path.join(dir, rec.id, SNAPSHOT_FILE), '{"labels": ["package-ins');
    const s = service();
    expect(await s.decide(rec, shell('c1', 'ls'))).toMatchObject({ verdict: 'deny', reason: expect.stringContaining("this session's policy state cannot be read") });
  });
});
