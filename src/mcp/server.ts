/**
 * `omni mcp`: omni's tools (./tools.ts) as an MCP server over stdio, on the official SDK's
 * low-level `Server` (the JSON schemas are the contract; no zod). The server decides nothing:
 * each call is handed to `call` (the session's agent socket, or the control socket as the user,
 * chosen by src/cli/commands/mcp.ts) and the daemon's reply is turned into MCP content.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Readable, Writable } from 'node:stream';
import { MCP_SERVER_NAME, MCP_TOOLS, type McpCallReply, type McpToolName } from './tools.js';

/** Forwards one tool call to the daemon; rejects only when the daemon could not be asked. */
export type McpForward = (tool: McpToolName, args: Record<string, unknown>) => Promise<McpCallReply>;

export interface McpServerOptions {
  version: string;
  call: McpForward;
  /** Default: this process's stdin/stdout. */
  stdin?: Readable;
  stdout?: Writable;
  /** A long call (omni_wait) reports progress this often so a client that resets its timeout on progress keeps waiting. */
  progressEveryMs?: number;
}

const TOOL_NAMES = new Set<string>(MCP_TOOLS.map((t) => t.name));

/** The daemon's reply as MCP content: the result as JSON text, or an error result with the message. */
export function replyToContent(reply: McpCallReply): CallToolResult {
  if (reply.ok) return { content: [{ type: 'text', text: JSON.stringify(reply.result ?? null) }] };
  const { code, message } = reply.error ?? { code: 'error', message: 'the daemon refused the call' };
  return { content: [{ type: 'text', text: `${message} (${code})` }], isError: true };
}

/** A server wired to `call`, not yet connected (tests connect it to an in-memory transport). */
export function createMcpServer(opts: Pick<McpServerOptions, 'version' | 'call' | 'progressEveryMs'>): Server {
  const server = new Server({ name: MCP_SERVER_NAME, version: opts.version }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: MCP_TOOLS.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const { name, arguments: args } = req.params;
    if (!TOOL_NAMES.has(name)) return { content: [{ type: 'text', text: `omni has no tool ${name}` }], isError: true };
    const token = req.params._meta?.progressToken;
    const every = opts.progressEveryMs ?? 30_000;
    let ticks = 0;
    const timer =
      token !== undefined
        ? setInterval(() => {
            ticks++;
            void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: ticks } }).catch(() => {});
          }, every)
        : undefined;
    try {
      return replyToContent(await opts.call(name as McpToolName, args ?? {}));
    } catch (err) {
      return { content: [{ type: 'text', text: `omni could not reach its daemon: ${(err as Error).message}` }], isError: true };
    } finally {
      if (timer) clearInterval(timer);
    }
  });
  return server;
}

/** Serve on stdio until the client closes it. */
export async function runMcpServer(opts: McpServerOptions): Promise<void> {
  const server = createMcpServer(opts);
  const transport = new StdioServerTransport(opts.stdin, opts.stdout);
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
    (opts.stdin ?? process.stdin).once('end', () => resolve());
  });
  await server.connect(transport);
  await closed;
  await server.close().catch(() => {});
}
