// Gemini API encoder (Gemini CLI, @google/genai): POST /v1beta/models/{model}:generateContent,
// :streamGenerateContent?alt=sse and :countTokens. The model and whether to stream are in the
// path, not the body; tool calls are `functionCall` parts, their results `functionResponse` parts.
import { randomId, sse, split, type Codec, type ParsedTurn, type Streamed } from './codec.js';
import type { ResolvedAnswer, Usage } from './script.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** `/v1beta/models/gemini-2.5-pro:streamGenerateContent` → model and method (any API version). */
export function geminiPath(path: string): { model: string; method: string } | undefined {
  const m = /^(?:\/v1[a-z0-9]*)?\/models\/([^/:]+):([A-Za-z]+)$/.exec(path.replace(/\/+$/, ''));
  return m ? { model: decodeURIComponent(m[1]!), method: m[2]! } : undefined;
}

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/**
 * Gemini counts cached tokens inside promptTokenCount (cachedContentTokenCount is the cached part)
 * and thinking tokens apart from candidatesTokenCount; Usage counts reasoning inside output_tokens.
 */
function usageMetadata(u: Usage) {
  const prompt = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
  const thoughts = Math.min(u.reasoning_tokens, u.output_tokens);
  const candidates = u.output_tokens - thoughts;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    ...(u.cache_read_input_tokens ? { cachedContentTokenCount: u.cache_read_input_tokens } : {}),
    ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
    totalTokenCount: prompt + u.output_tokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
  };
}

function callPart(t: ResolvedAnswer['toolUses'][number]) {
  return { functionCall: { id: t.id, name: t.name, args: t.input ?? {} } };
}

function candidate(parts: unknown[], finishReason?: string) {
  return { content: { parts, role: 'model' }, ...(finishReason ? { finishReason } : {}), index: 0 };
}

/** The trailing user turn: contents after the model last spoke (a function response is a user turn too). */
function trailingUser(contents: any[]): any[] {
  let i = contents.length;
  while (i > 0 && contents[i - 1]?.role !== 'model') i--;
  return contents.slice(i);
}

export const gemini: Codec = {
  api: 'gemini',

  newToolId: () => randomId('call_', 16),

  parse(body, path = ''): ParsedTurn {
    const contents: any[] = Array.isArray(body?.contents) ? body.contents : [];
    const parts = trailingUser(contents).flatMap((c) => (Array.isArray(c?.parts) ? c.parts : []));
    const declarations = (Array.isArray(body?.tools) ? body.tools : []).flatMap((t: any) =>
      Array.isArray(t?.functionDeclarations) ? t.functionDeclarations : [],
    );
    const target = geminiPath(path);
    return {
      model: target?.model ?? (typeof body?.model === 'string' ? body.model : undefined),
      stream: target?.method === 'streamGenerateContent',
      hasTools: declarations.length > 0,
      // Gemini CLI marks its own context parts (the session's <session_context>) like any text: kept.
      userTexts: parts.filter((p: any) => typeof p?.text === 'string' && !p.thought).map((p: any) => p.text),
      // Gemini CLI answers with the id it was given, prefixed `<tool name>__`.
      toolResultIds: parts
        .map((p: any) => p?.functionResponse)
        .filter((r: any) => r && typeof r.id === 'string')
        .map((r: any) => (typeof r.name === 'string' && r.id.startsWith(`${r.name}__`) ? r.id.slice(r.name.length + 2) : r.id)),
      toolNames: declarations.map((d: any) => d?.name).filter((n: unknown): n is string => typeof n === 'string'),
    };
  },

  stream(a, model): Streamed {
    const responseId = randomId('', 22);
    const frames: string[] = [];
    const chunk = (parts: unknown[], finishReason?: string, usage = a.usage) =>
      frames.push(sse(null, { candidates: [candidate(parts, finishReason)], usageMetadata: usageMetadata(usage), modelVersion: model, responseId }).replace(/\n\n$/, '\r\n\r\n'));
    const pieces = split(a.text, 3);
    // The real service reports the prompt on every chunk and the output so far.
    const early = { ...a.usage, output_tokens: 0, reasoning_tokens: 0 };
    let holdAfter = 0;
    if (pieces.length === 0 && a.toolUses.length === 0) chunk([{ text: '' }], 'STOP');
    pieces.forEach((text, i) => {
      const last = i === pieces.length - 1 && a.toolUses.length === 0;
      chunk([{ text }], last ? 'STOP' : undefined, last ? a.usage : early);
      if (i === 0) holdAfter = frames.length;
    });
    // Function calls arrive whole, in the last chunk, with finishReason STOP.
    if (a.toolUses.length > 0) chunk(a.toolUses.map(callPart), 'STOP');
    return { frames, holdAfter };
  },

  json(a, model) {
    const parts: unknown[] = [];
    if (a.text || a.toolUses.length === 0) parts.push({ text: a.text });
    parts.push(...a.toolUses.map(callPart));
    return { candidates: [candidate(parts, 'STOP')], usageMetadata: usageMetadata(a.usage), modelVersion: model, responseId: randomId('', 22) };
  },

  error(status, type, message) {
    return { error: { code: status, message, status: type ?? STATUS[status] ?? 'INTERNAL' } };
  },

  countTokens: (tokens) => ({ totalTokens: tokens }),

  headers: () => ({}),
};
