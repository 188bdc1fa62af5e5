import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { piExtensionSource } from '../../src/harnesses/pi/extension.js';
import {
  INTERRUPTED,
  parseReply,
  registerOmniExtension,
  UNREACHABLE,
  UNREADABLE,
  type OmniPiWiring,
  type PiApi,
} from '../../src/harnesses/pi/extension-runtime.js';

/** A stand-in for Pi's ExtensionAPI: collects handlers so a test can fire events like Pi does. */
class FakePi implements PiApi {
  handlers = new Map<string, Array<(e: unknown, ctx: unknown) => unknown>>();
  on(event: string, handler: (e: unknown, ctx: unknown) => unknown): void {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
  }
  async fire(event: string, e: unknown, ctx: unknown = fakeCtx()): Promise<unknown> {
    let out: unknown;
    for (const h of this.handlers.get(event) ?? []) out = await h(e, ctx);
    return out;
  }
}

const notes: string[] = [];
function fakeCtx(signal?: AbortSignal) {
  return {
    cwd: '/w',
    signal,
    model: { provider: 'fake', id: 'fake-model' },
    sessionManager: { getSessionId: () => 'pi-sid', getSessionFile: () => '/s/2026_pi-sid.jsonl' },
    ui: { notify: (m: string) => notes.push(m) },
  };
}

interface Received {
  event: string;
  mode: string | null;
  body: Record<string, unknown>;
}

/** The daemon's agent socket, scripted per event. */
class FakeDaemon {
  received: Received[] = [];
  answer: (r: Received) => string | Promise<string> = () => '0\n';
  private server?: http.Server;
  constructor(readonly socket: string) {}
  async start(): Promise<void> {
    const server = http.createServer(async (req, res) => {
      let body = '';
      for await (const c of req) body += c;
      const url = new URL(req.url ?? '/', 'http://x');
      const r: Received = { event: url.pathname.split('/').pop()!, mode: url.searchParams.get('mode'), body: JSON.parse(body) };
      this.received.push(r);
      const reply = await this.answer(r);
      if (reply === 'HANGUP') return res.destroy();
      res.end(reply);
    });
    await new Promise<void>((resolve) => server.listen(this.socket, resolve));
    this.server = server;
  }
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

describe('the omni extension inside Pi (runtime against a fake agent socket)', () => {
  let dir: string;
  let wiring: OmniPiWiring;
  let daemon: FakeDaemon;
  let pi: FakePi;
  let daemonStarts: number;
  const fast = { gateDelays: [10, 10, 10], observeDelays: [10] };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pix-'));
    wiring = { socket: path.join(dir, 'a.sock'), node: process.execPath, omniJs: '/none/omni.js', omniHome: dir, stateFile: path.join(dir, 'pi-session.json') };
    daemon = new FakeDaemon(wiring.socket);
    await daemon.start();
    pi = new FakePi();
    daemonStarts = 0;
    notes.length = 0;
  });

  afterEach(async () => {
    await daemon.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const register = (extra: Parameters<typeof registerOmniExtension>[2] = {}) =>
    registerOmniExtension(pi, wiring, { ...fast, startDaemon: async () => void daemonStarts++, ...extra });

  it('a tool call the daemon lets through runs (no block); the gate carries Pi’s ids', async () => {
    register();
    const out = await pi.fire('tool_call', { toolName: 'bash', toolCallId: 'toolu_1', input: { command: 'ls' } });
    expect(out).toBeUndefined();
    expect(daemon.received).toEqual([
      { event: 'ToolCall', mode: 'gate', body: { sessionId: 'pi-sid', sessionFile: '/s/2026_pi-sid.jsonl', toolCallId: 'toolu_1', toolName: 'bash', input: { command: 'ls' } } },
    ]);
  });

  it('a deny blocks the tool call with the daemon’s reason (what the model is told)', async () => {
    register();
    daemon.answer = () => '2\nCONF-DENY-REASON touching is not allowed\n';
    expect(await pi.fire('tool_call', { toolName: 'bash', toolCallId: 't', input: {} })).toEqual({ block: true, reason: 'CONF-DENY-REASON touching is not allowed' });
  });

  it('a held decision holds the tool call until the daemon answers', async () => {
    register();
    let release!: () => void;
    daemon.answer = () => new Promise<string>((r) => (release = () => r('0\n')));
    let settled = false;
    const p = pi.fire('tool_call', { toolName: 'bash', toolCallId: 't', input: {} }).then((v) => ((settled = true), v));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    release();
    expect(await p).toBeUndefined();
  });

  it('fails closed: daemon unreachable → starts it once, retries, then blocks with a clear reason', async () => {
    register();
    await daemon.stop();
    const out = await pi.fire('tool_call', { toolName: 'bash', toolCallId: 't', input: {} });
    expect(out).toEqual({ block: true, reason: UNREACHABLE(wiring.socket) });
    expect(daemonStarts).toBe(1);
  });

  it('a daemon that comes back after the start is used (the gate then follows its answer)', async () => {
    await daemon.stop();
    register({ startDaemon: async () => void (daemonStarts++, await daemon.start()) });
    const out = await pi.fire('tool_call', { toolName: 'bash', toolCallId: 't', input: {} });
    expect(out).toBeUndefined();
    expect(daemonStarts).toBe(1);
    expect(daemon.received.map((r) => r.event)).toEqual(['ToolCall']);
  });

  it('a daemon dying mid-decision is retried like a refused connection', async () => {
    register();
    let n = 0;
    daemon.answer = () => (n++ === 0 ? 'HANGUP' : '2\nno');
    expect(await pi.fire('tool_call', { toolName: 'bash', toolCallId: 't', input: {} })).toEqual({ block: true, reason: 'no' });
    expect(daemonStarts).toBe(1);
    expect(daemon.received).toHaveLength(2);
  });

  it('an unreadable answer blocks a gate', async () => {
    register();
    daemon.answer = () => 'garbage';
    expect(await pi.fire('tool_call', { toolName: 'bash', toolCallId: 't', input: {} })).toEqual({ block: true, reason: UNREADABLE });
  });

  it('an interrupt (Esc aborts ctx.signal) ends a held decision at once, blocked', async () => {
    register();
    daemon.answer = () => new Promise<string>(() => {});
    const ac = new AbortController();
    const p = pi.fire('tool_call', { toolName: 'bash', toolCallId: 't', input: {} }, fakeCtx(ac.signal));
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    ac.abort();
    expect(await p).toEqual({ block: true, reason: INTERRUPTED });
    expect(Date.now() - t0).toBeLessThan(500);
    expect(daemonStarts).toBe(0);
  });

  it('observed events fail open and never start the daemon', async () => {
    const client = register();
    await daemon.stop();
    await pi.fire('message_end', { message: { role: 'assistant', content: [{ type: 'text', text: 'hi' }], usage: {} } });
    await pi.fire('agent_end', { messages: [] });
    await client.drain(2000);
    expect(daemonStarts).toBe(0);
  });

  it('events reach the daemon one at a time in Pi’s order (the reply lands before the end of the run)', async () => {
    const client = register();
    daemon.answer = async (r) => {
      if (r.event === 'MessageEnd') await new Promise((res) => setTimeout(res, 50));
      return '0\n';
    };
    await pi.fire('session_start', { reason: 'startup' });
    await pi.fire('input', { text: 'hello', source: 'interactive' });
    await pi.fire('message_start', { message: { role: 'user' } });
    await pi.fire('message_end', { message: { role: 'user', content: 'hello' } });
    await pi.fire('message_end', {
      message: { role: 'assistant', content: [{ type: 'thinking', thinking: 'secret' }, { type: 'text', text: 'hi there' }, { type: 'toolCall', id: 'c', name: 'bash', arguments: { command: 'x' } }], model: 'm', usage: { input: 1 }, stopReason: 'toolUse', responseId: 'r1', timestamp: 5 },
    });
    await pi.fire('agent_end', { messages: [{ role: 'user' }, { role: 'assistant', stopReason: 'stop' }] });
    await client.drain(2000);
    expect(daemon.received.map((r) => `${r.event}?${r.mode}`)).toEqual(['SessionStart?observe', 'Prompt?gate', 'MessageEnd?observe', 'AgentEnd?observe']);
    const msg = daemon.received[2]!.body.message as Record<string, unknown>;
    expect(msg.content).toEqual([{ type: 'thinking' }, { type: 'text', text: 'hi there' }, { type: 'toolCall', id: 'c', name: 'bash' }]);
    expect(msg).toMatchObject({ model: 'm', stopReason: 'toolUse', responseId: 'r1', timestamp: 5, usage: { input: 1 } });
    expect(daemon.received[1]!.body).toMatchObject({ text: 'hello', source: 'interactive', images: 0, promptId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(daemon.received[3]!.body).toMatchObject({ stopReason: 'stop', messages: 2 });
  });

  it('session_start records Pi’s session id and file for resume, and the model', async () => {
    const client = register();
    await pi.fire('session_start', { reason: 'startup' });
    await client.drain(2000);
    expect(JSON.parse(fs.readFileSync(wiring.stateFile, 'utf8'))).toMatchObject({ sessionId: 'pi-sid', sessionFile: '/s/2026_pi-sid.jsonl', cwd: '/w' });
    expect(daemon.received[0]!.body).toMatchObject({ reason: 'startup', model: 'fake/fake-model' });
  });

  it('no model (Pi says unknown/unknown) is reported as null', async () => {
    const client = register();
    await pi.fire('session_start', { reason: 'startup' }, { ...fakeCtx(), model: { provider: 'unknown', id: 'unknown' } });
    await client.drain(2000);
    expect(daemon.received[0]!.body.model).toBeNull();
  });

  it('a denied prompt is handled (never reaches the model) and the reason is shown', async () => {
    register();
    daemon.answer = (r) => (r.event === 'Prompt' ? '2\nno prompts about that' : '0\n');
    expect(await pi.fire('input', { text: 'x', source: 'interactive' })).toEqual({ action: 'handled' });
    expect(notes).toEqual(['no prompts about that']);
    daemon.answer = () => '0\n';
    expect(await pi.fire('input', { text: 'y', source: 'interactive' })).toBeUndefined();
  });

  it('a tool_result deny adds the reason to what the model reads; no opinion leaves it alone', async () => {
    register();
    const e = { toolName: 'bash', toolCallId: 't', input: { command: 'echo' }, content: [{ type: 'text', text: 'out' }], isError: false };
    expect(await pi.fire('tool_result', e)).toBeUndefined();
    daemon.answer = () => '2\nomni policy: stop here';
    expect(await pi.fire('tool_result', e)).toEqual({ content: [{ type: 'text', text: 'out' }, { type: 'text', text: '\nomni policy: stop here' }], isError: false });
    expect(daemon.received[0]).toMatchObject({ event: 'ToolResult', mode: 'observe', body: { content: [{ type: 'text', text: 'out' }], isError: false } });
  });

  it('session_shutdown reports SessionEnd and waits for what is queued', async () => {
    register();
    await pi.fire('message_end', { message: { role: 'assistant', content: [], usage: {} } });
    await pi.fire('session_shutdown', { reason: 'quit' });
    expect(daemon.received.map((r) => r.event)).toEqual(['MessageEnd', 'SessionEnd']);
  });

  it('the generated file loads as an extension and wires the same handlers', async () => {
    const runtime = path.resolve('src/harnesses/pi/extension-runtime.ts');
    const file = path.join(dir, 'ext.mjs');
    fs.writeFileSync(file, piExtensionSource(wiring, 's_x', runtime));
    const mod = (await import(file)) as { default: (pi: PiApi) => void };
    mod.default(pi);
    expect([...pi.handlers.keys()].sort()).toEqual(['agent_end', 'input', 'message_end', 'model_select', 'session_shutdown', 'session_start', 'tool_call', 'tool_result']);
  });
});

describe('the daemon reply protocol', () => {
  it('parses the reply protocol', () => {
    expect(parseReply('0\n')).toEqual({ code: 0, text: '' });
    expect(parseReply('2\nwhy\nmore')).toEqual({ code: 2, text: 'why\nmore' });
    expect(parseReply('0')).toEqual({ code: 0, text: '' });
    expect(parseReply('')).toBeUndefined();
    expect(parseReply('<html>')).toBeUndefined();
  });
});
