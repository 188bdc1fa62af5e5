import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { SessionRecord } from '../../src/core/session.js';
import { ROOT, until, type TestEnv } from './omni.js';

/**
 * The fast tier: the real daemon (dist/) with the scripted harness added, in a test's own
 * OMNI_HOME. Everything but the agent CLI is real: tmux, the agent socket, bin/omni-hook, the
 * policy service, the HTTP API and the `omni` CLI talking to it.
 */
const DAEMON = path.join(ROOT, 'test', 'helpers', 'scripted-daemon.mjs');

/** Start the scripted daemon (detached, like `omni daemon start`); resolves with its pid once it answers. */
export async function startScriptedDaemon(t: TestEnv): Promise<number> {
  fs.mkdirSync(path.join(t.omniHome, 'log'), { recursive: true, mode: 0o700 });
  const out = fs.openSync(path.join(t.omniHome, 'log', 'scripted-daemon.out'), 'a', 0o600);
  const child = spawn(process.execPath, [DAEMON], { detached: true, stdio: ['ignore', out, out], env: t.env, cwd: '/' });
  child.unref();
  fs.closeSync(out);
  const info = await until(() => api<{ pid: number }>(t, 'GET', '/v1/daemon').then((r) => r.status === 200 && r.body), 10_000, 'the scripted daemon to answer');
  return info.pid;
}

/** One JSON request over a Unix socket, as curl would make it: the status and the parsed reply. */
export function unixJson<T>(socketPath: string, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ socketPath, method, path: urlPath, headers: data ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
        } catch (err) {
          reject(new Error(`${res.statusCode}: ${text} (${(err as Error).message})`));
        }
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** One request to the daemon's control socket. */
export function api<T = Record<string, unknown>>(t: TestEnv, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: T }> {
  return unixJson<T>(path.join(t.omniHome, 'run', 'omni.sock'), method, urlPath, body);
}

/** POST JSON over a Unix socket (e.g. a session's agent socket); the parsed JSON reply. */
export async function socketJson<T>(socketPath: string, urlPath: string, body: unknown): Promise<T> {
  return (await unixJson<T>(socketPath, 'POST', urlPath, body)).body;
}

/** A new scripted session (POST /v1/sessions) with the test's environment. */
export async function createScripted(t: TestEnv, opts: { name: string; policies?: Array<{ ref: string; source?: string; text?: string }>; tags?: string[]; prompt?: string; env?: Record<string, string> }): Promise<SessionRecord> {
  const r = await api<{ session: SessionRecord; error?: { message: string } }>(t, 'POST', '/v1/sessions', { harness: 'scripted', cwd: t.work, env: t.env, ...opts });
  if (r.status !== 201) throw new Error(`create ${opts.name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.session;
}

export async function getSession(t: TestEnv, ref: string): Promise<SessionRecord> {
  return (await api<{ session: SessionRecord }>(t, 'GET', `/v1/sessions/${ref}`)).body.session;
}

/** `omni wait` without a node start: the endpoint it calls. */
export async function waitFor(t: TestEnv, ref: string, status: string, timeoutSec = 10): Promise<SessionRecord> {
  const r = await api<{ session: SessionRecord; error?: { message: string } }>(t, 'GET', `/v1/sessions/${ref}/wait?for=${status}&timeout=${timeoutSec}`);
  if (r.status !== 200) throw new Error(`wait ${ref} --for ${status}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.session;
}

/** `omni send` without a node start: the endpoint it calls (which checks the harness took it). */
export async function sendText(t: TestEnv, ref: string, text: string): Promise<{ verified: boolean }> {
  const r = await api<{ verified: boolean }>(t, 'POST', `/v1/sessions/${ref}/input`, { text });
  if (r.status !== 200) throw new Error(`send ${ref}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Until the session has `status` (and, if given, that reason). */
export function untilStatus(t: TestEnv, ref: string, status: string, timeoutMs = 10_000): Promise<SessionRecord> {
  return until(async () => {
    const s = await getSession(t, ref);
    return s.status === status && s;
  }, timeoutMs, `${ref} to be ${status}`);
}

/**
 * Until the harness shows its idle prompt again: it draws it after its Stop hook has returned,
 * a moment after the session is already idle, so no hook of the turn is still in flight.
 */
export function untilPrompt(t: TestEnv, rec: SessionRecord): Promise<string> {
  return until(async () => {
    const text = await pane(t, rec);
    return /\nscripted>$/.test(text) && text;
  }, 5_000, `${rec.name} to show its prompt`);
}

/** What the scripted harness shows in its pane. */
export async function pane(t: TestEnv, rec: SessionRecord): Promise<string> {
  return String((await t.tmux(['capture-pane', '-p', '-t', rec.paneId ?? `=${rec.tmuxSession}:`])).stdout).trimEnd();
}
