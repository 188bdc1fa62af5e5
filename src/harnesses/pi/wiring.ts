import type { LaunchContext } from '../types.js';
import type { OmniPiWiring } from './extension-runtime.js';

/**
 * Pi's extension talks to the session's agent socket itself, so it needs the socket path and
 * what `omni-hook` would use to start a stopped daemon (node, omni.js, OMNI_HOME).
 */
export function piWiring(ctx: LaunchContext, stateFile: string): OmniPiWiring {
  return {
    socket: ctx.agentSocket,
    node: ctx.hookClient.node,
    omniJs: ctx.hookClient.omniJs,
    omniHome: ctx.hookClient.omniHome,
    stateFile,
    // Pi has no MCP client: its extension registers omni's tools itself, on the same socket.
    ...(ctx.mcp ? { mcpTools: true } : {}),
  };
}
