/**
 * omni's plugin inside OpenCode (loaded by the generated file of ./plugin.ts). It reports
 * OpenCode's hooks and bus events to the session's agent socket and applies the daemon's answers,
 * as Pi's extension does (docs/harnesses/opencode.md). Runs inside OpenCode's Bun runtime: Node
 * built-ins and omni's core/agent-protocol.js only.
 */
import { deliverHook, spawnDaemonStart, type HookAnswer, type HookMode } from '../../core/agent-protocol.js';

export interface OmniOpenCodeWiring {
  /** The session's agent socket ($OMNI_HOME/run/agent/<id>/hook.sock). */
  socket: string;
  /** To start the daemon when it is down: `node omniJs daemon start --quiet` with OMNI_HOME. */
  node: string;
  omniJs: string;
  omniHome: string;
}

export interface RuntimeOptions {
  gateDelays?: number[];
  observeDelays?: number[];
  observeTimeoutMs?: number;
  startDaemon?: () => Promise<void>;
}

/** Largest tool output sent to the daemon (OpenCode already truncates bash output). */
const MAX_TEXT = 100_000;

/** The slice of OpenCode's plugin input used here (1.18). */
export interface PluginInput {
  directory?: string;
  worktree?: string;
  client?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

type Hooks = Record<string, (input: any, output: any) => Promise<void>>; // eslint-disable-line @typescript-eslint/no-explicit-any

export class OmniClient {
  private chain: Promise<unknown> = Promise.resolve();
  constructor(
    readonly wiring: OmniOpenCodeWiring,
    private readonly opts: RuntimeOptions = {},
  ) {}

  /** Queue an event behind the ones before it (the daemon sees them in order). */
  send(event: string, mode: HookMode, payload: unknown): Promise<HookAnswer> {
    const next = this.chain.then(() => this.deliver(event, mode, payload));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** docs/PROTOCOL.md: a gate fails closed, an observed event fails open. */
  private deliver(event: string, mode: HookMode, payload: unknown): Promise<HookAnswer> {
    const gate = mode === 'gate';
    const delays = gate ? this.opts.gateDelays : this.opts.observeDelays;
    return deliverHook(this.wiring.socket, event, mode, JSON.stringify(payload ?? {}), {
      timeoutMs: gate ? undefined : this.opts.observeTimeoutMs,
      ...(delays ? { delays } : {}),
      sandboxed: !!process.env.OMNI_SANDBOXED,
      startDaemon: this.opts.startDaemon ?? (() => spawnDaemonStart(this.wiring)),
    });
  }
}

const reasonOf = (r: HookAnswer) => r.text.trim() || 'blocked by omni policy';

/** The assistant message fields omni reads (usage, cost, model, how it ended). */
function slimMessage(m: Record<string, any>): Record<string, unknown> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return {
    id: m.id,
    sessionID: m.sessionID,
    parentID: m.parentID,
    modelID: m.modelID,
    providerID: m.providerID,
    cost: m.cost,
    tokens: m.tokens,
    finish: m.finish,
    error: m.error ? { name: m.error.name, message: m.error.data?.message } : undefined,
  };
}

/**
 * Answer one of OpenCode's own permission questions for a call omni's gate already let through
 * (its `permission.ask` plugin hook is not called in 1.18; the TUI's own auto mode replies the same way).
 */
async function replyPermission(client: any, id: string, sessionID: string): Promise<boolean> { // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    if (client?.permission?.reply) {
      await client.permission.reply({ requestID: id, reply: 'once' });
      return true;
    }
    if (client?.postSessionIdPermissionsPermissionId) {
      await client.postSessionIdPermissionsPermissionId({ path: { id: sessionID, permissionID: id }, body: { response: 'once' } });
      return true;
    }
  } catch {
    /* the question stays on screen for the person at the pane */
  }
  return false;
}

/** OpenCode's hooks wired to the daemon. */
export function omniHooks(input: PluginInput, wiring: OmniOpenCodeWiring, opts: RuntimeOptions = {}): { client: OmniClient; hooks: Hooks } {
  const client = new OmniClient(wiring, opts);
  const observe = (event: string, payload: Record<string, unknown>) => void client.send(event, 'observe', payload);
  /** Calls omni's gate allowed: OpenCode's own question about them is answered "once". */
  const allowed = new Set<string>();
  const roles = new Map<string, string>();
  const ended = new Set<string>();

  observe('PluginStart', { directory: input.directory, worktree: input.worktree });

  const hooks: Hooks = {
    // A prompt before it reaches the model: the `prompt` policy phase may drop it (a throw ends the turn).
    'chat.message': async (i, o) => {
      const parts: Array<Record<string, unknown>> = Array.isArray(o?.parts) ? o.parts : [];
      const text = parts
        .filter((p) => p?.type === 'text' && !p.synthetic)
        .map((p) => String(p.text ?? ''))
        .join('\n');
      const r = await client.send('Prompt', 'gate', { sessionID: i?.sessionID, messageID: i?.messageID ?? o?.message?.id, agent: i?.agent, text });
      if (r.code !== 0) throw new Error(reasonOf(r));
    },
    // The gate: OpenCode awaits this before running the tool; what it throws is the tool's error, which the model reads.
    'tool.execute.before': async (i, o) => {
      const r = await client.send('ToolCall', 'gate', { sessionID: i?.sessionID, callID: i?.callID, tool: i?.tool, args: o?.args ?? null });
      if (r.code !== 0) throw new Error(reasonOf(r));
      // Only an explicit allow answers OpenCode's own question (the user's `permission: ask` rules) for omni.
      if (r.text.trim() === 'allow' && typeof i?.callID === 'string') allowed.add(i.callID);
    },
    // The tool ran; a policy may still add a note for the model (it cannot un-run it).
    'tool.execute.after': async (i, o) => {
      if (typeof i?.callID === 'string') allowed.delete(i.callID);
      const out = typeof o?.output === 'string' ? o.output.slice(0, MAX_TEXT) : null;
      const exit = o?.metadata?.exit;
      const r = await client.send('ToolResult', 'observe', { sessionID: i?.sessionID, callID: i?.callID, tool: i?.tool, args: i?.args ?? null, output: out, title: o?.title, exit: typeof exit === 'number' ? exit : null });
      if (r.code !== 0 && r.text.trim() && typeof o?.output === 'string') o.output = `${o.output}\n${r.text.trim()}`;
    },
    event: async ({ event }: { event?: { type?: string; properties?: any } }) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const p = event?.properties ?? {};
      switch (event?.type) {
        case 'session.created':
          observe('Session', { sessionID: p.info?.id, parentID: p.info?.parentID ?? null, directory: p.info?.directory });
          return;
        case 'message.updated': {
          const m = p.info ?? {};
          if (typeof m.id === 'string' && typeof m.role === 'string') roles.set(m.id, m.role);
          if (m.role !== 'assistant' || !m.time?.completed || ended.has(m.id)) return;
          ended.add(m.id);
          observe('MessageEnd', { sessionID: m.sessionID, message: slimMessage(m) });
          return;
        }
        case 'message.part.updated': {
          const part = p.part ?? {};
          if (part.type !== 'text' || part.synthetic || !part.time?.end || roles.get(part.messageID) !== 'assistant') return;
          observe('Text', { sessionID: part.sessionID, messageID: part.messageID, partID: part.id, text: String(part.text ?? '').slice(0, MAX_TEXT) });
          return;
        }
        case 'session.idle':
          observe('Idle', { sessionID: p.sessionID });
          return;
        case 'session.error':
          observe('SessionError', { sessionID: p.sessionID, error: p.error ? { name: p.error.name, message: p.error.data?.message } : null });
          return;
        case 'permission.asked': {
          const callID = p.tool?.callID;
          const answered = typeof callID === 'string' && allowed.has(callID) && (await replyPermission(input.client, p.id, p.sessionID));
          observe('PermissionAsked', { sessionID: p.sessionID, id: p.id, permission: p.permission, patterns: p.patterns, callID: callID ?? null, answered });
          return;
        }
        default:
          return;
      }
    },
  };
  return { client, hooks };
}
