import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { OmniEvent } from '../../src/core/events.js';
import type { TestEnv } from '../helpers/omni.js';
import { strictEvents } from './fault-kit.js';

/**
 * What the fault tests share: one gate hook call as a raw HTTP POST on a session's agent socket
 * (the "raw HTTP" variant of bench/hook-latency.mjs, the request docs/PROTOCOL.md describes,
 * with the scripted harness's PreTool payload), latency figures, and reading a session's log
 * straight from its file.
 */

export const agentSocket = (t: TestEnv, sessionId: string): string => path.join(t.omniHome, 'run', 'agent', sessionId, 'hook.sock');

export interface Reply {
  status: number;
  body: string;
}

/** One POST of a PreTool gate event on a fresh connection; rejects on any connection failure. */
export function postHook(sock: string, payload: Record<string, unknown>, event = 'PreTool'): Promise<Reply> {
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: sock, path: `/hook/${event}?mode=gate`, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The scripted harness's PreTool payload for one shell command (test/fixtures/scripted/harness.mjs). */
export const toolPayload = (callId: string, command: string, cwd: string): Record<string, unknown> => ({ cwd, callId, tool: 'shell', input: { command } });

/**
 * A gate call made by bin/omni-hook's rules (docs/PROTOCOL.md, "When there is no good
 * answer"): on a failed attempt (no socket, refused, closed without an answer, empty body) it
 * waits for `daemonStart()` — what `omni daemon start` is to the real client — then retries
 * after pauses of 0.2, 0.5 and 1 s, and after that fails closed (throws).
 */
export async function gateCall(sock: string, payload: Record<string, unknown>, daemonStart: () => Promise<void>): Promise<Reply & { attempts: number }> {
  const once = () => postHook(sock, payload).then((r) => (r.body ? r : Promise.reject(new Error('empty reply'))));
  try {
    return { ...(await once()), attempts: 1 };
  } catch {
    /* the daemon may be down: start it, then retry */
  }
  await daemonStart();
  let last: unknown;
  const pauses = [0.2, 0.5, 1];
  for (let i = 0; i <= pauses.length; i++) {
    try {
      return { ...(await once()), attempts: i + 2 };
    } catch (err) {
      last = err;
      if (i < pauses.length) await new Promise((r) => setTimeout(r, pauses[i]! * 1000));
    }
  }
  throw new Error(`blocked: the daemon could not be reached (${(last as Error).message})`);
}

export interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const pct = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : NaN);
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r1(pct(50)), p99: r1(pct(99)), max: r1(s.length ? s[s.length - 1]! : NaN) };
}

export const fmt = (label: string, s: Stats): string => `${label.padEnd(28)} n=${String(s.n).padStart(6)}  p50 ${s.p50.toFixed(1).padStart(7)} ms  p99 ${s.p99.toFixed(1).padStart(7)} ms  max ${s.max.toFixed(1).padStart(7)} ms`;

/** Every line of the session's log parsed (throws on a torn or unparseable line). */
export function readLog(t: TestEnv, sessionId: string): OmniEvent[] {
  return strictEvents(path.join(t.omniHome, 'state', 'sessions', sessionId, 'events.ndjson'));
}

/** The open file descriptors of a process. */
export const fdCount = (pid: number): number => fs.readdirSync(`/proc/${pid}/fd`).length;

/** CPU time (user + system) a process has used so far, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
