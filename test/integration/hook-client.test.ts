import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverHook, observeTimeoutMs, renderAnswer } from '../../src/core/agent-protocol.js';
import { AgentEndpoints } from '../../src/daemon/agent-endpoint.js';
import { OmniPiClient } from '../../src/harnesses/pi/extension-runtime.js';
import type { HookReply } from '../../src/harnesses/types.js';
import { OMNI_JS, ROOT } from '../helpers/omni.js';

const HOOK = path.join(ROOT, 'bin', 'omni-hook');

/** The real hook client (sh + curl) against a real per-session endpoint. */
describe('bin/omni-hook', () => {
  let dir: string;
  let endpoints: AgentEndpoints;
  let sock: string;
  const seen: Array<{ event: string; payload: Record<string, unknown> }> = [];
  let next: (event: string) => HookReply | Promise<HookReply> = () => ({});

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omh-'));
    endpoints = new AgentEndpoints(dir, async (_id, event, payload) => {
      seen.push({ event, payload });
      return next(event);
    });
    sock = await endpoints.open('s_test');
  });
  afterAll(async () => {
    await endpoints.closeAll();
    // The fail-closed test may have started a daemon in this OMNI_HOME.
    await execa(process.execPath, [OMNI_JS, 'daemon', 'stop'], { env: { OMNI_HOME: path.join(dir, 'home') }, reject: false });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (socket: string, event: string, mode: string, input: string) =>
    execa('sh', [HOOK, socket, event, mode, process.execPath, OMNI_JS], {
      input,
      reject: false,
      env: { OMNI_HOME: path.join(dir, 'home') },
    });

  it('makes the per-session socket private', () => {
    expect(fs.statSync(sock).mode & 0o777).toBe(0o600);
  });

  it('forwards the payload and prints the answer on stdout with exit 0', async () => {
    next = () => ({ stdout: '{"hookSpecificOutput":{"permissionDecision":"allow"}}' });
    const r = await run(sock, 'PreToolUse', 'gate', JSON.stringify({ tool_name: 'Bash', tool_input: { command: "echo 'hi'\nls" } }));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('{"hookSpecificOutput":{"permissionDecision":"allow"}}');
    expect(seen.at(-1)).toEqual({ event: 'PreToolUse', payload: { tool_name: 'Bash', tool_input: { command: "echo 'hi'\nls" } } });
  });

  it('relays a block as exit 2 with the reason on stderr', async () => {
    next = () => ({ exitCode: 2, stderr: 'no pushing today' });
    const r = await run(sock, 'UserPromptSubmit', 'gate', '{"prompt":"x"}');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('no pushing today');
    expect(r.stdout).toBe('');
  });

  it('fails closed when the daemon throws on a gate event, open on an observed one', async () => {
    next = () => {
      throw new Error('boom');
    };
    const gate = await run(sock, 'PreToolUse', 'gate', '{}');
    expect(gate.exitCode).toBe(2);
    expect(gate.stderr).toMatch(/blocked.*boom/);
    const observe = await run(sock, 'PostToolUse', 'observe', '{}');
    expect(observe.exitCode).toBe(0);
    expect(observe.stderr).toBe('');
  });

  it('blocks a gate event when no daemon can be reached, and lets an observed one pass', async () => {
    const missing = path.join(dir, 'nobody.sock');
    const gate = await run(missing, 'PreToolUse', 'gate', '{"tool_name":"Bash"}');
    expect(gate.exitCode).toBe(2);
    expect(gate.stderr).toMatch(/blocked because the omni daemon could not be reached/);
    const observe = await run(missing, 'Stop', 'observe', '{}');
    expect(observe.exitCode).toBe(0);
  }, 30_000);

  it('handles large payloads (1 MB tool output)', async () => {
    next = () => ({});
    const big = JSON.stringify({ tool_response: { stdout: 'x'.repeat(1024 * 1024) } });
    const r = await run(sock, 'PostToolUse', 'observe', big);
    expect(r.exitCode).toBe(0);
    expect((seen.at(-1)!.payload.tool_response as { stdout: string }).stdout).toHaveLength(1024 * 1024);
  });

  it('uses the node fallback when curl is not on PATH', async () => {
    next = () => ({ stdout: 'via-node' });
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    for (const tool of ['cat', 'sleep']) fs.symlinkSync(`/bin/${tool}`, path.join(bin, tool));
    const r = await execa('/bin/sh', [HOOK, sock, 'Stop', 'observe', process.execPath, OMNI_JS], {
      input: '{}',
      reject: false,
      env: { PATH: bin, OMNI_HOME: path.join(dir, 'home') },
      extendEnv: false,
    });
    expect(r.stdout).toBe('via-node');
    expect(r.exitCode).toBe(0);
  });
});

// ------------------------------------------------------------------ the shared case table

interface ProtocolCase {
  name: string;
  event: string;
  mode: 'gate' | 'observe';
  env?: Record<string, string>;
  daemon: { reply?: string; status?: number; hangup?: boolean; never?: boolean; delayMs?: number; down?: boolean };
  expect: { code: number; stdout: string; stderr: string; requests: number; starts: number };
}
const TABLE = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'protocol', 'cases.json'), 'utf8')) as { cases: ProtocolCase[] };

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  /** Attempts to start the daemon; null where a client's start cannot be counted. */
  starts: number | null;
}

/** The agent socket as a case scripts it, counting the POSTs that reach it. */
async function fakeAgentSocket(dir: string, c: ProtocolCase): Promise<{ sock: string; requests: () => number; close: () => Promise<void> }> {
  const sock = path.join(dir, 'hook.sock');
  let requests = 0;
  if (c.daemon.down) return { sock, requests: () => requests, close: async () => {} };
  const server = http.createServer(async (req, res) => {
    for await (const _ of req); // eslint-disable-line @typescript-eslint/no-unused-vars
    requests++;
    const d = c.daemon;
    if (d.hangup) return void res.destroy();
    if (d.never) return;
    if (d.delayMs) await new Promise((r) => setTimeout(r, d.delayMs));
    res.writeHead(d.status ?? 200, { 'content-type': 'text/plain' });
    res.end(d.reply ?? '');
  });
  await new Promise<void>((r) => server.listen(sock, r));
  return {
    sock,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const PAYLOAD = '{"tool_name":"Bash","tool_input":{"command":"ls"}}';
const gateOrObserve = (c: ProtocolCase) => c.mode;

const runners: Array<{ name: string; concurrent: boolean; run: (c: ProtocolCase, sock: string, dir: string) => Promise<Outcome> }> = [
  {
    // The hot path. A stand-in `node` records the `omni daemon start` the client runs.
    name: 'bin/omni-hook (sh + curl)',
    concurrent: true,
    run: async (c, sock, dir) => {
      const starts = path.join(dir, 'starts.log');
      const fakeNode = path.join(dir, 'node');
      fs.writeFileSync(fakeNode, `#!/bin/sh\necho "$*" >> '${starts}'\n`, { mode: 0o755 });
      const r = await execa('sh', [HOOK, sock, c.event, gateOrObserve(c), fakeNode, OMNI_JS], { input: PAYLOAD, reject: false, env: { OMNI_HOME: path.join(dir, 'home'), OMNI_SANDBOXED: '', ...c.env } });
      const lines = fs.existsSync(starts) ? fs.readFileSync(starts, 'utf8').trim().split('\n') : [];
      for (const l of lines) expect(l).toBe(`${OMNI_JS} daemon start --quiet`);
      return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), starts: lines.length };
    },
  },
  {
    // Without curl the sh client hands the whole job to `omni hook-post` (core/agent-protocol.ts).
    // Its OMNI_HOME cannot hold a daemon, so its start attempt fails at once (and is not counted).
    name: 'bin/omni-hook without curl (omni hook-post)',
    concurrent: true,
    run: async (c, sock, dir) => {
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      const r = await execa('/bin/sh', [HOOK, sock, c.event, gateOrObserve(c), process.execPath, OMNI_JS], {
        input: PAYLOAD,
        reject: false,
        env: { PATH: bin, OMNI_HOME: '/dev/null/omni', ...c.env },
        extendEnv: false,
      });
      return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), starts: null };
    },
  },
  {
    name: 'core/agent-protocol.ts deliverHook',
    concurrent: true,
    run: async (c, sock) => {
      let starts = 0;
      const a = await deliverHook(sock, c.event, c.mode, PAYLOAD, {
        timeoutMs: c.mode === 'observe' ? observeTimeoutMs(c.env ?? {}) : undefined,
        sandboxed: !!c.env?.OMNI_SANDBOXED,
        startDaemon: async () => void starts++,
      });
      return { ...renderAnswer(a), starts };
    },
  },
  {
    // Pi's client reads OMNI_SANDBOXED from its process: these cases run one at a time.
    name: "Pi's extension client",
    concurrent: false,
    run: async (c, sock, dir) => {
      let starts = 0;
      const client = new OmniPiClient(
        { socket: sock, node: process.execPath, omniJs: OMNI_JS, omniHome: dir, stateFile: path.join(dir, 'state.json') },
        { startDaemon: async () => void starts++, observeTimeoutMs: observeTimeoutMs(c.env ?? {}) },
      );
      const saved = process.env.OMNI_SANDBOXED;
      if (c.env?.OMNI_SANDBOXED) process.env.OMNI_SANDBOXED = c.env.OMNI_SANDBOXED;
      else delete process.env.OMNI_SANDBOXED;
      try {
        return { ...renderAnswer(await client.send(c.event, c.mode, JSON.parse(PAYLOAD))), starts };
      } finally {
        if (saved === undefined) delete process.env.OMNI_SANDBOXED;
        else process.env.OMNI_SANDBOXED = saved;
      }
    },
  },
];

for (const runner of runners) {
  (runner.concurrent ? describe.concurrent : describe)(`the protocol's case table: ${runner.name}`, () => {
    for (const c of TABLE.cases) {
      it(c.name, async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omp-'));
        const daemon = await fakeAgentSocket(dir, c);
        try {
          const out = await runner.run(c, daemon.sock, dir);
          const strip = (s: string) => s.replace(/\n$/, '');
          const want = (s: string) => s.replaceAll('{socket}', daemon.sock);
          expect({ code: out.code, stdout: strip(out.stdout), stderr: strip(out.stderr), requests: daemon.requests() }).toEqual({
            code: c.expect.code,
            stdout: want(c.expect.stdout),
            stderr: want(c.expect.stderr),
            requests: c.expect.requests,
          });
          if (out.starts !== null) expect(out.starts, 'daemon starts').toBe(c.expect.starts);
        } finally {
          await daemon.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }, 30_000);
    }
  });
}
