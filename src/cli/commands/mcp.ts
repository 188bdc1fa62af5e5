import { OmniClient } from '../../client/api.js';
import { startDaemon } from '../../client/daemon-control.js';
import { unixRequest } from '../../client/unix-http.js';
import { OmniError } from '../../core/errors.js';
import { OMNI_VERSION } from '../../core/version.js';
import type { McpForward } from '../../mcp/server.js';
import type { McpCallReply } from '../../mcp/tools.js';
import { client, paths } from '../context.js';
import { callerEnv } from './start.js';

export interface McpOptions {
  /** The session's agent socket: omni's wiring in a session passes it (the session's identity). */
  agentSocket?: string;
}

/**
 * `omni mcp [--agent-socket PATH]`: omni's MCP server on stdio. In a session it speaks for that
 * session (its agent socket); run by a person it acts as that user on the control socket.
 */
export async function mcpCommand(opts: McpOptions): Promise<number> {
  const { runMcpServer } = await import('../../mcp/server.js');
  const call = opts.agentSocket ? agentSocketForward(opts.agentSocket) : controlForward();
  await runMcpServer({ version: OMNI_VERSION, call });
  return 0;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Nothing listened (the request never reached a daemon), so sending it again cannot repeat it. */
const notListening = (err: unknown) => ['ENOENT', 'ECONNREFUSED'].includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * `POST /mcp/call` on the agent socket, with no timeout (omni_wait and a held policy ask take as
 * long as they take). A daemon that is down is started (outside omni's sandbox, where no daemon
 * can be started from inside) and waited for, as the hook clients do.
 */
export function agentSocketForward(socket: string, delays = [200, 500, 1000, 2000]): McpForward {
  return async (tool, args) => {
    const body = JSON.stringify({ tool, args });
    let started = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await unixRequest(socket, { method: 'POST', path: '/mcp/call', body });
        return parseReply(res.status, res.body);
      } catch (err) {
        if (!notListening(err) || attempt >= delays.length) throw err;
        if (!started && !process.env.OMNI_SANDBOXED) {
          started = true;
          await startDaemon(paths()).catch(() => undefined);
        }
        await sleep(delays[attempt]!);
      }
    }
  };
}

/** `POST /v1/mcp/call` on the control socket as the user, with this shell's environment for what it spawns. */
export function controlForward(connect: () => Promise<OmniClient> = client): McpForward {
  let api: Promise<OmniClient> | undefined;
  return async (tool, args) => {
    api ??= connect();
    try {
      // PWD is where a spawned harness starts without a worktree: this process's own directory
      // (an MCP client starts its servers with a cwd, and may pass on a PWD of its own).
      return await (await api).request<McpCallReply>('/v1/mcp/call', { body: { tool, args, env: { ...callerEnv(), PWD: process.cwd() } } });
    } catch (err) {
      // A refusal (403 forbidden inside a session's pane, 404 from a daemon without the route) is the model's to read.
      if (err instanceof OmniError && err.code !== 'daemon_unreachable') return { ok: false, error: { code: err.code, message: err.message } };
      api = undefined;
      throw err;
    }
  };
}

/** A 200 carries the reply; anything else is the daemon refusing the call. */
export function parseReply(status: number, text: string): McpCallReply {
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    return { ok: false, error: { code: 'bad_reply', message: `the daemon's answer was not JSON (HTTP ${status})` } };
  }
  const b = body as Partial<McpCallReply> & { error?: { code?: string; message?: string } };
  if (status === 200 && b && typeof b.ok === 'boolean') return b as McpCallReply;
  return { ok: false, error: { code: b?.error?.code ?? 'error', message: b?.error?.message ?? `the daemon answered HTTP ${status}` } };
}
