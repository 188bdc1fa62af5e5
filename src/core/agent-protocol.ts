/**
 * The agent socket protocol (docs/PROTOCOL.md), shared by the daemon's endpoint and every
 * node-side client: `omni hook-post` (bin/omni-hook's fallback without curl) and Pi's extension
 * runtime. bin/omni-hook is the same rules in sh + curl, tested against the same case table
 * (test/fixtures/protocol/cases.json).
 *
 * Node built-ins only, and no import from elsewhere in omni: this module is loaded inside every
 * hook process and inside Pi.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';

export type HookMode = 'gate' | 'observe';

/** What the daemon decided: an exit code for the harness and a text (stdout when 0, else stderr). */
export interface HookAnswer {
  code: number;
  text: string;
}

/** Event names are letters only (the endpoint answers 404 to anything else). */
export const EVENT_NAME = /^[A-Za-z]+$/;

/** Retry delays (ms): after the first failure, each retry is followed by its delay when it fails too. */
export const RETRY_DELAYS_MS: Readonly<Record<'gate' | 'gateSandboxed' | 'observe', readonly number[]>> = {
  gate: [200, 500, 1000],
  // Inside omni's sandbox no daemon can be started from here: wait longer for one outside.
  gateSandboxed: [200, 500, 1000, 2000],
  observe: [300],
};

/** An observed event gives up (fails open, no retry) after this long; a gate waits for its answer. */
export const OBSERVE_TIMEOUT_MS = 30_000;
/** A command client's observe timeout: OMNI_HOOK_OBSERVE_TIMEOUT (seconds) or the default. */
export function observeTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.OMNI_HOOK_OBSERVE_TIMEOUT);
  return s > 0 ? s * 1000 : OBSERVE_TIMEOUT_MS;
}
/** How long a client waits for `omni daemon start` before retrying without it. */
export const DAEMON_START_TIMEOUT_MS = 20_000;

export const UNREACHABLE = (socket: string) =>
  `omni: blocked because the omni daemon could not be reached to check policy (socket ${socket}). Run 'omni daemon start' and try again.`;
export const UNREADABLE = "omni: blocked because the daemon's answer was unreadable.";
export const INTERRUPTED = 'omni: the turn was interrupted while waiting for a policy decision.';

export function hookPath(event: string, mode: HookMode): string {
  return `/hook/${event}?mode=${mode}`;
}

/** The reply body: the exit code on the first line, the text after it. */
export function formatReply(code: number, text: string): string {
  return `${code}\n${text}`;
}

/** Undefined when the body is empty or its first line is not a number (an unreadable answer). */
export function parseReply(reply: string): HookAnswer | undefined {
  if (!reply) return undefined;
  const nl = reply.indexOf('\n');
  const first = nl === -1 ? reply : reply.slice(0, nl);
  if (!/^\d+$/.test(first)) return undefined;
  return { code: Number(first), text: nl === -1 ? '' : reply.slice(nl + 1) };
}

/** What a command-hook client prints: the text without trailing newlines, plus one (as sh's `$(…)` does). */
export function renderAnswer(a: HookAnswer): { code: number; stdout: string; stderr: string } {
  const text = a.text.replace(/\n+$/, '');
  const line = text ? `${text}\n` : '';
  return a.code === 0 ? { code: 0, stdout: line, stderr: '' } : { code: a.code, stdout: '', stderr: line };
}

/** One POST's outcome: the body, or why there is none (`down`: nothing answered, or it hung up). */
export type PostResult = { ok: true; body: string } | { ok: false; why: 'down' | 'timeout' | 'aborted' };

/** One POST of a hook event to the agent socket. Never rejects. */
export function postHook(
  socket: string,
  event: string,
  mode: HookMode,
  body: string | Buffer,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<PostResult> {
  return postAgentSocket(socket, hookPath(event, mode), body, opts);
}

/** The agent socket's MCP verb: `{tool, args}` in, a McpCallReply (src/mcp/tools.ts) out. */
export const MCP_CALL_PATH = '/mcp/call';

/** One POST to the agent socket (any of its verbs). Never rejects. */
export function postAgentSocket(
  socket: string,
  urlPath: string,
  body: string | Buffer,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<PostResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: PostResult) => {
      if (done) return;
      done = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
      resolve(r);
    };
    const req = http.request(
      {
        socketPath: socket,
        path: urlPath,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => finish({ ok: true, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', () => finish({ ok: false, why: 'down' }));
        res.on('aborted', () => finish({ ok: false, why: 'down' }));
      },
    );
    const stop = (why: 'timeout' | 'aborted') => {
      finish({ ok: false, why });
      req.destroy();
    };
    const onAbort = () => stop('aborted');
    const timer = opts.timeoutMs ? setTimeout(() => stop('timeout'), opts.timeoutMs) : undefined;
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', () => finish({ ok: false, why: 'down' }));
    req.end(body);
  });
}

export interface DeliverOptions {
  /** Aborts a wait (the harness interrupted the turn). */
  signal?: AbortSignal;
  /** Per attempt; default OBSERVE_TIMEOUT_MS for observe, none for gate. */
  timeoutMs?: number;
  /** Start the daemon (a gate event, outside the sandbox). Omitted: no start. */
  startDaemon?: () => Promise<void>;
  /** Inside omni's sandbox: no start, longer retries. */
  sandboxed?: boolean;
  /** Override RETRY_DELAYS_MS (tests); [] = no retry. */
  delays?: readonly number[];
  /** Replaceable for tests. */
  post?: typeof postHook;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Deliver one event and resolve with the harness's answer, applying the protocol's rules: a
 * gate event fails closed (exit 2 with a reason), an observed one fails open (exit 0, no text).
 */
export async function deliverHook(socket: string, event: string, mode: HookMode, body: string | Buffer, o: DeliverOptions = {}): Promise<HookAnswer> {
  const gate = mode === 'gate';
  const post = o.post ?? postHook;
  const { signal } = o;
  const failed: HookAnswer = gate ? { code: 2, text: UNREACHABLE(socket) } : { code: 0, text: '' };
  const interrupted: HookAnswer = gate ? { code: 2, text: INTERRUPTED } : { code: 0, text: '' };
  const once = () => post(socket, event, mode, body, { signal, timeoutMs: o.timeoutMs ?? (gate ? undefined : OBSERVE_TIMEOUT_MS) });
  if (gate && signal?.aborted) return interrupted;
  let r = await once();
  if ((!r.ok && r.why === 'aborted') || (!r.ok && signal?.aborted)) return interrupted;
  // A timeout means a daemon took the event and did not answer: sending it again could count it twice.
  if (!r.ok && r.why === 'timeout') return failed;
  if (!r.ok || r.body === '') {
    // The daemon may be down (crash, upgrade). A gate event starts it, which re-adopts the session
    // and re-creates its socket; an observed one only retries, so a stopped daemon is not revived
    // by an agent winding down.
    if (gate && !o.sandboxed && o.startDaemon) await o.startDaemon().catch(() => undefined);
    const delays = o.delays ?? RETRY_DELAYS_MS[gate ? (o.sandboxed ? 'gateSandboxed' : 'gate') : 'observe'];
    for (const delay of delays) {
      r = await once();
      if (r.ok && r.body !== '') break;
      if (signal?.aborted || (!r.ok && r.why === 'timeout')) break;
      await sleep(delay);
    }
  }
  if (signal?.aborted && !(r.ok && r.body !== '')) return interrupted;
  if (!r.ok || r.body === '') return failed;
  return parseReply(r.body) ?? (gate ? { code: 2, text: UNREADABLE } : { code: 0, text: '' });
}

/** `node omniJs daemon start --quiet` with OMNI_HOME; resolves when it exits or after `timeoutMs`. */
export function spawnDaemonStart(w: { node: string; omniJs: string; omniHome: string }, timeoutMs = DAEMON_START_TIMEOUT_MS): Promise<void> {
  return new Promise<void>((resolve) => {
    let child;
    try {
      child = spawn(w.node, [w.omniJs, 'daemon', 'start', '--quiet'], { env: { ...process.env, OMNI_HOME: w.omniHome }, stdio: 'ignore' });
    } catch {
      return resolve();
    }
    const timer = setTimeout(resolve, timeoutMs);
    const end = () => {
      clearTimeout(timer);
      resolve();
    };
    child.on('error', end);
    child.on('exit', end);
  });
}
