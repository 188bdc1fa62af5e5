import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEndpoints } from '../../src/daemon/agent-endpoint.js';
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
