// Anthropic Messages API encoder: POST /v1/messages, streamed or not.
import { randomId, sse, split, textParts, type Codec, type ParsedTurn, type Streamed, toolNamesOf } from './codec.js';
import type { ResolvedAnswer, Usage } from './script.js';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function wireUsage(u: Usage, outputTokens = u.output_tokens) {
  return {
    input_tokens: u.input_tokens,
    cache_creation_input_tokens: u.cache_creation_input_tokens,
    cache_read_input_tokens: u.cache_read_input_tokens,
    output_tokens: outputTokens,
  };
}

function stopReason(a: ResolvedAnswer): 'tool_use' | 'end_turn' {
  return a.toolUses.length > 0 ? 'tool_use' : 'end_turn';
}

function blocks(a: ResolvedAnswer) {
  const out: unknown[] = [];
  if (a.text || a.toolUses.length === 0) out.push({ type: 'text', text: a.text });
  for (const t of a.toolUses) out.push({ type: 'tool_use', id: t.id, name: t.name, input: t.input });
  return out;
}

export const anthropic: Codec = {
  api: 'anthropic',

  newToolId: () => randomId('toolu_01'),

  parse(body): ParsedTurn {
    const messages: unknown[] = Array.isArray(body?.messages) ? body.messages : [];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const lastUser = [...messages].reverse().find((m: any) => m?.role === 'user') as any;
    const content = lastUser?.content;
    const toolResultIds: string[] = [];
    if (Array.isArray(content)) {
      for (const b of content) {
        if (b?.type === 'tool_result' && typeof b.tool_use_id === 'string') toolResultIds.push(b.tool_use_id);
      }
    }
    return {
      model: typeof body?.model === 'string' ? body.model : undefined,
      stream: body?.stream === true,
      hasTools: Array.isArray(body?.tools) && body.tools.length > 0,
      userTexts: textParts(content, ['text']),
      toolResultIds,
      toolNames: toolNamesOf(body?.tools),
    };
  },

  stream(a, model): Streamed {
    const frames: string[] = [];
    const ev = (type: string, data: object) => frames.push(sse(type, { type, ...data }));
    ev('message_start', {
      message: {
        id: randomId('msg_01'),
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        // The real API reports a token or so here and the final count in message_delta.
        usage: wireUsage(a.usage, Math.min(1, a.usage.output_tokens)),
      },
    });
    ev('ping', {});
    let holdAfter = frames.length;
    let index = 0;
    if (a.text || a.toolUses.length === 0) {
      ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
      split(a.text, 3).forEach((text, i) => {
        ev('content_block_delta', { index, delta: { type: 'text_delta', text } });
        if (i === 0) holdAfter = frames.length;
      });
      ev('content_block_stop', { index });
      index++;
    }
    for (const t of a.toolUses) {
      ev('content_block_start', { index, content_block: { type: 'tool_use', id: t.id, name: t.name, input: {} } });
      // The real API opens with an empty partial_json, then sends the JSON in pieces.
      for (const partial_json of ['', ...split(JSON.stringify(t.input), 3)]) {
        ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
      }
      ev('content_block_stop', { index });
      index++;
    }
    ev('message_delta', {
      delta: { stop_reason: stopReason(a), stop_sequence: null },
      usage: wireUsage(a.usage),
    });
    ev('message_stop', {});
    return { frames, holdAfter };
  },

  json(a, model) {
    return {
      id: randomId('msg_01'),
      type: 'message',
      role: 'assistant',
      model,
      content: blocks(a),
      stop_reason: stopReason(a),
      stop_sequence: null,
      usage: wireUsage(a.usage),
    };
  },

  error(status, type, message) {
    return { type: 'error', error: { type: type ?? ERROR_TYPES[status] ?? 'api_error', message } };
  },

  headers: () => ({ 'request-id': randomId('req_011') }),
};
