import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { claudeAdapter } from '../../src/harnesses/claude/index.js';
import { codexAdapter } from '../../src/harnesses/codex/index.js';
import { piAdapter } from '../../src/harnesses/pi/index.js';
import { piToolKind } from '../../src/harnesses/pi/tools.js';
import { callOmniTool, registerOmniTools, type PiToolApi } from '../../src/harnesses/pi/extension-tools.js';
import type { LaunchContext } from '../../src/harnesses/types.js';
import { MCP_TOOLS } from '../../src/mcp/tools.js';

/** How each adapter wires omni's MCP server into a session with `spawn: true` (LaunchContext.mcp), and only then. */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const MCP: NonNullable<LaunchContext['mcp']> = { command: '/usr/bin/node', args: ['/opt/omni/bin/omni.js', 'mcp', '--agent-socket', '/o/run/agent/s_x/hook.sock'], env: { OMNI_HOME: '/o' } };

function ctx(mcp: boolean, env: Record<string, string> = {}): LaunchContext {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-mcpw-'));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, 'home'));
  return {
    session: { id: 's_x', name: 'x', harness: 'claude', cwd: dir, status: 'starting', lastSeq: 0 } as SessionRecord,
    sessionDir: dir,
    env: { HOME: path.join(dir, 'home'), PATH: '/usr/bin:/bin', ...env },
    binary: { path: '/usr/bin/agent' },
    extraArgs: [],
    agentSocket: '/o/run/agent/s_x/hook.sock',
    hookClient: { node: '/usr/bin/node', omniJs: '/opt/omni/bin/omni.js', omniHome: '/o' },
    hooks: { command: (e, m) => `hook ${e} ${m}` },
    ...(mcp ? { mcp: MCP } : {}),
  };
}

describe('Claude Code', () => {
  it('gets --mcp-config with the stdio server omni, omni tools allowed in its settings, long tool timeouts', async () => {
    const spec = await claudeAdapter.prepareLaunch(ctx(true));
    const file = spec.args[spec.args.indexOf('--mcp-config') + 1]!;
    expect(spec.generated).toContain(file);
    const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(cfg.mcpServers.omni).toMatchObject({ type: 'stdio', command: MCP.command, args: MCP.args, env: MCP.env, alwaysLoad: true });
    expect(cfg.mcpServers.omni.timeout).toBeGreaterThan(3600_000);
    const settings = JSON.parse(fs.readFileSync(spec.args[spec.args.indexOf('--settings') + 1]!, 'utf8'));
    expect(settings.permissions).toEqual({ allow: ['mcp__omni'] });
    expect(Number(spec.env.CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT)).toBeGreaterThan(3600_000);
    // The user's own idle timeout stays.
    expect((await claudeAdapter.prepareLaunch(ctx(true, { CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT: '5000' }))).env.CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT).toBeUndefined();
  });

  it('without spawn: no MCP config, no allow rule', async () => {
    const spec = await claudeAdapter.prepareLaunch(ctx(false));
    expect(spec.args).not.toContain('--mcp-config');
    const settings = JSON.parse(fs.readFileSync(spec.args[spec.args.indexOf('--settings') + 1]!, 'utf8'));
    expect(settings.permissions).toBeUndefined();
  });
});

describe('Codex', () => {
  it('gets -c mcp_servers.omni with a tool timeout above an hour and its approval left to omni', async () => {
    const spec = await codexAdapter.prepareLaunch(ctx(true));
    const values = spec.args.filter((_, i) => spec.args[i - 1] === '-c');
    const server = values.find((v) => v.startsWith('mcp_servers.omni='));
    expect(server).toBe(
      'mcp_servers.omni={command="/usr/bin/node",args=["/opt/omni/bin/omni.js","mcp","--agent-socket","/o/run/agent/s_x/hook.sock"],env={OMNI_HOME="/o"},startup_timeout_sec=30,tool_timeout_sec=3900,default_tools_approval_mode="approve"}',
    );
    const plain = await codexAdapter.prepareLaunch(ctx(false));
    expect(plain.args.some((a) => a.startsWith('mcp_servers.'))).toBe(false);
  });
});

describe('Pi', () => {
  it("the extension's wiring says to register omni's tools only with spawn", async () => {
    const on = await piAdapter.prepareLaunch(ctx(true));
    const ext = fs.readFileSync(on.args[on.args.indexOf('-e') + 1]!, 'utf8');
    expect(ext).toContain('"mcpTools": true');
    const off = await piAdapter.prepareLaunch(ctx(false));
    expect(fs.readFileSync(off.args[off.args.indexOf('-e') + 1]!, 'utf8')).not.toContain('mcpTools');
    expect(piToolKind('omni_spawn')).toBe('mcp');
    expect(piToolKind('bash')).toBe('shell');
  });

  it('registers the 8 tools with the contract schemas; each is POST /mcp/call on the agent socket; a refusal throws', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-mcpw-'));
    dirs.push(dir);
    const socket = path.join(dir, 'hook.sock');
    const seen: unknown[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const b = JSON.parse(body) as { tool: string };
        seen.push({ path: req.url, ...b });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(b.tool === 'omni_stop' ? { ok: false, error: { code: 'not_found', message: 'no session zz' } } : { ok: true, result: { stopped: [] } }));
      });
    });
    await new Promise<void>((r) => server.listen(socket, r));
    try {
      const tools: Parameters<PiToolApi['registerTool']>[0][] = [];
      registerOmniTools({ registerTool: (t) => tools.push(t) }, { socket, node: '/n', omniJs: '/o', omniHome: dir }, { delays: [], startDaemon: async () => {} });
      expect(tools.map((t) => [t.name, t.parameters])).toEqual(MCP_TOOLS.map((t) => [t.name, t.inputSchema]));
      const sessions = tools.find((t) => t.name === 'omni_sessions')!;
      expect(await sessions.execute('c1', {})).toEqual({ content: [{ type: 'text', text: '{"stopped":[]}' }], details: { stopped: [] } });
      await expect(tools.find((t) => t.name === 'omni_stop')!.execute('c2', { session: 'zz' })).rejects.toThrow('no session zz (not_found)');
      expect(seen).toEqual([
        { path: '/mcp/call', tool: 'omni_sessions', args: {} },
        { path: '/mcp/call', tool: 'omni_stop', args: { session: 'zz' } },
      ]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    // Nothing listening: the daemon is started once and the call retried, then it is an error the model reads.
    let starts = 0;
    const down = await callOmniTool({ socket, node: '/n', omniJs: '/o', omniHome: dir }, 'omni_sessions', {}, undefined, { delays: [1, 1], startDaemon: async () => void starts++ });
    expect(down).toMatchObject({ ok: false, error: { code: 'daemon_unreachable' } });
    expect(starts).toBe(1);
  });
});
