/**
 * The inside of omni's Pi extension. Pi has no hooks; it loads extensions (`pi -e FILE`) and
 * awaits their async event handlers, so this module plays the part `bin/omni-hook` plays for
 * Claude Code: it reports Pi's events to the session's agent socket (`POST /hook/<Event>?mode=`)
 * and turns the daemon's answers into Pi's (block a tool call, drop a prompt).
 *
 * Pi loads a small generated file per session (see extension.ts) that imports this module from
 * omni's install and passes the session's wiring. Node built-ins only (and omni's
 * core/agent-protocol.js and the MCP tool contract, likewise): it runs inside Pi.
 *
 * The protocol's rules are core/agent-protocol.ts's (docs/PROTOCOL.md), as in omni-hook: a `gate`
 * event waits for the decision (for as long as a person needs) and fails closed, an `observe`
 * event fails open.
 * Events are delivered one at a time, in the order Pi emitted them, so the daemon sees the
 * reply before the end of the turn.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { deliverHook, spawnDaemonStart, type HookAnswer, type HookMode } from '../../core/agent-protocol.js';
import { registerOmniTools, type PiToolApi } from './extension-tools.js';

export { INTERRUPTED, parseReply, UNREACHABLE, UNREADABLE, type HookAnswer, type HookMode } from '../../core/agent-protocol.js';

export interface OmniPiWiring {
  /** The session's agent socket ($OMNI_HOME/run/agent/<id>/hook.sock). */
  socket: string;
  /** To start the daemon when it is down: `node omniJs daemon start --quiet` with OMNI_HOME. */
  node: string;
  omniJs: string;
  omniHome: string;
  /** Where the extension records Pi's session id and file (read by the adapter on resume). */
  stateFile: string;
  /** The session may start sub-agents: register omni's MCP tools (./extension-tools.ts). */
  mcpTools?: boolean;
}

/** The slice of Pi's ExtensionAPI used here (0.73.x). */
export interface PiApi extends Partial<PiToolApi> {
  on(event: string, handler: (event: any, ctx: any) => unknown): void; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface RuntimeOptions {
  /** Retry delays after the first failure (ms); defaults: the protocol's (RETRY_DELAYS_MS). */
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

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class OmniPiClient {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly wiring: OmniPiWiring,
    private readonly opts: RuntimeOptions = {},
  ) {}

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

  /** The protocol's rules (docs/PROTOCOL.md): a gate fails closed, an observed event fails open. */
  private deliver(event: string, mode: HookMode, payload: unknown, signal?: AbortSignal): Promise<HookAnswer> {
    const gate = mode === 'gate';
    const delays = gate ? this.opts.gateDelays : this.opts.observeDelays;
    return deliverHook(this.wiring.socket, event, mode, JSON.stringify(payload ?? {}), {
      signal,
      timeoutMs: gate ? undefined : this.opts.observeTimeoutMs,
      ...(delays ? { delays } : {}),
      sandboxed: !!process.env.OMNI_SANDBOXED,
      startDaemon: this.opts.startDaemon ?? (() => spawnDaemonStart(this.wiring, this.opts.daemonStartTimeoutMs)),
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
  if (wiring.mcpTools && pi.registerTool) registerOmniTools(pi as PiToolApi, wiring);
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
