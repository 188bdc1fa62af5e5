import { MCP_SERVER_NAME } from '../../mcp/tools.js';
import type { LaunchContext } from '../types.js';

/**
 * omni's MCP server for a session that may start sub-agents: the stdio server `omni`, given to
 * Copilot with `--additional-mcp-config` (it augments ~/.copilot/mcp-config.json for this
 * session only; nothing is written there). Copilot names its tools `omni-<tool>` (tools.ts).
 * `timeout` (ms): omni_wait may wait an hour, and a held policy ask longer.
 */
export const COPILOT_MCP_TIMEOUT_MS = 3_900_000;

export function copilotMcpArgs(mcp: NonNullable<LaunchContext['mcp']>): string[] {
  const server = { type: 'local', command: mcp.command, args: mcp.args, env: mcp.env, tools: ['*'], timeout: COPILOT_MCP_TIMEOUT_MS };
  return ['--additional-mcp-config', JSON.stringify({ mcpServers: { [MCP_SERVER_NAME]: server } })];
}
