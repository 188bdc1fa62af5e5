import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEndpoints } from '../../src/daemon/agent-endpoint.js';
import { OMNI_JS, ROOT } from '../helpers/omni.js';

const SCRIPT = path.join(ROOT, 'bin', 'omni-statusline');
const PAYLOAD = JSON.stringify({ session_id: 'abc', model: { id: 'claude-sonnet-4-5-20250929' }, cost: { total_cost_usd: 0.1305 } });

/** The real status line client (sh + curl) against a real per-session endpoint. */
describe('bin/omni-statusline', () => {
  let dir: string;
  let endpoints: AgentEndpoints;
  let sock: string;
  const seen: Array<{ event: string; payload: Record<string, unknown> }> = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omsl-'));
    endpoints = new AgentEndpoints(dir, async (_id, event, payload) => {
      seen.push({ event, payload });
      return { stdout: 'never printed' };
    });
    sock = await endpoints.open('s_test');
  });
  afterAll(async () => {
    await endpoints.closeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (socket: string, user?: string, env: Record<string, string> = {}) =>
    execa('sh', [SCRIPT, socket, process.execPath, OMNI_JS, ...(user === undefined ? [] : [user])], {
      input: PAYLOAD,
      reject: false,
      cwd: dir,
      env: { OMNI_HOME: path.join(dir, 'home'), ...env },
    });

  it("forwards the payload as the observed StatusLine event, then prints the user's status line", async () => {
    seen.length = 0;
    // The user's command gets the same JSON, runs in Claude's cwd, and its exit code is kept.
    const r = await run(sock, `printf 'me %s in %s' "$(cat | grep -o '"total_cost_usd":[0-9.]*')" "$(basename "$PWD")"; exit 3`);
    expect(r.stdout).toBe(`me "total_cost_usd":0.1305 in ${path.basename(dir)}`);
    expect(r.exitCode).toBe(3);
    expect(seen).toEqual([{ event: 'StatusLine', payload: JSON.parse(PAYLOAD) }]);
  });

  it('prints nothing of its own: without a user status line the output is empty', async () => {
    seen.length = 0;
    const r = await run(sock);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    expect(seen.map((s) => s.event)).toEqual(['StatusLine']);
  });

  it("still prints the user's line, at once, when the daemon cannot be reached", async () => {
    const t = Date.now();
    const r = await run(path.join(dir, 'nobody.sock'), 'echo "$((6 * 7)) · my line"');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('42 · my line');
    expect(r.stderr).toBe('');
    expect(Date.now() - t).toBeLessThan(1000);
    // A socket file nobody listens on (a daemon that died) is no different.
    const stale = path.join(dir, 'stale.sock');
    const holder = await execa(process.execPath, ['-e', `const s=require('net').createServer().listen(${JSON.stringify(stale)},()=>process.exit(0))`]);
    expect(holder.exitCode).toBe(0);
    const r2 = await run(stale, 'echo mine');
    expect(r2.stdout).toBe('mine');
  });

  it('forwards through the Node fallback when curl is missing', async () => {
    seen.length = 0;
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    // A PATH with sh and the user's tools but no curl.
    for (const tool of ['sh', 'cat', 'grep', 'echo']) {
      const real = ['/bin', '/usr/bin'].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
      if (real && !fs.existsSync(path.join(bin, tool))) fs.symlinkSync(real, path.join(bin, tool));
    }
    const r = await run(sock, 'echo fallback', { PATH: bin });
    expect(r.stdout).toBe('fallback');
    expect(seen.map((s) => s.event)).toEqual(['StatusLine']);
  });
});
