// Tests of the fake model server itself, spoken to with plain fetch.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModel, type FakeModel } from './server.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

interface Frame {
  event: string | null;
  data: any;
}

function parseSse(text: string): Frame[] {
  return text
    .split('\n\n')
    .filter((f) => f.trim() !== '')
    .map((f) => {
      const lines = f.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? null;
      const data = lines.find((l) => l.startsWith('data: '))!.slice(6);
      return { event, data: data === '[DONE]' ? data : JSON.parse(data) };
    });
}

const TOOLS = [{ name: 'Bash', description: 'run', input_schema: { type: 'object' } }];

let fake: FakeModel;
beforeEach(async () => {
  fake = await startFakeModel();
});
afterEach(async () => {
  await fake.close();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(fake.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function messages(body: Record<string, unknown>): Promise<Frame[]> {
  const res = await post('/v1/messages?beta=true', { model: 'claude-test', max_tokens: 100, stream: true, tools: TOOLS, ...body });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return parseSse(await res.text());
}

/** A user message; a single string stays a plain string content, as clients send it. */
const user = (...content: unknown[]) => ({
  role: 'user',
  content: content.length === 1 && typeof content[0] === 'string' ? content[0] : content,
});

describe('Anthropic Messages, streaming', () => {
  it('sends a text answer as the real API does, frame by frame', async () => {
    fake.script({ match: 'hello', turns: [{ text: 'Hi there, friend.' }] });
    const res = await post('/v1/messages?beta=true', {
      model: 'claude-test',
      stream: true,
      tools: TOOLS,
      messages: [user({ type: 'text', text: 'hello' })],
    });
    const raw = await res.text();
    expect(raw).toMatch(/^event: message_start\ndata: \{.*\}\n\n/);
    const frames = parseSse(raw);
    expect(frames.map((f) => f.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const f of frames) expect(f.data.type).toBe(f.event);
    const start = frames[0]!.data.message;
    expect(start).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-test', content: [], stop_reason: null });
    expect(start.id).toMatch(/^msg_/);
    expect(start.usage).toEqual({
      input_tokens: 100,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 1,
    });
    expect(frames[2]!.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    const deltas = frames.filter((f) => f.event === 'content_block_delta').map((f) => f.data.delta);
    expect(deltas.every((d) => d.type === 'text_delta')).toBe(true);
    expect(deltas.map((d) => d.text).join('')).toBe('Hi there, friend.');
    expect(frames[7]!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 100, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 20 },
    });
  });

  it('streams tool_use input as partial_json that reassembles, and answers the tool_result with the same script', async () => {
    const input = { command: 'echo "hi there"', description: 'say hi', nested: { a: [1, 2, 3] } };
    const script = fake.script({
      match: 'TOKEN-A',
      turns: [{ text: 'Running it.', toolUses: [{ name: 'Bash', input }] }, { text: 'All done.' }],
    });
    // Would match the follow-up's text, but the tool_result belongs to the first script.
    fake.script({ match: () => true, turns: [{ text: 'wrong script' }] });

    const first = await messages({ messages: [user({ type: 'text', text: 'please TOKEN-A' })] });
    expect(first.map((f) => f.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const toolStart = first[7]!.data;
    expect(toolStart.index).toBe(1);
    expect(toolStart.content_block).toMatchObject({ type: 'tool_use', name: 'Bash', input: {} });
    const toolId: string = toolStart.content_block.id;
    expect(toolId).toMatch(/^toolu_/);
    const parts = first
      .filter((f) => f.event === 'content_block_delta' && f.data.index === 1)
      .map((f) => f.data.delta);
    expect(parts.every((d) => d.type === 'input_json_delta')).toBe(true);
    expect(parts.filter((d) => d.partial_json !== '').length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(parts.map((d) => d.partial_json).join(''))).toEqual(input);
    expect(first[13]!.data.delta.stop_reason).toBe('tool_use');

    const followUp = await messages({
      messages: [
        user({ type: 'text', text: 'please TOKEN-A' }),
        { role: 'assistant', content: [{ type: 'tool_use', id: toolId, name: 'Bash', input }] },
        user(
          { type: 'tool_result', tool_use_id: toolId, content: 'hi there' },
          { type: 'text', text: '<system-reminder>noise</system-reminder>' },
        ),
      ],
    });
    const text = followUp.filter((f) => f.data.delta?.type === 'text_delta').map((f) => f.data.delta.text).join('');
    expect(text).toBe('All done.');
    const captured = fake.requests[1]!;
    expect(captured.servedBy).toBe('followup');
    expect(captured.script).toBe(script);
    expect(captured.toolResultIds).toEqual([toolId]);
    expect(captured.latestUserText).toBe('');
    expect(script.remaining).toBe(0);
    expect(script.served).toHaveLength(2);
  });

  it('serves the fallback when nothing matches, and after a script runs out', async () => {
    fake.script({ match: /tok(en)?-b/i, turns: [{ text: 'scripted' }] });
    const texts = async (t: string) =>
      (await messages({ messages: [user({ type: 'text', text: t })] }))
        .filter((f) => f.data.delta?.type === 'text_delta')
        .map((f) => f.data.delta.text)
        .join('');
    expect(await texts('unrelated')).toBe('OK.');
    expect(await texts('a TOKEN-B here')).toBe('scripted');
    expect(await texts('a TOKEN-B again')).toBe('OK.');
    fake.fallback = { text: 'Fallback two.' };
    expect(await texts('x')).toBe('Fallback two.');
    expect(fake.turns().map((r) => r.servedBy)).toEqual(['fallback', 'script', 'fallback', 'fallback']);
  });

  it('answers tool-less side requests (session title) without consuming scripted turns', async () => {
    const script = fake.script({ match: 'TOKEN-C', turns: [{ text: 'the real answer' }] });
    // Claude Code's title request: same prompt text, tools: [] and a JSON schema output.
    const title = await messages({
      tools: [],
      messages: [user({ type: 'text', text: '<session>\nplease TOKEN-C\n</session>' })],
    });
    const titleText = title.filter((f) => f.data.delta?.type === 'text_delta').map((f) => f.data.delta.text).join('');
    expect(JSON.parse(titleText)).toEqual({ title: 'Fake session' });
    expect(script.remaining).toBe(1);
    expect(fake.requests[0]!.servedBy).toBe('side');

    const real = await messages({ messages: [user('please TOKEN-C')] });
    expect(real.filter((f) => f.data.delta?.type === 'text_delta').map((f) => f.data.delta.text).join('')).toBe(
      'the real answer',
    );
    expect(script.remaining).toBe(0);

    // With the side answer off, tool-less requests are matched like any other.
    fake.sideAnswer = null;
    fake.script({ match: 'TOKEN-D', turns: [{ text: 'no tools needed' }] });
    const plain = await messages({ tools: undefined, messages: [user('TOKEN-D')] });
    expect(plain.filter((f) => f.data.delta?.type === 'text_delta').map((f) => f.data.delta.text).join('')).toBe(
      'no tools needed',
    );
    expect(fake.requests[2]!.servedBy).toBe('script');
  });

  it('uses fixed usage, overridable per answer and by defaultUsage', async () => {
    fake.defaultUsage = { input_tokens: 1000, cache_read_input_tokens: 50 };
    expect(fake.defaultUsage).toEqual({
      input_tokens: 1000,
      output_tokens: 20,
      cache_read_input_tokens: 50,
      cache_creation_input_tokens: 0,
      reasoning_tokens: 0,
    });
    fake.script({ match: 'U', turns: [{ text: 'x', usage: { output_tokens: 7, cache_creation_input_tokens: 3 } }] });
    const frames = await messages({ messages: [user('U')] });
    expect(frames[0]!.data.message.usage).toMatchObject({ input_tokens: 1000, cache_read_input_tokens: 50 });
    expect(frames.find((f) => f.event === 'message_delta')!.data.usage).toEqual({
      input_tokens: 1000,
      cache_creation_input_tokens: 3,
      cache_read_input_tokens: 50,
      output_tokens: 7,
    });
  });
});

describe('Anthropic Messages, other endpoints', () => {
  it('answers stream:false with a plain message', async () => {
    fake.script({ match: 'J', turns: [{ text: 'plain', toolUses: [{ name: 'Read', input: { file_path: '/x' }, id: 'toolu_fixed' }] }] });
    const res = await post('/v1/messages', { model: 'm', tools: TOOLS, messages: [user('J')] });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    const msg: any = await res.json();
    expect(msg).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'm',
      content: [
        { type: 'text', text: 'plain' },
        { type: 'tool_use', id: 'toolu_fixed', name: 'Read', input: { file_path: '/x' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    });
  });

  it('answers HEAD /, GET /, count_tokens, and 404s in Anthropic error shape', async () => {
    expect((await fetch(fake.url + '/', { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(fake.url + '/')).status).toBe(200);
    const count = await post('/v1/messages/count_tokens?beta=true', { model: 'm', messages: [user('hi')] });
    const counted: any = await count.json();
    expect(counted.input_tokens).toBeGreaterThan(0);
    const missing = await post('/v1/nope', {});
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    expect(fake.requests.map((r) => r.kind)).toEqual(['root', 'root', 'count_tokens', 'unknown']);
    expect(fake.turns()).toHaveLength(0);
  });

  it('can answer with a scripted API error', async () => {
    fake.script({ match: 'E', turns: [{ error: { status: 529 } }] });
    const res = await post('/v1/messages', { model: 'm', stream: true, tools: TOOLS, messages: [user('E')] });
    expect(res.status).toBe(529);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });
});

describe('capture and waiting', () => {
  it('captures method, path, query, headers, body and the cleaned latest user text', async () => {
    await messages({
      messages: [
        user('older prompt'),
        { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
        user(
          { type: 'text', text: '<system-reminder>\nCLAUDE.md says things\n</system-reminder>' },
          { type: 'text', text: 'the new prompt' },
        ),
      ],
      system: 'sys',
    });
    const r = fake.requests[0]!;
    expect(r).toMatchObject({
      seq: 0,
      method: 'POST',
      path: '/v1/messages',
      url: '/v1/messages?beta=true',
      api: 'anthropic',
      kind: 'turn',
      model: 'claude-test',
      stream: true,
      hasTools: true,
      latestUserText: 'the new prompt',
      toolResultIds: [],
      servedBy: 'fallback',
      status: 'done',
    });
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body.system).toBe('sys');
    expect(r.answer?.text).toBe('OK.');
  });

  it('waitForRequest resolves on past and future requests, and times out with a listing', async () => {
    const pending = fake.waitForRequest((r) => r.latestUserText === 'later', 2000);
    await messages({ messages: [user('sooner')] });
    await messages({ messages: [user('later')] });
    expect((await pending).seq).toBe(1);
    expect((await fake.waitForRequest((r) => r.latestUserText === 'sooner')).seq).toBe(0);
    await expect(fake.waitForRequest((r) => r.latestUserText === 'never', 50)).rejects.toThrow(/no matching request/);
  });
});

describe('gates', () => {
  it('holds a streamed answer after the first text delta until released', async () => {
    const gate = fake.gate();
    fake.script({ match: 'G', turns: [{ text: 'First part, then the rest.', gate }] });
    const res = await post('/v1/messages', { model: 'm', stream: true, tools: TOOLS, messages: [user('G')] });
    expect(res.status).toBe(200);
    await gate.reached;
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('text_delta')) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended early: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
    // Nothing more arrives while the gate is closed.
    const next = reader.read();
    const raced = await Promise.race([next.then(() => 'data'), new Promise((r) => setTimeout(() => r('held'), 150))]);
    expect(raced).toBe('held');
    expect(fake.requests[0]!.status).toBe('pending');
    const held = parseSse(text);
    expect(held.map((f) => f.event)).toEqual(['message_start', 'ping', 'content_block_start', 'content_block_delta']);

    gate.release();
    expect(gate.isReleased).toBe(true);
    const first = await next;
    text += decoder.decode(first.value, { stream: true });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const all = parseSse(text);
    expect(all.at(-1)!.event).toBe('message_stop');
    expect(all.filter((f) => f.data.delta?.type === 'text_delta').map((f) => f.data.delta.text).join('')).toBe(
      'First part, then the rest.',
    );
    await fake.waitForRequest((r) => r.status === 'done', 1000);
  });

  it('marks a held request aborted when the client hangs up (an interrupt)', async () => {
    const gate = fake.gate();
    fake.script({ match: 'I', turns: [{ toolUses: [{ name: 'Bash', input: {} }], gate }] });
    const ctrl = new AbortController();
    const res = await fetch(fake.url + '/v1/messages', {
      method: 'POST',
      body: JSON.stringify({ model: 'm', stream: true, tools: TOOLS, messages: [user('I')] }),
      signal: ctrl.signal,
    });
    await gate.reached;
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    // A tool-only answer holds right after message_start and ping.
    expect(parseSse(new TextDecoder().decode(value)).map((f) => f.event)).toEqual(['message_start', 'ping']);
    ctrl.abort();
    await expect(reader.read()).rejects.toThrow();
    for (let i = 0; i < 50 && fake.requests[0]!.status !== 'aborted'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fake.requests[0]!.status).toBe('aborted');
    gate.release();
  });

  it('holds a non-streamed answer until released', async () => {
    const gate = fake.gate();
    fake.script({ match: 'N', turns: [{ text: 'late', gate }] });
    let settled = false;
    const res = post('/v1/messages', { model: 'm', tools: TOOLS, messages: [user('N')] }).then((r) => {
      settled = true;
      return r;
    });
    await gate.reached;
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    gate.release();
    expect(((await (await res).json()) as any).content[0].text).toBe('late');
  });
});

describe('OpenAI Responses', () => {
  async function responses(body: Record<string, unknown>): Promise<Frame[]> {
    const res = await post('/v1/responses', { model: 'gpt-test', stream: true, tools: [{ type: 'function', name: 'exec_command' }], ...body });
    expect(res.status).toBe(200);
    return parseSse(await res.text());
  }

  it('streams text and a function call, and answers function_call_output with the same script', async () => {
    const args = { cmd: 'ls -la /tmp' };
    const script = fake.script({
      match: 'TOKEN-R',
      turns: [{ text: 'Listing.', toolUses: [{ name: 'exec_command', input: args }] }, { text: 'Listed.' }],
    });
    const frames = await responses({
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>cwd</environment_context>' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'run TOKEN-R' }] },
      ],
    });
    const events = frames.map((f) => f.event);
    expect(events).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    frames.forEach((f, i) => {
      expect(f.data.type).toBe(f.event);
      expect(f.data.sequence_number).toBe(i);
    });
    const added = frames[10]!.data.item;
    expect(added).toMatchObject({ type: 'function_call', name: 'exec_command', arguments: '' });
    expect(added.call_id).toMatch(/^call_/);
    const argText = frames
      .filter((f) => f.event === 'response.function_call_arguments.delta')
      .map((f) => f.data.delta)
      .join('');
    expect(JSON.parse(argText)).toEqual(args);
    expect(frames[14]!.data.arguments).toBe(argText);
    expect(frames.filter((f) => f.event === 'response.output_text.delta').map((f) => f.data.delta).join('')).toBe('Listing.');
    const completed = frames.at(-1)!.data.response;
    expect(completed.status).toBe('completed');
    expect(completed.output).toHaveLength(2);
    expect(completed.usage).toEqual({
      input_tokens: 100,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 20,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 120,
    });
    expect(fake.requests[0]!.latestUserText).toBe('run TOKEN-R');

    const follow = await responses({
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'run TOKEN-R' }] },
        { type: 'function_call', call_id: added.call_id, name: 'exec_command', arguments: argText },
        { type: 'function_call_output', call_id: added.call_id, output: 'files' },
      ],
    });
    expect(follow.filter((f) => f.event === 'response.output_text.delta').map((f) => f.data.delta).join('')).toBe('Listed.');
    expect(fake.requests[1]).toMatchObject({ api: 'openai-responses', servedBy: 'followup', toolResultIds: [added.call_id] });
    expect(script.remaining).toBe(0);
  });

  it('reports cached tokens inside input_tokens', async () => {
    fake.fallback = { text: 'c', usage: { input_tokens: 10, cache_read_input_tokens: 90, output_tokens: 5, reasoning_tokens: 2 } };
    const frames = await responses({ input: 'hi' });
    expect(frames.at(-1)!.data.response.usage).toEqual({
      input_tokens: 100,
      input_tokens_details: { cached_tokens: 90 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: 105,
    });
  });
});

describe('OpenAI Chat Completions', () => {
  it('streams chunks with tool_calls that reassemble, usage, [DONE], and follows up on role tool', async () => {
    const args = { path: 'README.md' };
    fake.script({ match: 'TOKEN-CC', turns: [{ toolUses: [{ name: 'read', input: args }] }, { text: 'Read it.' }] });
    const chat = async (messages: unknown[]) => {
      const res = await post('/v1/chat/completions', {
        model: 'gpt-chat',
        stream: true,
        tools: [{ type: 'function', function: { name: 'read' } }],
        messages,
      });
      expect(res.status).toBe(200);
      const raw = await res.text();
      expect(raw).not.toMatch(/^event:/m);
      return parseSse(raw);
    };
    const frames = await chat([
      { role: 'system', content: 'sys' },
      { role: 'user', content: [{ type: 'text', text: 'go TOKEN-CC' }] },
    ]);
    expect(frames.at(-1)!.data).toBe('[DONE]');
    const chunks = frames.slice(0, -1).map((f) => f.data);
    for (const c of chunks) expect(c).toMatchObject({ object: 'chat.completion.chunk', model: 'gpt-chat' });
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'read', arguments: '' } });
    const id: string = calls[0].id;
    expect(id).toMatch(/^call_/);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(JSON.parse(calls.map((c) => c.function.arguments).join(''))).toEqual(args);
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish.choices[0].finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120, prompt_tokens_details: { cached_tokens: 0 } },
    });

    const follow = await chat([
      { role: 'user', content: 'go TOKEN-CC' },
      { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'read', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: id, content: 'readme text' },
    ]);
    const text = follow
      .slice(0, -1)
      .map((f) => f.data.choices[0]?.delta.content ?? '')
      .join('');
    expect(text).toBe('Read it.');
    expect(follow.find((f) => f.data.choices?.[0]?.finish_reason)!.data.choices[0].finish_reason).toBe('stop');
    expect(fake.requests[1]).toMatchObject({ api: 'openai-chat', servedBy: 'followup', toolResultIds: [id] });
  });

  it('also routes paths without the /v1 prefix and answers stream:false', async () => {
    const res = await post('/chat/completions', { model: 'g', tools: [{ type: 'function' }], messages: [{ role: 'user', content: 'x' }] });
    const body: any = await res.json();
    expect(body).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { role: 'assistant', content: 'OK.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 100, completion_tokens: 20 },
    });
  });
});

describe('Gemini generateContent', () => {
  const decls = { functionDeclarations: [{ name: 'run_shell_command', description: 'run', parametersJsonSchema: { type: 'object' } }] };
  const gen = (model: string, method: string, body: unknown, query = '') => post(`/v1beta/models/${model}:${method}${query}`, body);

  it('streams SSE chunks (model from the path) with a whole functionCall, and follows up on its functionResponse', async () => {
    const args = { command: 'echo hi' };
    fake.script({ match: 'TOKEN-GM', turns: [{ text: 'Running it.', toolUses: [{ name: 'run_shell_command', input: args }] }, { text: 'Done it.' }] });
    const res = await gen('gemini-2.5-pro', 'streamGenerateContent', {
      contents: [{ role: 'user', parts: [{ text: 'go TOKEN-GM' }] }],
      systemInstruction: { role: 'user', parts: [{ text: 'sys' }] },
      tools: [decls],
    }, '?alt=sse');
    expect(res.status).toBe(200);
    const raw = await res.text();
    // @google/genai splits frames on a blank line (the service sends \r\n\r\n).
    expect(raw).toMatch(/^data: \{.*\}\r\n\r\n/);
    const chunks = parseSse(raw.replace(/\r\n/g, '\n')).map((f) => f.data);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) expect(c).toMatchObject({ modelVersion: 'gemini-2.5-pro', candidates: [{ content: { role: 'model' }, index: 0 }] });
    const parts = chunks.flatMap((c) => c.candidates[0].content.parts);
    expect(parts.filter((p) => 'text' in p).map((p) => p.text).join('')).toBe('Running it.');
    const call = parts.find((p) => p.functionCall).functionCall;
    expect(call).toMatchObject({ name: 'run_shell_command', args });
    expect(chunks.at(-1)).toMatchObject({
      candidates: [{ finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 20, totalTokenCount: 120 },
    });
    expect(fake.requests[0]).toMatchObject({ api: 'gemini', model: 'gemini-2.5-pro', stream: true, hasTools: true, toolNames: ['run_shell_command'] });

    // Gemini CLI sends the id back as `<name>__<id>`.
    const follow = await gen('gemini-2.5-pro', 'streamGenerateContent', {
      contents: [
        { role: 'user', parts: [{ text: 'go TOKEN-GM' }] },
        { role: 'model', parts: [{ functionCall: { ...call, id: `run_shell_command__${call.id}` } }] },
        { role: 'user', parts: [{ functionResponse: { id: `run_shell_command__${call.id}`, name: 'run_shell_command', response: { output: 'hi' } } }] },
      ],
      tools: [decls],
    }, '?alt=sse');
    const text = parseSse((await follow.text()).replace(/\r\n/g, '\n')).flatMap((f) => f.data.candidates[0].content.parts).map((p: any) => p.text).join('');
    expect(text).toBe('Done it.');
    expect(fake.requests[1]).toMatchObject({ servedBy: 'followup', toolResultIds: [call.id] });
  });

  it('answers generateContent in one JSON, reports cached and thinking tokens, countTokens and errors in Gemini shape', async () => {
    fake.script({ match: 'TOKEN-GJ', turns: [{ text: 'Plain.', usage: { input_tokens: 50, cache_read_input_tokens: 30, output_tokens: 12, reasoning_tokens: 4 } }] });
    const res = await gen('gemini-2.5-flash', 'generateContent', { contents: [{ role: 'user', parts: [{ text: 'TOKEN-GJ' }] }], tools: [decls] });
    const body: any = await res.json();
    expect(body).toMatchObject({
      candidates: [{ content: { role: 'model', parts: [{ text: 'Plain.' }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 80, cachedContentTokenCount: 30, candidatesTokenCount: 8, thoughtsTokenCount: 4, totalTokenCount: 92 },
      modelVersion: 'gemini-2.5-flash',
    });
    expect(fake.requests[0]).toMatchObject({ stream: false, latestUserText: 'TOKEN-GJ' });

    const count: any = await (await gen('gemini-2.5-flash', 'countTokens', { contents: [{ role: 'user', parts: [{ text: 'abcdefgh' }] }] })).json();
    expect(count.totalTokens).toBeGreaterThan(0);

    fake.script({ match: 'TOKEN-GE', turns: [{ error: { status: 429 } }] });
    const err = await gen('gemini-2.5-pro', 'generateContent', { contents: [{ role: 'user', parts: [{ text: 'TOKEN-GE' }] }], tools: [decls] });
    expect(err.status).toBe(429);
    expect(await err.json()).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } });
  });

  it('serves tool-less side requests the side answer', async () => {
    fake.script({ match: 'TOKEN-GS', turns: [{ text: 'scripted' }] });
    const res = await gen('gemini-2.5-flash-lite', 'generateContent', { contents: [{ role: 'user', parts: [{ text: 'TOKEN-GS title?' }] }] });
    expect(((await res.json()) as any).candidates[0].content.parts[0].text).toBe('{"title":"Fake session"}');
    expect(fake.requests[0]!.servedBy).toBe('side');
  });
});

describe('MCP tool calls', () => {
  const mcpTools = (names: string[]) => names.map((name) => ({ name, description: 'x', input_schema: { type: 'object' } }));

  it("searches first over Chat Completions when the MCP tool hides behind Qwen Code's tool_search ({query, max_results})", async () => {
    fake.script({ match: 'TOKEN-QS', turns: [{ toolUses: [{ mcp: 'omni_agents', input: {} }] }, { text: 'done' }] });
    const res = await post('/v1/chat/completions', { model: 'g', tools: [{ type: 'function', function: { name: 'tool_search' } }], messages: [{ role: 'user', content: 'TOKEN-QS' }] });
    const body: any = await res.json();
    const call = body.choices[0].message.tool_calls[0];
    expect(call.function.name).toBe('tool_search');
    expect(JSON.parse(call.function.arguments)).toEqual({ query: 'omni_agents', max_results: 10 });
  });

  it("then calls it through Qwen Code's tool_call once a tool result has shown its declaration", async () => {
    const script = fake.script({ match: 'TOKEN-QC', turns: [{ toolUses: [{ mcp: 'omni_agents', input: { a: 1 } }] }, { text: 'done' }] });
    const tools = [{ type: 'function', function: { name: 'tool_search' } }, { type: 'function', function: { name: 'tool_call' } }];
    const first: any = await (await post('/v1/chat/completions', { model: 'g', tools, messages: [{ role: 'user', content: 'TOKEN-QC' }] })).json();
    const search = first.choices[0].message.tool_calls[0];
    expect(search.function.name).toBe('tool_search');
    const shown = '<functions>\n<function>{"name":"mcp__omni__omni_agents","description":"x"}</function>\n</functions>';
    const second: any = await (
      await post('/v1/chat/completions', {
        model: 'g',
        tools,
        messages: [{ role: 'user', content: 'TOKEN-QC' }, { role: 'assistant', tool_calls: [search] }, { role: 'tool', tool_call_id: search.id, content: [{ type: 'text', text: shown }] }],
      })
    ).json();
    const call = second.choices[0].message.tool_calls[0];
    expect(call.function.name).toBe('tool_call');
    expect(JSON.parse(call.function.arguments)).toEqual({ name: 'mcp__omni__omni_agents', arguments: { a: 1 } });
    expect(script.remaining).toBe(1);
  });
  const toolUse = (frames: Frame[]) => frames.find((f) => f.event === 'content_block_start' && f.data.content_block.type === 'tool_use')?.data.content_block;

  it("resolves a script's MCP tool by the request's naming: Claude's mcp__omni__…, Pi's bare name, Chat's function name", async () => {
    fake.script({ match: 'AGENTS', turns: [{ toolUses: [{ mcp: 'omni_agents', input: {} }] }, { toolUses: [{ mcp: 'omni_agents', input: {} }] }, { toolUses: [{ mcp: 'omni_agents', input: {} }] }] });
    const claude = toolUse(await messages({ tools: mcpTools(['Bash', 'mcp__other__omni_agents_x', 'mcp__omni__omni_agents']), messages: [user('list AGENTS')] }));
    expect(claude.name).toBe('mcp__omni__omni_agents');
    const pi = toolUse(await messages({ tools: mcpTools(['bash', 'omni_agents']), messages: [user('list AGENTS')] }));
    expect(pi.name).toBe('omni_agents');
    const res = await post('/v1/chat/completions', {
      model: 'gpt-test',
      stream: false,
      tools: [{ type: 'function', function: { name: 'omni_agents', parameters: { type: 'object' } } }],
      messages: [{ role: 'user', content: 'list AGENTS' }],
    });
    const body = (await res.json()) as any;
    expect(body.choices[0].message.tool_calls[0].function.name).toBe('omni_agents');
    expect(fake.turns().map((r) => r.toolNames.length)).toEqual([3, 2, 1]);
  });

  it('answers a prompt line `MCP-CALL <tool> <json>` with that call, then a short text turn after its result', async () => {
    const first = toolUse(await messages({ tools: mcpTools(['Bash', 'mcp__omni__omni_spawn']), messages: [user('do this\nMCP-CALL omni_spawn {"harness":"pi","prompt":"hi"}\nthanks')] }));
    expect(first).toMatchObject({ name: 'mcp__omni__omni_spawn' });
    expect(fake.turns()[0]!.servedBy).toBe('script');
    expect(fake.turns()[0]!.answer!.toolUses[0]!.input).toEqual({ harness: 'pi', prompt: 'hi' });
    const second = await messages({
      tools: mcpTools(['Bash', 'mcp__omni__omni_spawn']),
      messages: [
        user('MCP-CALL omni_spawn {"harness":"pi","prompt":"hi"}'),
        { role: 'assistant', content: [{ type: 'tool_use', id: first.id, name: first.name, input: {} }] },
        user({ type: 'tool_result', tool_use_id: first.id, content: '{"session":"s_1"}' }),
      ],
    });
    expect(toolUse(second)).toBeUndefined();
    expect(fake.turns()[1]!.servedBy).toBe('followup');
    expect(fake.turns()[1]!.answer!.text).toBe('MCP-CALL omni_spawn done.');
    // Bad JSON, or no tools offered: not a call.
    await messages({ tools: mcpTools(['Bash']), messages: [user('MCP-CALL omni_spawn {bad')] });
    expect(fake.turns()[2]!.servedBy).toBe('fallback');
    // A script that matches wins over the line.
    fake.script({ match: 'SCRIPTED', turns: [{ text: 'scripted' }] });
    await messages({ tools: mcpTools(['Bash']), messages: [user('SCRIPTED\nMCP-CALL omni_agents')] });
    expect(fake.turns()[3]!.answer!.text).toBe('scripted');
  });
});
