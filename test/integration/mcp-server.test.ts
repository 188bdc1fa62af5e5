import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { MCP_TOOLS } from '../../src/mcp/tools.js';
import { parseEvents } from '../helpers/events.js';
import { makeTestEnv, OMNI_JS, until, type TestEnv } from '../helpers/omni.js';
import { api, startScriptedDaemon, untilStatus } from '../helpers/scripted.js';

/**
 * `omni mcp` as an MCP client sees it: the official SDK's Client over stdio, running
 * `node bin/omni.js mcp` (dist/). With `--agent-socket` it forwards to a stub agent socket that
 * records what arrived; without, to a real (scripted) daemon's control socket as the user.
 */

interface Stub {
  socket: string;
  seen: Array<{ path: string; body: unknown }>;
  close(): Promise<void>;
}

/** An agent socket that answers POST /mcp/call with `reply(body)` after `delayMs`. */
async function stubAgentSocket(dir: string, reply: (body: { tool: string; args: unknown }) => { status: number; body: unknown }, delayMs = 0): Promise<Stub> {
  const socket = path.join(dir, 'hook.sock');
  const seen: Stub['seen'] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      const body = JSON.parse(text) as { tool: string; args: unknown };
      seen.push({ path: req.url ?? '', body });
      const r = reply(body);
      setTimeout(() => {
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(r.body));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { socket, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function connect(t: TestEnv, args: string[] = []): Promise<Client> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [OMNI_JS, 'mcp', ...args], env: t.env, cwd: t.work, stderr: 'pipe' });
  const client = new Client({ name: 'omni-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

const text = (r: Awaited<ReturnType<Client['callTool']>>) => (r.content as Array<{ type: string; text: string }>)[0]!.text;

describe('omni mcp (MCP server over stdio)', () => {
  let t: TestEnv;
  let client: Client | undefined;
  beforeEach(() => {
    t = makeTestEnv();
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await t.cleanup();
  });

  it('lists the 8 tools with their schemas, as server `omni`', async () => {
    client = await connect(t, ['--agent-socket', path.join(t.dir, 'none.sock')]);
    expect(client.getServerVersion()).toMatchObject({ name: 'omni', version: JSON.parse(fs.readFileSync(path.join(OMNI_JS, '..', '..', 'package.json'), 'utf8')).version });
    const { tools } = await client.listTools();
    expect(tools.map((x) => x.name)).toEqual(['omni_agents', 'omni_spawn', 'omni_send', 'omni_wait', 'omni_read', 'omni_diff', 'omni_stop', 'omni_sessions']);
    for (const def of MCP_TOOLS) {
      const listed = tools.find((x) => x.name === def.name)!;
      expect(listed.inputSchema).toEqual(def.inputSchema);
      expect(listed.description).toBe(def.description);
    }
  });

  it('forwards a call to the agent socket (POST /mcp/call {tool, args}): a result is JSON text, a refusal an error result', async () => {
    const stub = await stubAgentSocket(t.dir, (b) =>
      b.tool === 'omni_spawn'
        ? { status: 200, body: { ok: false, error: { code: 'denied', message: 'spawn_bounds: at most 2 children' } } }
        : { status: 200, body: { ok: true, result: { agents: [{ name: 'coder', harness: 'codex', worktree: true }], anyHarness: false, limits: {} } } },
    // Longer than nothing: the server waits for the daemon, however long (omni_wait).
    1500);
    try {
      client = await connect(t, ['--agent-socket', stub.socket]);
      const ok = await client.callTool({ name: 'omni_agents', arguments: {} });
      expect(ok.isError).toBeFalsy();
      expect(JSON.parse(text(ok))).toEqual({ agents: [{ name: 'coder', harness: 'codex', worktree: true }], anyHarness: false, limits: {} });
      const denied = await client.callTool({ name: 'omni_spawn', arguments: { agent: 'coder', prompt: 'fix it' } });
      expect(denied.isError).toBe(true);
      expect(text(denied)).toBe('spawn_bounds: at most 2 children (denied)');
      expect(stub.seen).toEqual([
        { path: '/mcp/call', body: { tool: 'omni_agents', args: {} } },
        { path: '/mcp/call', body: { tool: 'omni_spawn', args: { agent: 'coder', prompt: 'fix it' } } },
      ]);
      const unknown = await client.callTool({ name: 'omni_nope', arguments: {} });
      expect(unknown.isError).toBe(true);
      expect(stub.seen).toHaveLength(2);
    } finally {
      await stub.close();
    }
  });

  it('exits once its client goes, even with a call still waiting on the daemon', async () => {
    const stub = await stubAgentSocket(t.dir, () => ({ status: 200, body: { ok: true, result: {} } }), 600_000);
    try {
      const child = spawn(process.execPath, [OMNI_JS, 'mcp', '--agent-socket', stub.socket], { env: t.env, stdio: ['pipe', 'pipe', 'inherit'] });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const send = (m: unknown) => child.stdin.write(JSON.stringify(m) + '\n');
      send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'omni_wait', arguments: { sessions: ['x'], timeout_s: 600 } } });
      await until(() => stub.seen.length === 1, 10_000, 'the call to reach the agent socket');
      child.stdin.end();
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 5000))]);
      if (code === 'still running') child.kill('SIGKILL');
      expect(code).toBe(0);
    } finally {
      await stub.close();
    }
  });

  it('a non-200 answer from the agent socket is an error result with its message', async () => {
    const stub = await stubAgentSocket(t.dir, () => ({ status: 404, body: { error: { code: 'not_found', message: 'no such route' } } }));
    try {
      client = await connect(t, ['--agent-socket', stub.socket]);
      const r = await client.callTool({ name: 'omni_sessions', arguments: {} });
      expect(r.isError).toBe(true);
      expect(text(r)).toBe('no such route (not_found)');
    } finally {
      await stub.close();
    }
  });

  it('outside any session: lists sessions, spawns a scripted session ad hoc and sends it text, through the control socket', async () => {
    await startScriptedDaemon(t);
    client = await connect(t);
    const spawned = await client.callTool({ name: 'omni_spawn', arguments: { harness: 'scripted', prompt: 'first task', name: 'mcp-child' } });
    expect(spawned.isError, text(spawned)).toBeFalsy();
    const child = JSON.parse(text(spawned)) as { session: string; name: string; harness: string };
    expect(child).toMatchObject({ name: 'mcp-child', harness: 'scripted' });
    // Idle comes first at start-up, before the spawn's prompt is typed: wait for that turn.
    const userTexts = async () =>
      parseEvents((await t.omni(['events', child.session, '--json'])).stdout)
        .filter((e) => e.type === 'message.user')
        .map((e) => (e.data as { text?: string }).text);
    await until(async () => (await userTexts()).includes('first task'), 20_000, 'the first task taken');
    await untilStatus(t, child.session, 'idle', 20_000);
    const listed = JSON.parse(text(await client.callTool({ name: 'omni_sessions', arguments: {} }))) as { sessions: Array<{ session: string; name: string; harness: string }> };
    expect(listed.sessions.map((s) => s.session)).toContain(child.session);
    const sent = await client.callTool({ name: 'omni_send', arguments: { session: 'mcp-child', text: 'second task' } });
    expect(sent.isError, text(sent)).toBeFalsy();
    expect(JSON.parse(text(sent))).toMatchObject({ session: child.session, accepted: true });
    // The text reached the harness: the scripted harness logs each prompt as message.user.
    await until(async () => (await userTexts()).includes('second task'), 20_000, 'the sent text in the child log');
    const rec = (await api<{ session: SessionRecord }>(t, 'GET', `/v1/sessions/${child.session}`)).body.session;
    expect(rec.parent).toBeUndefined();
  });
});
