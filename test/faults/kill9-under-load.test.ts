import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import { makeTestEnv, until, type TestEnv } from '../helpers/omni.js';
import { api, createScripted, startScriptedDaemon, waitFor } from '../helpers/scripted.js';
import { agentSocket, cpuMs, fmt, gateCall, readLog, stats, toolPayload } from './hook-load.js';

/**
 * kill -9 of the daemon in the middle of 20 live sessions each making 50 gate hook calls a
 * second (issue 12, the fault suite). The calls are raw HTTP POSTs on the sessions' agent
 * sockets that follow bin/omni-hook's rules when the daemon is gone: the test restarts the
 * daemon as the client's `omni daemon start` would (the scripted daemon, which `omni daemon
 * start` does not know how to start), and the clients retry. Two calls are held on a policy ask
 * when the daemon dies. Nothing may be lost, logged twice or let through.
 *
 * OMNI_FAULT_LOAD_SECONDS sets the load's length (default 60; 10 is enough to iterate), and
 * OMNI_FAULT_LOAD_RATE the calls a second per session (default 50).
 */
const SECONDS = Number(process.env.OMNI_FAULT_LOAD_SECONDS ?? 60);
const SESSIONS = 20;
const PER_SECOND = Number(process.env.OMNI_FAULT_LOAD_RATE ?? 50);
/** A session's calls outstanding at once (an agent's parallel tool calls); beyond it a tick is skipped and counted. */
const MAX_OUTSTANDING = 5;
const ASKED = 'deploy-now';

interface Call {
  session: number;
  callId: string;
  start: number;
  end?: number;
  reply?: string;
  attempts?: number;
  error?: string;
  done?: Promise<unknown>;
}

describe('kill -9 of the daemon under load', () => {
  let t: TestEnv;
  beforeAll(() => {
    t = makeTestEnv();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it(`loses no event, logs none twice, keeps held asks (${SESSIONS} sessions x ${PER_SECOND} calls/s, ${SECONDS} s)`, { timeout: (SECONDS + 180) * 1000 }, async () => {
    let daemonPid = await startScriptedDaemon(t);
    const policy = path.join(t.dir, 'ask.yaml');
    fs.writeFileSync(policy, ['policies:', '  - name: hold', '    rules:', `      - when: { command: ${ASKED} }`, '        verdict: ask', '        reason: a person decides deploys', ''].join('\n'));
    const ids: string[] = [];
    for (let i = 0; i < SESSIONS; i++) ids.push((await createScripted(t, { name: `s${i}`, policies: [{ ref: policy }] })).id);
    for (let i = 0; i < SESSIONS; i++) await waitFor(t, `s${i}`, 'idle', 30);
    const socks = ids.map((id) => agentSocket(t, id));

    // `omni daemon start` as the hook clients see it: resolves once a daemon answers.
    let daemonUp: Promise<void> = Promise.resolve();
    const calls: Call[] = [];
    const outstanding = new Array<number>(SESSIONS).fill(0);
    let skipped = 0;
    let n = 0;
    const call = (session: number, callId: string, command: string): Call => {
      const c: Call = { session, callId, start: performance.now() };
      calls.push(c);
      outstanding[session]!++;
      c.done = gateCall(socks[session]!, toolPayload(callId, command, t.work), () => daemonUp).then(
        (r) => Object.assign(c, { end: performance.now(), reply: r.body, attempts: r.attempts }),
        (err: Error) => Object.assign(c, { end: performance.now(), error: err.message }),
      ).finally(() => outstanding[session]!--);
      return c;
    };

    const t0 = performance.now();
    const cpu0 = { daemon: cpuMs(daemonPid), client: process.cpuUsage() };
    const timers = ids.map((_, s) =>
      setInterval(() => {
        if (outstanding[s]! >= MAX_OUTSTANDING) return void skipped++;
        call(s, `toolu_s${s}_${++n}`, `echo ${n}`);
      }, 1000 / PER_SECOND),
    );
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    // Two calls held on the ask, a few seconds before the kill.
    await sleep((SECONDS / 2 - 3) * 1000);
    const held = [call(0, 'toolu_held_approve', `${ASKED} prod`), call(1, 'toolu_held_deny', `${ASKED} staging`)];
    const pendingBefore = await until(async () => {
      const r = await api<{ approvals: Approval[] }>(t, 'GET', '/v1/approvals');
      return r.body.approvals.length === 2 && r.body.approvals;
    }, 10_000, 'both asks to be pending');
    await sleep(Math.max(0, t0 + (SECONDS / 2) * 1000 - performance.now()));

    // kill -9, and the restart a hook's `omni daemon start` does.
    let restart!: () => void;
    daemonUp = new Promise((r) => (restart = r));
    const killedAt = performance.now();
    const cpuFirst = cpuMs(daemonPid) - cpu0.daemon;
    process.kill(daemonPid, 'SIGKILL');
    const oldPid = daemonPid;
    daemonPid = await startScriptedDaemon(t);
    const upAt = performance.now();
    restart();
    expect(daemonPid).not.toBe(oldPid);

    // The held asks survived: the new daemon lists them, still pending, under the same ids.
    const pendingAfter = (await t.omniJson<Approval[]>(['approvals'])).map((a) => a.id).sort();
    expect(pendingAfter).toEqual(pendingBefore.map((a) => a.id).sort());
    expect(held.every((c) => c.end === undefined)).toBe(true); // nothing let through meanwhile
    const askOf = (callId: string) => pendingBefore.find((a) => a.request.command === `${ASKED} ${callId === 'toolu_held_approve' ? 'prod' : 'staging'}`)!;
    await sleep(1500); // the held hooks have retried into their asks by now
    const answering = [performance.now()];
    const approved = await t.omni(['approve', askOf('toolu_held_approve').id]);
    expect(approved.exitCode, String(approved.stderr)).toBe(0);
    answering.push(performance.now());
    const denied = await t.omni(['deny', askOf('toolu_held_deny').id, '--reason', 'not today']);
    expect(denied.exitCode, String(denied.stderr)).toBe(0);

    await sleep(Math.max(0, t0 + SECONDS * 1000 - performance.now()));
    for (const tm of timers) clearInterval(tm);
    await Promise.all(calls.map((c) => c.done));
    const elapsed = (performance.now() - t0) / 1000;
    const daemonCpu = cpuFirst + cpuMs(daemonPid);
    const clientCpu = process.cpuUsage(cpu0.client);

    // Every call was answered (none failed closed: the daemon came back), and correctly.
    const failed = calls.filter((c) => c.error);
    expect(failed.map((c) => `${c.callId}: ${c.error}`).slice(0, 5)).toEqual([]);
    const load = calls.filter((c) => !c.callId.startsWith('toolu_held'));
    expect(load.filter((c) => c.reply !== '0\n').map((c) => `${c.callId}: ${JSON.stringify(c.reply)}`).slice(0, 5)).toEqual([]);
    // The held asks got their person's answer, and only after it.
    expect(held[0]!.reply).toBe('0\n');
    expect(held[1]!.reply).toMatch(/^2\n.*denied by .*not today/s);
    held.forEach((c, i) => expect(c.end!).toBeGreaterThan(answering[i]!));

    // Each log parses, its seq runs 1, 2, 3, …, and every answered call is in it exactly once.
    for (let s = 0; s < SESSIONS; s++) {
      const evs = readLog(t, ids[s]!);
      expect(evs.map((e) => e.seq)).toEqual(evs.map((_, i) => i + 1));
      const logged = new Map<string, number>();
      for (const e of evs) if (e.type === 'tool.call') logged.set((e.data as { callId: string }).callId, (logged.get((e.data as { callId: string }).callId) ?? 0) + 1);
      const twice = [...logged].filter(([, k]) => k > 1).map(([id]) => id);
      expect(twice, `session s${s}: tool calls logged twice`).toEqual([]);
      const mine = calls.filter((c) => c.session === s && c.reply !== undefined);
      expect(mine.filter((c) => !logged.has(c.callId)).map((c) => c.callId), `session s${s}: answered calls missing from the log`).toEqual([]);
      expect(evs.filter((e) => e.type === 'session.adopted')).toHaveLength(1);
      if (s < 2) {
        const id = (s === 0 ? askOf('toolu_held_approve') : askOf('toolu_held_deny')).id;
        expect(evs.filter((e) => e.type === 'approval.requested' && (e.data as { id: string }).id === id)).toHaveLength(1);
        expect(evs.filter((e) => e.type === 'approval.resolved' && (e.data as { id: string }).id === id).map((e) => (e.data as { verdict: string }).verdict)).toEqual([s === 0 ? 'approve' : 'deny']);
      }
    }

    // Latency, as an agent sees it (first attempt to answer): before the kill, the calls the
    // kill and restart caught, and after.
    const recovered = upAt + 2000;
    const ms = (c: Call) => c.end! - c.start;
    const before = load.filter((c) => c.end! < killedAt);
    const during = load.filter((c) => c.end! >= killedAt && c.start < recovered);
    const after = load.filter((c) => c.start >= recovered);
    const retried = load.filter((c) => (c.attempts ?? 1) > 1).length;
    const lines = [
      `kill -9 under load: ${SESSIONS} sessions x ${PER_SECOND}/s for ${elapsed.toFixed(1)} s: ${load.length} calls answered (${(load.length / elapsed).toFixed(0)}/s), ${skipped} ticks skipped (a session had ${MAX_OUTSTANDING} outstanding)`,
      `daemon back ${((upAt - killedAt) / 1000).toFixed(2)} s after the kill; ${retried} calls retried; 0 lost, 0 logged twice; 2 held asks answered after the restart`,
      `CPU: daemon ${(daemonCpu / calls.length).toFixed(2)} ms a call (${(daemonCpu / 1000).toFixed(1)} s in all, both daemons), the load generator ${((clientCpu.user + clientCpu.system) / 1000 / calls.length).toFixed(2)} ms a call; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs`,
      fmt('before the kill', stats(before.map(ms))),
      fmt('kill → restart + 2 s', stats(during.map(ms))),
      fmt('after', stats(after.map(ms))),
    ];
    console.log(lines.join('\n'));
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
  });
});
