// What each wire encoder provides, plus the small helpers they share.
import { randomBytes } from 'node:crypto';
import type { Api, ResolvedAnswer } from './script.js';

/** What the conversation logic needs to know about a turn request. */
export interface ParsedTurn {
  model?: string;
  stream: boolean;
  hasTools: boolean;
  /** Text parts of the last user message, raw (script.ts strips the noise). */
  userTexts: string[];
  toolResultIds: string[];
  /** Names of the tools the request offers (a namespace's tools by their own names too). */
  toolNames: string[];
}

/** SSE frames of one streamed answer; frames before `holdAfter` go out before a gate holds. */
export interface Streamed {
  frames: string[];
  holdAfter: number;
}

export interface Codec {
  api: Api;
  newToolId(): string;
  /** `path` (no query) matters where the model and streaming are in it (Gemini). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  parse(body: any, path?: string): ParsedTurn;
  stream(answer: ResolvedAnswer, model: string): Streamed;
  json(answer: ResolvedAnswer, model: string): unknown;
  error(status: number, type: string | undefined, message: string): unknown;
  /** A count_tokens answer in this API's shape (default: Anthropic's `{input_tokens}`). */
  countTokens?(tokens: number): unknown;
  /** Extra response headers (request ids the real services send). */
  headers(): Record<string, string>;
}

/** One SSE frame; `event` null gives a data-only frame (Chat Completions style). */
export function sse(event: string | null, data: unknown): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return (event ? `event: ${event}\n` : '') + `data: ${payload}\n\n`;
}

/** Splits s into up to n non-empty pieces of near-equal length, so clients must reassemble. */
export function split(s: string, n: number): string[] {
  if (s.length === 0) return [];
  const size = Math.ceil(s.length / Math.min(n, s.length));
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random id like the real services' (prefix + alphanumerics); unique across test runs. */
export function randomId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let s = '';
  for (const b of bytes) s += ALNUM[b % ALNUM.length];
  return prefix + s;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The name a request's Responses `tool_search` tool goes by here, and a tool use that calls it. */
export const TOOL_SEARCH = 'tool_search';

/** Tool names in a request's `tools` (Anthropic / Responses `name`, Chat `function.name`, namespaces' tools as `ns/name`). */
export function toolNamesOf(tools: unknown): string[] {
  if (!Array.isArray(tools)) return [];
  const out: string[] = [];
  for (const t of tools) {
    if (!t || typeof t !== 'object') continue;
    const name = typeof t.name === 'string' ? t.name : typeof t.function?.name === 'string' ? t.function.name : undefined;
    if (name) out.push(name);
    // Codex's client-side tool search (Responses `{type: "tool_search"}`): named by its type.
    else if (t.type === 'tool_search') out.push(TOOL_SEARCH);
    // A Responses namespace (Codex: `mcp__omni` holding `omni_agents`): its tools as `<namespace>/<name>`.
    if (Array.isArray(t.tools)) out.push(...toolNamesOf(t.tools).map((n) => (name ? `${name}/${n}` : n)));
  }
  return out;
}

/** Text of a content that is either a string or an array of typed parts. */
export function textParts(content: unknown, types: string[]): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  const out: string[] = [];
  for (const part of content) {
    if (part && typeof part === 'object' && types.includes(part.type) && typeof part.text === 'string') {
      out.push(part.text);
    }
  }
  return out;
}
