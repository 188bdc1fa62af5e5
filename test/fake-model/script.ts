// The wire-independent half of the fake model: what an answer is, how a request
// picks one, gates. The encoders (anthropic.ts, openai.ts, gemini.ts) only turn a resolved
// answer into bytes, so every API shares one conversation logic.
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Token counts, named and meant as in Anthropic's API: `input_tokens` excludes
 * cached tokens. The OpenAI encoders report input = input + cache read + cache
 * creation and cached = cache read, so one answer is the same spend on every wire.
 */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  /** OpenAI only (output_tokens_details.reasoning_tokens); counted inside output_tokens. */
  reasoning_tokens: number;
}

export const BASE_USAGE: Readonly<Usage> = Object.freeze({
  input_tokens: 100,
  output_tokens: 20,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
  reasoning_tokens: 0,
});

export interface ToolUseSpec {
  /** The tool's name on the wire (one of name and mcp). */
  name?: string;
  /**
   * An MCP tool by its own name (e.g. `omni_spawn`), resolved against the request's `tools`:
   * the exact name, else the one ending in `__<mcp>` (Claude: `mcp__omni__omni_spawn`), else the
   * one ending in `<mcp>`; Codex's namespaced `mcp__omni/omni_spawn` is sent as `namespace` +
 * `name`. So one script serves every harness's naming.
   */
  mcp?: string;
  input: unknown;
  /** Default: a fresh id in the API's style (toolu_… / call_…). */
  id?: string;
}

export interface Answer {
  text?: string;
  toolUses?: ToolUseSpec[];
  usage?: Partial<Usage>;
  /** Wait this long before sending anything (headers included). */
  delayMs?: number;
  /** Hold the response open (after the first event, and the first text delta if any) until released. */
  gate?: Gate;
  /** Answer with an API error instead (e.g. 529 overloaded, 429 rate limit). */
  error?: { status: number; type?: string; message?: string };
}

export type Api = 'anthropic' | 'openai-responses' | 'openai-chat' | 'gemini';
export type Kind = 'turn' | 'count_tokens' | 'root' | 'unknown';
export type ServedBy = 'followup' | 'script' | 'fallback' | 'side';

/** An answer with ids assigned and usage filled in: exactly what went on the wire. */
export interface ResolvedAnswer {
  text: string;
  toolUses: { id: string; name: string; input: unknown }[];
  usage: Usage;
}

export interface CapturedRequest {
  /** 0-based arrival order on this server. */
  seq: number;
  method: string;
  /** Path without the query string (Claude Code sends /v1/messages?beta=true). */
  path: string;
  /** Path with the query string, as received. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined when there was none or it did not parse. `any` so tests can poke at it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  api: Api | null;
  kind: Kind;
  model?: string;
  stream: boolean;
  hasTools: boolean;
  /** Text blocks of the last user message, system-reminder style noise removed, joined by "\n". */
  latestUserText: string;
  /** tool_use ids answered by the last user message (tool_result / function_call_output / role tool). */
  toolResultIds: string[];
  /** Names of the tools the request offers. */
  toolNames: string[];
  /** How the answer was chosen (turn requests only). */
  servedBy: ServedBy | null;
  script?: Script;
  answer?: ResolvedAnswer;
  /** pending while the response is being written; aborted if the client went away first. */
  status: 'pending' | 'done' | 'aborted';
}

// ---------------------------------------------------------------- gates

export interface Gate {
  /** Resolves once release() is called. */
  readonly released: Promise<void>;
  /** Resolves once a response has been parked at this gate (i.e. the turn is visibly in progress). */
  readonly reached: Promise<void>;
  readonly isReleased: boolean;
  release(): void;
}

export interface InternalGate extends Gate {
  markReached(): void;
}

export function createGate(): InternalGate {
  let release!: () => void;
  let markReached!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const reached = new Promise<void>((r) => (markReached = r));
  const gate = {
    released,
    reached,
    isReleased: false,
    release() {
      gate.isReleased = true;
      release();
    },
    markReached: () => markReached(),
  };
  return gate;
}

// ---------------------------------------------------------------- scripts

export type Matcher = string | RegExp | ((req: CapturedRequest) => boolean);

export interface ScriptSpec {
  /** A token found in the latest user text, a RegExp tested against it, or a predicate. */
  match: Matcher;
  /** Answers, served in order: the first on a match, the next on each tool_result follow-up or further match. */
  turns: Answer[];
  name?: string;
}

let scriptCounter = 0;

export class Script {
  readonly name: string;
  readonly match: Matcher;
  /** Requests this script answered, in order. */
  readonly served: CapturedRequest[] = [];
  /** Tool-use ids this script handed out; a tool_result for one of them gets this script's next turn. */
  readonly issuedToolIds = new Set<string>();
  private readonly queue: Answer[];

  constructor(spec: ScriptSpec) {
    this.match = spec.match;
    this.queue = [...spec.turns];
    this.name = spec.name ?? `script-${++scriptCounter}`;
  }

  get remaining(): number {
    return this.queue.length;
  }

  matches(req: CapturedRequest): boolean {
    const m = this.match;
    if (typeof m === 'string') return req.latestUserText.includes(m);
    if (m instanceof RegExp) {
      m.lastIndex = 0; // a /g or /y regex keeps state between test() calls
      return m.test(req.latestUserText);
    }
    return m(req);
  }

  next(): Answer | undefined {
    return this.queue.shift();
  }

  /** Serve `a` again next (its turn was replaced by a search for a tool it needs). */
  putBack(a: Answer): void {
    this.queue.unshift(a);
  }
}

export interface Choice {
  answer: Answer;
  servedBy: ServedBy;
  script?: Script;
}

/**
 * Picks the answer for a turn request. Order matters:
 * 1. tool-less side requests (Claude's session title etc.) never touch scripts;
 * 2. a tool result for an id a script issued gets that script's next turn;
 * 3. the first script that matches and still has turns;
 * 4. the fallback.
 */
export function choose(
  req: CapturedRequest,
  scripts: readonly Script[],
  fallback: Answer,
  side: Answer | null,
): Choice {
  if (!req.hasTools && side) return { answer: side, servedBy: 'side' };
  // Codex asks for a thread title with tools attached and the user's prompt quoted: a side
  // request all the same, which must not eat the turn scripted for that prompt.
  if (side && /^Generate a concise, single-line task title/.test(req.latestUserText)) return { answer: side, servedBy: 'side' };
  for (const id of req.toolResultIds) {
    const owner = scripts.find((s) => s.issuedToolIds.has(id));
    if (!owner) continue;
    const answer = owner.next();
    // An exhausted owner gets the fallback rather than some other script's turn.
    return answer ? { answer, servedBy: 'followup', script: owner } : { answer: fallback, servedBy: 'fallback' };
  }
  for (const script of scripts) {
    if (script.remaining > 0 && script.matches(req)) {
      return { answer: script.next()!, servedBy: 'script', script };
    }
  }
  return { answer: fallback, servedBy: 'fallback' };
}

// Agents wrap context into the user message (Claude's <system-reminder>, Codex's
// <environment_context>); it is not what the user typed, so matching ignores it.
const NOISE = /<(system-reminder|environment_context|user_instructions|turn_aborted|session_context)>[\s\S]*?<\/\1>/g;

export function cleanUserText(parts: string[]): string {
  return parts
    .map((p) => p.replace(NOISE, '').trim())
    .filter((p) => p.length > 0)
    .join('\n');
}

// ---------------------------------------------------------------- MCP tools

/** The wire name of MCP tool `mcp` among a request's tools (undefined: the request does not offer it). */
export function resolveMcpName(mcp: string, toolNames: readonly string[]): string | undefined {
  return toolNames.find((n) => n === mcp) ?? toolNames.find((n) => n.endsWith(`__${mcp}`) || n.endsWith(`/${mcp}`)) ?? toolNames.find((n) => n.endsWith(mcp));
}

/**
 * "When the prompt says so": a line `MCP-CALL <tool> <json>` in the latest user text asks for
 * that MCP tool call (the JSON its input, `{}` when absent), then a short text turn once its
 * result is back. Undefined when no such line is there or its JSON does not parse.
 */
export function mcpCallFromPrompt(text: string): ScriptSpec | undefined {
  const m = /^\s*MCP-CALL\s+([A-Za-z0-9_.-]+)(?:\s+(.*))?$/m.exec(text);
  if (!m) return undefined;
  let input: unknown = {};
  if (m[2]?.trim()) {
    try {
      input = JSON.parse(m[2]);
    } catch {
      return undefined;
    }
  }
  const tool = m[1]!;
  return { name: `mcp-call:${tool}`, match: () => false, turns: [{ toolUses: [{ mcp: tool, input }] }, { text: `MCP-CALL ${tool} done.` }] };
}

/**
 * Claude Code offers MCP tools of a server that is still connecting through its `ToolSearch`
 * tool (which waits for them), as it tells the model; Codex offers every MCP tool only through
 * its `tool_search`. A model that needs such a tool searches
 * first: this is that call, or undefined when the answer's MCP tools are all offered (or there
 * is no ToolSearch to ask).
 */
export function toolSearchFirst(a: Answer, toolNames: readonly string[], api?: Api | null): Answer | undefined {
  const missing = (a.toolUses ?? []).filter((t) => t.mcp && !resolveMcpName(t.mcp, toolNames)).map((t) => t.mcp!);
  if (!missing.length) return undefined;
  if (toolNames.includes('ToolSearch')) return { toolUses: [{ name: 'ToolSearch', input: { query: missing.join(' '), max_results: 10 } }] };
  // Qwen Code 0.24.4 defers MCP tools behind its own `tool_search`, an ordinary Chat Completions function ({query, max_results}).
  if (api === 'openai-chat' && toolNames.includes('tool_search')) return { toolUses: [{ name: 'tool_search', input: { query: missing.join(' '), max_results: 10 } }] };
  // Codex 0.169 offers every MCP tool behind its client-side `tool_search` (openai.ts encodes the call).
  if (toolNames.includes('tool_search')) return { toolUses: [{ name: 'tool_search', input: { query: missing.join(' '), limit: 8 } }] };
  return undefined;
}

/**
 * Qwen Code 0.24.4 keeps MCP tools deferred: its `tool_search` returns their declarations in a
 * `<functions>` block of the tool result, and the model then calls one through
 * `tool_call {name, arguments}`. Once a tool result in the request names the scripted MCP tool,
 * the call goes through `tool_call`; undefined when nothing changes.
 */
export function deferredMcpCall(a: Answer, req: Pick<CapturedRequest, 'toolNames' | 'body'>): Answer | undefined {
  if (!req.toolNames.includes('tool_call')) return undefined;
  const messages: Array<{ role?: string; content?: unknown }> = Array.isArray(req.body?.messages) ? req.body.messages : [];
  const shown = messages
    .filter((m) => m.role === 'tool')
    .map((m) => JSON.stringify(m.content ?? ''))
    .flatMap((s) => [...s.matchAll(/\\"name\\":\\"([^"\\]+)\\"/g)].map((x) => x[1]!));
  let changed = false;
  const toolUses = (a.toolUses ?? []).map((t) => {
    if (!t.mcp || resolveMcpName(t.mcp, req.toolNames)) return t;
    const name = resolveMcpName(t.mcp, shown);
    if (!name) return t;
    changed = true;
    return { name: 'tool_call', input: { name, arguments: t.input ?? {} }, ...(t.id ? { id: t.id } : {}) };
  });
  return changed ? { ...a, toolUses } : undefined;
}
