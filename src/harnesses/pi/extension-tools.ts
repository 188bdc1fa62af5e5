/**
 * omni's MCP tools inside Pi. Pi has no MCP client, so for a session that may start sub-agents
 * omni's extension registers the same 8 tools (names, descriptions and JSON schemas of
 * src/mcp/tools.ts) with `pi.registerTool`; each one is the agent socket's `POST /mcp/call`, as
 * `omni mcp --agent-socket` does for Claude and Codex. Pi's `tool_call` event still fires for
 * them, so the policy gate and the log see them like every other tool.
 *
 * Runs inside Pi: Node built-ins and omni's core/agent-protocol.js and mcp/tools.js (plain data) only.
 */
import { MCP_CALL_PATH, postAgentSocket, RETRY_DELAYS_MS, spawnDaemonStart, type PostResult } from '../../core/agent-protocol.js';
import { MCP_TOOLS, type McpCallReply, type McpToolName } from '../../mcp/tools.js';

/** What the tools need of the extension's wiring: the agent socket, and how to start a stopped daemon. */
export interface OmniToolWiring {
  socket: string;
  node: string;
  omniJs: string;
  omniHome: string;
}

/** The slice of Pi's ExtensionAPI used here (0.73.x): a tool whose parameters are a plain JSON schema. */
export interface PiToolApi {
  registerTool(tool: {
    name: string;
    label: string;
    description: string;
    parameters: unknown;
    execute(toolCallId: string, params: unknown, signal?: AbortSignal): Promise<{ content: Array<{ type: 'text'; text: string }>; details: unknown }>;
  }): void;
}

export interface ToolCallOptions {
  delays?: readonly number[];
  startDaemon?: () => Promise<void>;
  post?: typeof postAgentSocket;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * One tool call through the agent socket, as long as the daemon takes (omni_wait, a held ask).
 * A daemon that is down is started (outside omni's sandbox) and the call retried, as a gate
 * hook is; a reply that cannot be read is an error the model sees.
 */
export async function callOmniTool(wiring: OmniToolWiring, tool: McpToolName, args: unknown, signal?: AbortSignal, o: ToolCallOptions = {}): Promise<McpCallReply> {
  const post = o.post ?? postAgentSocket;
  const body = JSON.stringify({ tool, args: args ?? {} });
  const sandboxed = !!process.env.OMNI_SANDBOXED;
  let r: PostResult = await post(wiring.socket, MCP_CALL_PATH, body, { signal });
  if (!r.ok && r.why === 'down') {
    if (!sandboxed) await (o.startDaemon ?? (() => spawnDaemonStart(wiring)))().catch(() => undefined);
    for (const delay of o.delays ?? RETRY_DELAYS_MS[sandboxed ? 'gateSandboxed' : 'gate']) {
      r = await post(wiring.socket, MCP_CALL_PATH, body, { signal });
      if (r.ok || r.why !== 'down') break;
      await sleep(delay);
    }
  }
  if (!r.ok) return { ok: false, error: { code: r.why === 'aborted' ? 'interrupted' : 'daemon_unreachable', message: r.why === 'aborted' ? 'the turn was interrupted' : `the omni daemon could not be reached (socket ${wiring.socket})` } };
  try {
    const reply = JSON.parse(r.body) as { ok?: unknown; error?: { code?: string; message?: string } };
    if (typeof reply.ok === 'boolean') return reply as McpCallReply;
    return { ok: false, error: { code: reply.error?.code ?? 'error', message: reply.error?.message ?? 'the daemon refused the call' } };
  } catch {
    return { ok: false, error: { code: 'bad_reply', message: "the daemon's answer was unreadable" } };
  }
}

/** Register the 8 tools; a refusal is thrown, which Pi hands the model as an error result. */
export function registerOmniTools(pi: PiToolApi, wiring: OmniToolWiring, o: ToolCallOptions = {}): void {
  for (const t of MCP_TOOLS) {
    pi.registerTool({
      name: t.name,
      label: t.name,
      description: t.description,
      parameters: t.inputSchema,
      async execute(_id, params, signal) {
        const reply = await callOmniTool(wiring, t.name, params, signal, o);
        if (!reply.ok) throw new Error(`${reply.error.message} (${reply.error.code})`);
        return { content: [{ type: 'text', text: JSON.stringify(reply.result ?? null) }], details: reply.result };
      },
    });
  }
}
