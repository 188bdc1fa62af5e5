/**
 * The inside of omni's Pi extension. Pi has no hooks; it loads extensions (`pi -e FILE`) and
 * awaits their async event handlers, so this module plays the part `bin/omni-hook` plays for
 * Claude Code: it reports Pi's events to the session's agent socket (`POST /hook/<Event>?mode=`)
 * and turns the daemon's answers into Pi's (block a tool call, drop a prompt).
 *
 * Pi loads a small generated file per session (see extension.ts) that imports this module from
 * omni's install and passes the session's wiring. Node built-ins only: it runs inside Pi.
 *
 * Semantics mirror omni-hook: a `gate` event waits for the decision (for as long as a person
 * needs) and fails closed — when the daemon cannot be reached it runs `omni daemon start` once,
 * retries briefly, then blocks with a reason. An `observe` event fails open after one retry.
 * Events are delivered one at a time, in the order Pi emitted them, so the daemon sees the
 * reply before the end of the turn.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

export interface OmniPiWiring {
  /** The session's agent socket ($OMNI_HOME/run/agent/<id>/hook.sock). */
  socket: string;
  /** To start the daemon when it is down: `node omniJs daemon start --quiet` with OMNI_HOME. */
  node: string;
  omniJs: string;
  omniHome: string;
  /** Where the extension records Pi's session id and file (read by the adapter on resume). */
  stateFile: string;
}

export type HookMode = 'gate' | 'observe';

export interface HookAnswer {
  code: number;
  text: string;
}

/** The slice of Pi's ExtensionAPI used here (0.73.x). */
export interface PiApi {
  on(event: string, handler: (event: any, ctx: any) => unknown): void; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface RuntimeOptions {
  /** Retry delays after the first failure (ms); defaults mirror omni-hook. */
  gateDelays?: number[];
  observeDelays?: number[];
  /** How long `omni daemon start` may take before the retries go on without it. */
  daemonStartTimeoutMs?: number;
  /** An observed event gives up after this long (a gate waits as long as the daemon holds it). */
  observeTimeoutMs?: number;
  /** Replaceable for tests. */
  startDaemon?: () => Promise<void>;
}

/** Largest text sent for one tool result block (Pi already truncates bash output to ~50 KB). */
const MAX_TEXT = 100_000;

export const UNREACHABLE = (socket: string) =>
  `omni: blocked because the omni daemon could not be reached to check policy (socket ${socket}). Run 'omni daemon start' and try again.`;
export const UNREADABLE = "omni: blocked because the daemon's answer was unreadable.";
export const INTERRUPTED = 'omni: the turn was interrupted while waiting for a policy decision.';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One POST to the agent socket. Resolves undefined when the daemon cannot be reached. */
export function postHook(
  socket: string,
  event: string,
  mode: HookMode,
  payload: unknown,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<string | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: string | undefined) => {
      if (done) return;
      done = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
      resolve(v);
    };
    const body = JSON.stringify(payload ?? {});
    const req = http.request(
      {
        socketPath: socket,
        path: `/hook/${event}?mode=${mode}`,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => finish(Buffer.concat(chunks).toString('utf8')));
        res.on('error', () => finish(undefined));
        res.on('aborted', () => finish(undefined));
      },
    );
    const onAbort = () => {
      req.destroy();
      finish(undefined);
    };
    const timer = opts.timeoutMs ? setTimeout(onAbort, opts.timeoutMs) : undefined;
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', () => finish(undefined));
    req.end(body);
  });
}

/** First line: exit code; the rest: text (the agent endpoint's reply body). */
export function parseReply(reply: string): HookAnswer | undefined {
  if (!reply) return undefined;
  const nl = reply.indexOf('\n');
  const first = nl === -1 ? reply : reply.slice(0, nl);
  if (!/^\d+$/.test(first)) return undefined;
  return { code: Number(first), text: nl === -1 ? '' : reply.slice(nl + 1) };
}

export class OmniPiClient {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly gateDelays: number[];
  private readonly observeDelays: number[];

  constructor(
    readonly wiring: OmniPiWiring,
    private readonly opts: RuntimeOptions = {},
  ) {
    this.gateDelays = opts.gateDelays ?? [200, 500, 1000];
    this.observeDelays = opts.observeDelays ?? [300];
  }

  /** Queue an event behind the ones before it; resolves with the daemon's answer. */
  send(event: string, mode: HookMode, payload: unknown, signal?: AbortSignal): Promise<HookAnswer> {
    const next = this.chain.then(() => this.deliver(event, mode, payload, signal));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Wait (bounded) for everything queued so far. */
  async drain(timeoutMs: number): Promise<void> {
    await Promise.race([this.chain, sleep(timeoutMs)]);
  }

  private async deliver(event: string, mode: HookMode, payload: unknown, signal?: AbortSignal): Promise<HookAnswer> {
    const gate = mode === 'gate';
    const interrupted = () => ({ code: 2, text: INTERRUPTED });
    const once = () => postHook(this.wiring.socket, event, mode, payload, { signal, timeoutMs: gate ? undefined : (this.opts.observeTimeoutMs ?? 30_000) });
    if (gate && signal?.aborted) return interrupted();
    let reply = await once();
    if (reply === undefined || reply === '') {
      if (signal?.aborted) return gate ? interrupted() : { code: 0, text: '' };
      // The daemon may be down (crash, upgrade). A gate event starts it — the new daemon re-adopts
      // this session and re-creates its socket; an observed event only retries.
      if (gate) await this.startDaemon();
      for (const delay of gate ? this.gateDelays : this.observeDelays) {
        reply = await once();
        if (reply) break;
        if (signal?.aborted) break;
        await sleep(delay);
      }
    }
    if (!reply) {
      if (!gate) return { code: 0, text: '' };
      return signal?.aborted ? interrupted() : { code: 2, text: UNREACHABLE(this.wiring.socket) };
    }
    const answer = parseReply(reply);
    if (!answer) return gate ? { code: 2, text: UNREADABLE } : { code: 0, text: '' };
    return answer;
  }

  private async startDaemon(): Promise<void> {
    if (this.opts.startDaemon) return this.opts.startDaemon();
    const { node, omniJs, omniHome } = this.wiring;
    // Inside omni's sandbox a daemon started from here could reach nothing (bin/omni-hook does the same).
    if (process.env.OMNI_SANDBOXED) return;
    await new Promise<void>((resolve) => {
      let child;
      try {
        child = spawn(node, [omniJs, 'daemon', 'start', '--quiet'], { env: { ...process.env, OMNI_HOME: omniHome }, stdio: 'ignore', detached: false });
      } catch {
        return resolve();
      }
      const timer = setTimeout(resolve, this.opts.daemonStartTimeoutMs ?? 20_000);
      child.on('error', () => {
        clearTimeout(timer);
        resolve();
      });
      child.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

// ---------------------------------------------------------------- payloads

interface PiContentBlock {
  type?: string;
  text?: string;
  id?: string;
  name?: string;
  arguments?: unknown;
  mimeType?: string;
}

/** Text of content blocks, other blocks summarized (images are not sent). */
export function slimContent(content: unknown): Array<Record<string, unknown>> {
  if (typeof content === 'string') return [{ type: 'text', text: content.slice(0, MAX_TEXT) }];
  if (!Array.isArray(content)) return [];
  return (content as PiContentBlock[]).map((b) => {
    if (b?.type === 'text') return { type: 'text', text: String(b.text ?? '').slice(0, MAX_TEXT) };
    if (b?.type === 'toolCall') return { type: 'toolCall', id: b.id, name: b.name };
    if (b?.type === 'image') return { type: 'image', mimeType: b.mimeType };
    return { type: String(b?.type ?? 'unknown') };
  });
}

/** An assistant message without the bulky parts (thinking, tool arguments, signatures). */
export function slimAssistant(m: Record<string, unknown>): Record<string, unknown> {
  return {
    role: m.role,
    content: slimContent(m.content),
    api: m.api,
    provider: m.provider,
    model: m.model,
    usage: m.usage,
    stopReason: m.stopReason,
    errorMessage: m.errorMessage,
    responseId: m.responseId,
    timestamp: m.timestamp,
  };
}

function identity(ctx: any): { sessionId?: string; sessionFile?: string } { // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    return { sessionId: ctx?.sessionManager?.getSessionId?.(), sessionFile: ctx?.sessionManager?.getSessionFile?.() };
  } catch {
    return {};
  }
}

/** `provider/id`; undefined when Pi has no model (it then reports provider and id "unknown"). */
function modelName(m: any): string | undefined { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!m || typeof m.id !== 'string' || (m.id === 'unknown' && (m.provider === 'unknown' || m.provider === undefined))) return undefined;
  return typeof m.provider === 'string' ? `${m.provider}/${m.id}` : m.id;
}

function writeState(file: string, state: Record<string, unknown>): void {
  try {
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(state) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    /* resume falls back to Pi's own lookup by id */
  }
}

/** Wire Pi's events to the daemon. Returns the client (tests drive it). */
export function registerOmniExtension(pi: PiApi, wiring: OmniPiWiring, opts: RuntimeOptions = {}): OmniPiClient {
  const client = new OmniPiClient(wiring, opts);
  const observe = (event: string, payload: Record<string, unknown>) => void client.send(event, 'observe', payload);

  pi.on('session_start', (e, ctx) => {
    const id = identity(ctx);
    if (id.sessionId) writeState(wiring.stateFile, { ...id, cwd: ctx?.cwd, at: new Date().toISOString() });
    observe('SessionStart', { ...id, reason: e?.reason, previousSessionFile: e?.previousSessionFile, cwd: ctx?.cwd, model: modelName(ctx?.model) ?? null });
  });

  pi.on('model_select', (e, ctx) => {
    observe('ModelSelect', { ...identity(ctx), model: modelName(e?.model) ?? null, previousModel: modelName(e?.previousModel) ?? null, source: e?.source });
  });

  // A prompt (typed, pasted, queued while busy, or injected): the `prompt` policy phase may drop it.
  pi.on('input', async (e, ctx) => {
    const images = Array.isArray(e?.images) ? e.images.length : 0;
    // promptId: a retry after a daemon restart joins the same ask; a new prompt never reuses an old answer.
    const r = await client.send('Prompt', 'gate', { ...identity(ctx), promptId: randomUUID(), text: String(e?.text ?? ''), source: e?.source, images });
    if (r.code === 0) return undefined;
    const reason = r.text.trim() || 'blocked by omni policy';
    try {
      ctx?.ui?.notify?.(reason, 'error');
    } catch {
      /* no UI (print mode) */
    }
    return { action: 'handled' };
  });

  // The gate: Pi awaits this handler before running the tool; `block` with a reason is what the model sees.
  pi.on('tool_call', async (e, ctx) => {
    const r = await client.send('ToolCall', 'gate', { ...identity(ctx), toolCallId: e?.toolCallId, toolName: e?.toolName, input: e?.input ?? null }, ctx?.signal);
    if (r.code === 0) return undefined;
    return { block: true, reason: r.text.trim() || 'blocked by omni policy' };
  });

  // The tool ran; a policy may still add a note for the model (it cannot un-run it).
  pi.on('tool_result', async (e, ctx) => {
    const r = await client.send('ToolResult', 'observe', {
      ...identity(ctx),
      toolCallId: e?.toolCallId,
      toolName: e?.toolName,
      input: e?.input ?? null,
      content: slimContent(e?.content),
      isError: e?.isError === true,
    });
    if (r.code === 0 || !r.text.trim()) return undefined;
    const content = Array.isArray(e?.content) ? e.content : [];
    return { content: [...content, { type: 'text', text: `\n${r.text.trim()}` }], isError: e?.isError === true };
  });

  pi.on('message_end', (e, ctx) => {
    const m = e?.message;
    if (!m || m.role !== 'assistant') return;
    observe('MessageEnd', { ...identity(ctx), message: slimAssistant(m) });
  });

  pi.on('agent_end', (e, ctx) => {
    const msgs: Array<Record<string, unknown>> = Array.isArray(e?.messages) ? e.messages : [];
    const last = [...msgs].reverse().find((m) => m?.role === 'assistant');
    observe('AgentEnd', { ...identity(ctx), stopReason: last?.stopReason ?? null, messages: msgs.length });
  });

  pi.on('session_shutdown', async (e, ctx) => {
    observe('SessionEnd', { ...identity(ctx), reason: e?.reason });
    await client.drain(2000);
  });

  return client;
}
