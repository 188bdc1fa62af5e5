// OpenAI encoders: Responses (POST /v1/responses, Codex; Pi's openai-responses)
// and Chat Completions (POST /v1/chat/completions, Pi's openai-completions).
import { nowSeconds, randomId, sse, split, textParts, type Codec, type ParsedTurn, type Streamed, toolNamesOf } from './codec.js';
import type { ResolvedAnswer, Usage } from './script.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  404: 'invalid_request_error',
  429: 'rate_limit_exceeded',
  500: 'server_error',
  503: 'server_error',
};

function openaiError(status: number, type: string | undefined, message: string) {
  return { error: { message, type: type ?? ERROR_TYPES[status] ?? 'server_error', param: null, code: null } };
}

/** OpenAI counts cached tokens inside input_tokens (see Usage in script.ts). */
function totals(u: Usage) {
  const input = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
  return { input, cached: u.cache_read_input_tokens, output: u.output_tokens, reasoning: u.reasoning_tokens };
}

/** Items after the last thing the assistant said: the latest "user turn" of a conversation list. */
function trailing(items: any[], isAssistant: (item: any) => boolean): any[] {
  let i = items.length;
  while (i > 0 && !isAssistant(items[i - 1])) i--;
  return items.slice(i);
}

// ---------------------------------------------------------------- Responses

function responsesUsage(u: Usage) {
  const t = totals(u);
  return {
    input_tokens: t.input,
    input_tokens_details: { cached_tokens: t.cached },
    output_tokens: t.output,
    output_tokens_details: { reasoning_tokens: t.reasoning },
    total_tokens: t.input + t.output,
  };
}

function responsesItems(a: ResolvedAnswer) {
  const message = a.text || a.toolUses.length === 0
    ? {
        id: randomId('msg_'),
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: a.text, annotations: [] }],
      }
    : null;
  const calls = a.toolUses.map((t) => ({
    id: randomId('fc_'),
    type: 'function_call',
    status: 'completed',
    call_id: t.id,
    name: t.name,
    arguments: JSON.stringify(t.input),
  }));
  return { message, calls };
}

function responseObject(model: string, status: string, output: unknown[], usage: unknown) {
  return { id: randomId('resp_'), object: 'response', created_at: nowSeconds(), status, model, output, usage };
}

export const openaiResponses: Codec = {
  api: 'openai-responses',

  newToolId: () => randomId('call_'),

  parse(body): ParsedTurn {
    const input = body?.input;
    const items: any[] = typeof input === 'string' ? [{ role: 'user', content: input }] : Array.isArray(input) ? input : [];
    const run = trailing(
      items,
      (it) => it?.type === 'function_call' || it?.type === 'reasoning' || it?.role === 'assistant',
    );
    const lastUser = [...run].reverse().find((it) => it?.role === 'user' && (it.type ?? 'message') === 'message');
    return {
      model: typeof body?.model === 'string' ? body.model : undefined,
      stream: body?.stream === true,
      hasTools: Array.isArray(body?.tools) && body.tools.length > 0,
      userTexts: textParts(lastUser?.content, ['input_text', 'text']),
      toolResultIds: run
        .filter((it) => it?.type === 'function_call_output' && typeof it.call_id === 'string')
        .map((it) => it.call_id),
      toolNames: toolNamesOf(body?.tools),
    };
  },

  stream(a, model): Streamed {
    const frames: string[] = [];
    let seq = 0;
    const ev = (type: string, data: object) => frames.push(sse(type, { type, sequence_number: seq++, ...data }));
    const base = responseObject(model, 'in_progress', [], null);
    ev('response.created', { response: base });
    ev('response.in_progress', { response: base });
    let holdAfter = frames.length;
    const { message, calls } = responsesItems(a);
    const output: unknown[] = [];
    if (message) {
      const output_index = output.length;
      const ids = { item_id: message.id, output_index, content_index: 0 };
      ev('response.output_item.added', { output_index, item: { ...message, status: 'in_progress', content: [] } });
      ev('response.content_part.added', { ...ids, part: { type: 'output_text', text: '', annotations: [] } });
      split(a.text, 3).forEach((delta, i) => {
        ev('response.output_text.delta', { ...ids, delta });
        if (i === 0) holdAfter = frames.length;
      });
      ev('response.output_text.done', { ...ids, text: a.text });
      ev('response.content_part.done', { ...ids, part: message.content[0] });
      ev('response.output_item.done', { output_index, item: message });
      output.push(message);
    }
    for (const call of calls) {
      const output_index = output.length;
      ev('response.output_item.added', { output_index, item: { ...call, status: 'in_progress', arguments: '' } });
      for (const delta of split(call.arguments, 3)) {
        ev('response.function_call_arguments.delta', { item_id: call.id, output_index, delta });
      }
      ev('response.function_call_arguments.done', { item_id: call.id, output_index, arguments: call.arguments });
      ev('response.output_item.done', { output_index, item: call });
      output.push(call);
    }
    ev('response.completed', {
      response: { ...base, status: 'completed', output, usage: responsesUsage(a.usage) },
    });
    return { frames, holdAfter };
  },

  json(a, model) {
    const { message, calls } = responsesItems(a);
    return responseObject(model, 'completed', [...(message ? [message] : []), ...calls], responsesUsage(a.usage));
  },

  error: openaiError,
  headers: () => ({ 'x-request-id': randomId('req_') }),
};

// ---------------------------------------------------------------- Chat Completions

function chatUsage(u: Usage) {
  const t = totals(u);
  return {
    prompt_tokens: t.input,
    completion_tokens: t.output,
    total_tokens: t.input + t.output,
    prompt_tokens_details: { cached_tokens: t.cached },
    completion_tokens_details: { reasoning_tokens: t.reasoning },
  };
}

function finishReason(a: ResolvedAnswer) {
  return a.toolUses.length > 0 ? 'tool_calls' : 'stop';
}

export const openaiChat: Codec = {
  api: 'openai-chat',

  newToolId: () => randomId('call_'),

  parse(body): ParsedTurn {
    const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
    const run = trailing(messages, (m) => m?.role === 'assistant');
    const lastUser = [...run].reverse().find((m) => m?.role === 'user');
    return {
      model: typeof body?.model === 'string' ? body.model : undefined,
      stream: body?.stream === true,
      hasTools:
        (Array.isArray(body?.tools) && body.tools.length > 0) ||
        (Array.isArray(body?.functions) && body.functions.length > 0),
      userTexts: textParts(lastUser?.content, ['text']),
      toolResultIds: run
        .filter((m) => m?.role === 'tool' && typeof m.tool_call_id === 'string')
        .map((m) => m.tool_call_id),
      toolNames: toolNamesOf(body?.tools ?? body?.functions),
    };
  },

  stream(a, model): Streamed {
    const base = { id: randomId('chatcmpl-'), object: 'chat.completion.chunk', created: nowSeconds(), model };
    const frames: string[] = [];
    const chunk = (delta: object, finish_reason: string | null = null) =>
      frames.push(sse(null, { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason }] }));
    chunk({ role: 'assistant', content: '' });
    let holdAfter = frames.length;
    split(a.text, 3).forEach((content, i) => {
      chunk({ content });
      if (i === 0) holdAfter = frames.length;
    });
    a.toolUses.forEach((t, index) => {
      chunk({ tool_calls: [{ index, id: t.id, type: 'function', function: { name: t.name, arguments: '' } }] });
      for (const args of split(JSON.stringify(t.input), 3)) {
        chunk({ tool_calls: [{ index, function: { arguments: args } }] });
      }
    });
    chunk({}, finishReason(a));
    // Sent always (the real API only with stream_options.include_usage): cost tests need it.
    frames.push(sse(null, { ...base, choices: [], usage: chatUsage(a.usage) }));
    frames.push(sse(null, '[DONE]'));
    return { frames, holdAfter };
  },

  json(a, model) {
    const tool_calls = a.toolUses.map((t) => ({
      id: t.id,
      type: 'function',
      function: { name: t.name, arguments: JSON.stringify(t.input) },
    }));
    return {
      id: randomId('chatcmpl-'),
      object: 'chat.completion',
      created: nowSeconds(),
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: a.text || null, ...(tool_calls.length ? { tool_calls } : {}) },
          logprobs: null,
          finish_reason: finishReason(a),
        },
      ],
      usage: chatUsage(a.usage),
    };
  },

  error: openaiError,
  headers: () => ({ 'x-request-id': randomId('req_') }),
};
