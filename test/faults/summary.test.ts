import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageData } from '../../src/core/events.js';
import { resolvePaths } from '../../src/core/paths.js';
import type { SessionRecord } from '../../src/core/session.js';
import { aggregateCost, type CostReport } from '../../src/cost/aggregate.js';
import { Meter, repriceWith } from '../../src/cost/meter.js';
import { EventBus } from '../../src/daemon/bus.js';
import { readEvents } from '../../src/daemon/eventlog.js';
import { SessionLog } from '../../src/daemon/session-log.js';
import { SessionStore } from '../../src/daemon/store.js';
import { makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { api, startScriptedDaemon } from '../helpers/scripted.js';

/**
 * Faults in what the daemon keeps beside its logs (docs/RELIABILITY.md): a truncated
 * summary.json and a torn line in the middle of a log. The real daemon (dist/, scripted
 * harness added) starts on a state with history; after the damage and a restart, every total
 * equals what the logs say, the daemon log says what it rebuilt, and nothing is lost.
 */
const MODEL = 'fault-model-1';

describe('faults: a truncated summary, a torn line mid-log (real daemon)', () => {
  let t: TestEnv;
  let store: SessionStore;
  const ids = ['s_faulta01', 's_faultb01', 's_faultc01'];

  beforeAll(async () => {
    t = makeTestEnv();
    const paths = resolvePaths(t.env);
    fs.mkdirSync(paths.configDir, { recursive: true });
    fs.writeFileSync(path.join(paths.configDir, 'prices.yaml'), `models:\n  ${MODEL}:\n    input: 2\n    output: 8\n`);
    // History written by omni's own writer (SessionLog, as the daemon does), for ended sessions.
    store = new SessionStore(paths.sessionsIndex, paths.sessionsDir);
    store.load();
    let at = Date.parse('2026-04-01T08:00:00Z');
    const log = new SessionLog({ store, bus: new EventBus(), now: () => new Date(at) });
    for (const [n, id] of ids.entries()) {
      const rec: SessionRecord = { id, name: `hist${n}`, harness: 'pi', cwd: t.work, status: 'exited', createdAt: new Date(at).toISOString(), updatedAt: new Date(at).toISOString(), tmuxSession: id, command: [], lastSeq: 0, exitedAt: new Date(at).toISOString() };
      store.put(rec);
      for (let i = 0; i < 300; i++) {
        at += 600_000;
        log.emit(rec, { type: 'message.user', data: { text: `prompt ${i}: “quoted” ✓` } });
        log.emit(rec, { type: 'usage', data: { model: MODEL, inputTokens: 1000 + i, outputTokens: 100 + n, cacheReadTokens: 0, cacheWriteTokens: 0, source: 'test' } as UsageData });
        if (i % 50 === 0) log.emit(rec, { type: 'cost.reported', data: { totalUsd: i / 100, source: 'test', harnessSessionId: 'h' } });
      }
    }
    log.closeAll();
    store.flush();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  /** What the logs themselves say: every readable event, priced with the same book. */
  const fromLogs = (): CostReport => {
    const paths = resolvePaths(t.env);
    const meter = new Meter({ configDir: paths.configDir, cacheDir: paths.cacheDir });
    const recs = new SessionStore(paths.sessionsIndex, paths.sessionsDir).load();
    return aggregateCost(
      ids.map((id) => ({ session: { id, name: recs.find((r) => r.id === id)!.name, harness: 'pi' }, events: readEvents(store.eventsFile(id)) })),
      'session',
      { reprice: (s, u, at) => ({ usd: repriceWith(meter, s, u, at).computedCostUsd }) },
    );
  };
  /** The daemon's report once it has settled (no repricing under way). */
  const settledReport = () =>
    until(
      async () => {
        const r = await api<CostReport>(t, 'GET', '/v1/cost?by=session');
        return r.status === 200 && r.body.warnings.length === 0 && r.body;
      },
      20_000,
      'the cost report to settle',
    );
  const daemonLog = () => fs.readFileSync(resolvePaths(t.env).daemonLog, 'utf8');
  const stop = async (pid: number) => {
    process.kill(pid, 'SIGTERM');
    await until(() => !alive(pid), 10_000, 'the daemon to stop');
  };
  const summaryFile = (id: string) => path.join(store.sessionDir(id), 'summary.json');

  it('starts on history without opening ended sessions’ logs, and its totals equal the logs’', async () => {
    const pid = await startScriptedDaemon(t);
    const report = await settledReport();
    expect(report.groups.map((g) => [g.key, g.messages])).toEqual(ids.map((id) => [id, 300]));
    expect(report).toEqual(fromLogs());
    // Only live sessions hold fds: none of these ended ones' logs or keys is open.
    const open = fs.readdirSync(`/proc/${pid}/fd`).map((fd) => safeReadlink(`/proc/${pid}/fd/${fd}`));
    expect(open.filter((f) => f.includes('/state/sessions/'))).toEqual([]);
    await stop(pid);
    for (const id of ids) expect(fs.existsSync(summaryFile(id))).toBe(true);
  });

  it('after a truncated summary and a torn line mid-log: totals equal what the log says, the daemon says what it rebuilt, nothing else is lost', async () => {
    const [a, b] = ids as [string, string];
    // a: its summary cut in half, and a line in the middle of its log torn (half of it, then the newline).
    const s = fs.readFileSync(summaryFile(a), 'utf8');
    fs.writeFileSync(summaryFile(a), s.slice(0, Math.floor(s.length / 2)));
    const lines = fs.readFileSync(store.eventsFile(a), 'utf8').split('\n');
    const mid = lines.findIndex((l, i) => i > 200 && l.includes('"type":"usage"'));
    const tornSeq = (JSON.parse(lines[mid]!) as { seq: number }).seq;
    lines[mid] = lines[mid]!.slice(0, Math.floor(lines[mid]!.length / 2));
    fs.writeFileSync(store.eventsFile(a), lines.join('\n'));
    // b: its summary is fine, but the log grew past it with a torn line among the new lines
    // (a crash between appends and the summary's next write). Logged before the prices were
    // applied, so repriced like the rest.
    const last = readEvents(store.eventsFile(b)).at(-1)!;
    const ev = (seq: number, inputTokens: number) =>
      JSON.stringify({ seq, ts: new Date(Date.parse(last.ts) + (seq - last.seq) * 1000).toISOString(), session: b, type: 'usage', data: { model: MODEL, inputTokens, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, source: 'test' } });
    fs.appendFileSync(store.eventsFile(b), `${ev(last.seq + 1, 7)}\n${ev(last.seq + 2, 7).slice(0, 40)}\n${ev(last.seq + 3, 7)}\n`);

    const pid = await startScriptedDaemon(t);
    const report = await settledReport();
    expect(report).toEqual(fromLogs());
    const byId = new Map(report.groups.map((g) => [g.key, g]));
    expect(byId.get(a)?.messages).toBe(299); // the torn one is unreadable; every other counts
    expect(byId.get(b)?.messages).toBe(302);
    expect(daemonLog()).toMatch(new RegExp(`${a}: summary torn \\(not JSON\\); rebuilt it from the event log \\(\\d+ bytes\\)`));
    // The records agree with the report (what ls and budgets show).
    const sessions = (await api<{ sessions: SessionRecord[] }>(t, 'GET', '/v1/sessions?all=1')).body.sessions;
    for (const id of ids) expect(sessions.find((x) => x.id === id)?.cost?.messages).toBe(byId.get(id)?.messages);
    expect(sessions.find((x) => x.id === b)?.lastSeq).toBe(last.seq + 3);
    // Nothing else lost: every readable event is still there, in order.
    const seqs = readEvents(store.eventsFile(a)).map((e) => e.seq);
    expect(seqs).toHaveLength(lines.filter(Boolean).length - 1);
    expect(seqs).not.toContain(tornSeq);
    await stop(pid);
    // The rebuilt summaries were written: the next start reads no history.
    const again = await startScriptedDaemon(t);
    expect(await settledReport()).toEqual(report);
    expect(daemonLog().match(/rebuilt it from the event log/g)).toHaveLength(1);
    await stop(again);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function safeReadlink(p: string): string {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '';
  }
}
