import path from 'node:path';
import { writeFileAtomic } from '../../core/fsutil.js';
import { MCP_SERVER_NAME } from '../../mcp/tools.js';
import type { LaunchContext } from '../types.js';

/**
 * How a session that may start sub-agents gets omni's MCP server under Claude Code: a
 * `--mcp-config` file in the session's directory (the stdio server `omni`, bound to the
 * session's agent socket), added to the user's own MCP servers, not replacing them.
 *
 * Claude asks a person before an MCP tool runs unless a rule allows it. omni's tools are decided
 * by omni (the daemon's `mcp` policy phase, and the PreToolUse hook sees them as every tool), so
 * omni's own settings allow them: `permissions.allow: ["mcp__omni"]` (the whole server).
 *
 * Timeouts (measured in 2.1.330's bundle): a stdio server's tool call is cut at its `timeout`
 * (ms; else MCP_TOOL_TIMEOUT, else a default) and after CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT
 * (default 30 min for stdio) without an answer. omni_wait may wait an hour and a held policy ask
 * longer, so both are raised above that, the idle one only when the user has not set it.
 */
export const CLAUDE_MCP_TIMEOUT_MS = 3_900_000;

export function claudeMcpWiring(
  mcp: NonNullable<LaunchContext['mcp']>,
  sessionDir: string,
  env: Record<string, string>,
): { file: string; args: string[]; settings: Record<string, unknown>; env: Record<string, string> } {
  const file = path.join(sessionDir, 'claude-mcp.json');
  const server = { type: 'stdio', command: mcp.command, args: mcp.args, env: mcp.env, timeout: CLAUDE_MCP_TIMEOUT_MS };
  writeFileAtomic(file, JSON.stringify({ mcpServers: { [MCP_SERVER_NAME]: server } }, null, 2) + '\n');
  return {
    file,
    args: ['--mcp-config', file],
    settings: { permissions: { allow: [`mcp__${MCP_SERVER_NAME}`] } },
    env: env.CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT ? {} : { CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT: String(CLAUDE_MCP_TIMEOUT_MS) },
  };
}
