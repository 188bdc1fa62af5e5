import { MCP_SERVER_NAME } from '../../mcp/tools.js';
import type { LaunchContext } from '../types.js';
import { tomlValue } from './config.js';

/**
 * How a session that may start sub-agents gets omni's MCP server under Codex: one more `-c`
 * override (nothing written to config.toml), the stdio server `omni` bound to the session's
 * agent socket, deep-merged next to the user's own `[mcp_servers]`.
 *
 * - `tool_timeout_sec`: Codex cuts an MCP tool call at 60 s by default; omni_wait may wait an
 *   hour (and a held policy ask longer), so omni's server gets 65 minutes.
 * - `default_tools_approval_mode = "approve"`: Codex's own MCP approval (AppToolApproval
 *   auto|prompt|writes|approve, 0.169) would otherwise stop for a person on calls it judges
 *   side-effecting; omni's tools are decided by omni (the daemon's `mcp` policy phase and the
 *   PreToolUse hook).
 */
export const CODEX_MCP_TOOL_TIMEOUT_S = 3900;

export function codexMcpOverrides(mcp: NonNullable<LaunchContext['mcp']>): string[] {
  const server = {
    command: mcp.command,
    args: mcp.args,
    env: mcp.env,
    startup_timeout_sec: 30,
    tool_timeout_sec: CODEX_MCP_TOOL_TIMEOUT_S,
    default_tools_approval_mode: 'approve',
  };
  return ['-c', `mcp_servers.${MCP_SERVER_NAME}=${tomlValue(server)}`];
}
