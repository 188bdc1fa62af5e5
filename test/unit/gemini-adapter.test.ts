import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NewEvent, SessionStatus } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { geminiAdapter, toolOk } from '../../src/harnesses/gemini/index.js';
import { detectGeminiScreen, geminiIdleAfterInterrupt, geminiInputReady, geminiInputText } from '../../src/harnesses/gemini/screens.js';
import { geminiNormalize, geminiToolKind } from '../../src/harnesses/gemini/tools.js';
import type { DecisionRequest, IngestCursor, SignalContext, Verdict } from '../../src/harnesses/types.js';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'gemini');
const fixture = (name: string) => fs.readFileSync(path.join(FIX, name), 'utf8');
/** Hook payloads captured from Gemini CLI 0.61.0, in the order it sent them. */
const hooks = fixture('hooks.jsonl').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const hookOf = (event: string, i = 0) => hooks.filter((h) => h.hook_event_name === event)[i]!;

function recorder(verdict: Verdict = { verdict: 'none' }, transcript?: string) {
  const events: NewEvent[] = [];
  const statuses: Array<[SessionStatus, string | undefined]> = [];
  const decisions: DecisionRequest[] = [];
  const session = { id: 's_gemini', name: 't', harness: 'gemini', cwd: '/w', status: 'idle', lastSeq: 0 } as SessionRecord;
  const keys = new Set<string>();
  const seen: IngestCursor = { has: (k) => keys.has(k), add: (k) => void keys.add(k) };
  const inst = geminiAdapter.open(session);
  const ctx: SignalContext = {
    session,
    emit: (ev) => events.push(ev),
    setStatus: (s, reason) => {
      session.status = s;
      statuses.push([s, reason]);
    },
    update: (patch) => {
      Object.assign(session, patch);
      if (transcript) session.transcriptPath = transcript;
    },
    decide: async (req) => {
      decisions.push(req);
      return verdict;
    },
    ingest: () => {},
    flushIngest: async (hint) => {
      await ingestor?.flush(hint);
    },
  };
  const ingestor = transcript ? inst.createIngestor(ctx, seen) : undefined;
  return { ctx, events, statuses, decisions, session, handle: (h: Record<string, unknown>) => inst.handleHook(String(h.hook_event_name), h, ctx) };
}

describe('gemini tools', () => {
  it('names the kinds of its built-in tools', () => {
    expect(geminiToolKind('run_shell_command')).toBe('shell');
    expect(geminiToolKind('write_file')).toBe('write');
    expect(geminiToolKind('replace')).toBe('edit');
    expect(geminiToolKind('read_file')).toBe('read');
    expect(geminiToolKind('grep_search')).toBe('read');
    expect(geminiToolKind('web_fetch')).toBe('web');
    expect(geminiToolKind('mcp_omni_omni_spawn')).toBe('mcp');
    expect(geminiToolKind('write_todos')).toBe('other');
  });

  it('normalizes shell, file and web calls from their input shapes', () => {
    expect(geminiNormalize('run_shell_command', { command: 'ls -la', dir_path: 'sub' }, '/w')).toEqual({ kind: 'shell', script: 'ls -la', cwd: '/w/sub' });
    expect(geminiNormalize('run_shell_command', { command: 'ls' }, '/w')).toEqual({ kind: 'shell', script: 'ls', cwd: '/w' });
    expect(geminiNormalize('write_file', { file_path: '/w/a.txt', content: 'x' })).toEqual({ kind: 'write', paths: { read: [], write: ['/w/a.txt'] } });
    expect(geminiNormalize('replace', { file_path: '/w/b.ts', old_string: 'a', new_string: 'b' })).toEqual({ kind: 'edit', paths: { read: [], write: ['/w/b.ts'] } });
    expect(geminiNormalize('read_file', { file_path: '/etc/hosts' })).toEqual({ kind: 'read', paths: { read: ['/etc/hosts'], write: [] } });
    expect(geminiNormalize('grep_search', { pattern: 'x' })).toEqual({ kind: 'read', searchesCwd: true });
    expect(geminiNormalize('web_fetch', { prompt: 'summarize https://example.com/a please' })).toEqual({ kind: 'web', url: 'https://example.com/a' });
  });

  it('reads a failed result from `error` or a non-zero exit code', () => {
    const after = hookOf('AfterTool');
    expect(toolOk(after.tool_response)).toBe(true);
    expect(toolOk({ llmContent: 'Output: x\nExit Code: 1\nProcess Group PGID: 3' })).toBe(false);
    expect(toolOk({ llmContent: 'Tool execution blocked', error: { message: 'x' } })).toBe(false);
  });
});

describe('gemini hooks', () => {
  it('turns a prompt, a tool call and its result, and the turn end into events (captured payloads)', async () => {
    const r = recorder();
    expect(await r.handle(hookOf('BeforeAgent'))).toEqual({});
    expect(r.events[0]).toEqual({ type: 'message.user', data: { text: 'please CRASH1 now' } });
    expect(r.session.harnessSessionId).toBe('e62ee7b0-d56a-450a-9034-45d53b613ff6');
    // No opinion from omni on a command: Gemini's own question, as without omni.
    expect(JSON.parse((await r.handle(hookOf('BeforeTool'))).stdout!)).toEqual({ decision: 'ask' });
    expect(r.events[1]).toMatchObject({ type: 'tool.call', data: { tool: 'run_shell_command', kind: 'shell', input: { command: 'echo CRASHME' } } });
    expect(r.decisions[1]).toMatchObject({ phase: 'tool_call', call: { kind: 'shell', script: 'echo CRASHME', cwd: '/tmp/gprobe/proj' } });
    await r.handle(hookOf('AfterTool'));
    const call = r.events[1] as NewEvent<'tool.call'>;
    expect(r.events[2]).toMatchObject({ type: 'tool.result', data: { callId: call.data.callId, tool: 'run_shell_command', ok: true } });
    await r.handle(hookOf('AfterAgent'));
    expect(r.statuses.at(-1)).toEqual(['idle', undefined]);
  });

  it('an omni allow says nothing (omni\'s policy file lets it run unasked); no opinion on a read says nothing either', async () => {
    expect(await recorder({ verdict: 'allow' }).handle(hookOf('BeforeTool'))).toEqual({});
    const read = { ...hookOf('BeforeTool'), tool_name: 'read_file', tool_input: { file_path: '/tmp/gprobe/proj/a.txt' } };
    expect(await recorder().handle(read)).toEqual({});
  });

  it('denies with the reason as Gemini reads it, for a deny and for an ask that could not be held', async () => {
    const deny = recorder({ verdict: 'deny', reason: 'not here' });
    expect(JSON.parse((await deny.handle(hookOf('BeforeTool'))).stdout!)).toEqual({ decision: 'deny', reason: 'not here' });
    expect(JSON.parse((await deny.handle(hookOf('BeforeAgent'))).stdout!)).toEqual({ decision: 'deny', reason: 'not here' });
    const ask = recorder({ verdict: 'ask' });
    expect(JSON.parse((await ask.handle(hookOf('BeforeTool'))).stdout!).decision).toBe('deny');
  });

  it('pairs results with calls by tool and input when several are pending', async () => {
    const r = recorder();
    const before = hookOf('BeforeTool');
    const other = { ...before, tool_input: { command: 'echo other' } };
    await r.handle(before);
    await r.handle(other);
    await r.handle({ ...hookOf('AfterTool'), tool_input: { command: 'echo other' } });
    const calls = r.events.filter((e) => e.type === 'tool.call') as Array<NewEvent<'tool.call'>>;
    const result = r.events.find((e) => e.type === 'tool.result') as NewEvent<'tool.result'>;
    expect(result.data.callId).toBe(calls[1]!.data.callId);
  });
});

describe('gemini chat file', () => {
  it('emits each reply and its usage once per message id (a message is written twice)', async () => {
    const r = recorder({ verdict: 'none' }, path.join(FIX, 'chat-tool-call.jsonl'));
    await r.handle(hookOf('AfterAgent'));
    const texts = r.events.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text);
    expect(texts).toEqual(['Let me run it.', 'All done, the file says hello.']);
    const usage = r.events.filter((e) => e.type === 'usage').map((e) => e.data);
    expect(usage).toHaveLength(2);
    expect(usage[0]).toMatchObject({ model: 'gemini-2.5-pro', inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, source: 'gemini.chat' });
  });

  it('counts cached input apart and thinking as output', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gemini-chat-'));
    const file = path.join(dir, 'chat.jsonl');
    fs.writeFileSync(file, [
      JSON.stringify({ sessionId: 'x', kind: 'main' }),
      JSON.stringify({ $set: { messages: [{ id: 'u1', type: 'user', content: [{ text: 'hi' }] }] } }),
      JSON.stringify({ id: 'g1', type: 'gemini', content: 'hello', tokens: { input: 80, output: 8, cached: 30, thoughts: 4, tool: 0, total: 92 }, model: 'gemini-2.5-flash' }),
    ].join('\n') + '\n');
    const r = recorder({ verdict: 'none' }, file);
    await r.handle(hookOf('AfterAgent'));
    expect(r.events.find((e) => e.type === 'usage')!.data).toMatchObject({ model: 'gemini-2.5-flash', inputTokens: 50, cacheReadTokens: 30, outputTokens: 12 });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('gemini chat file errors', () => {
  it('reports a failed model call once, with the API message', async () => {
    const r = recorder({ verdict: 'none' }, path.join(FIX, 'chat-api-error.jsonl'));
    await r.handle(hookOf('AfterAgent'));
    await r.handle(hookOf('AfterAgent'));
    expect(r.events.filter((e) => e.type === 'error').map((e) => e.data)).toEqual([{ message: 'fake says no', code: 'model_error' }]);
  });
});

describe('gemini screens', () => {
  it('recognises the trust dialog, the idle box, a running turn and the end of an interrupt', () => {
    expect(detectGeminiScreen(fixture('screen-trust.txt'))).toEqual({ status: 'waiting', reason: 'first-run screen: folder trust' });
    expect(geminiInputReady(fixture('screen-trust.txt'))).toBe(false);
    const idle = fixture('screen-idle.txt');
    expect(detectGeminiScreen(idle)).toEqual({ status: 'idle', reason: 'ready for input' });
    expect(detectGeminiScreen(fixture('screen-busy.txt'))).toBeUndefined();
    expect(geminiInputReady(idle)).toBe(true);
    expect(geminiInputText(idle)).toBe('');
    expect(geminiIdleAfterInterrupt(fixture('screen-busy.txt'))).toBe(false);
    // A spinner (a turn, or a hook at start-up) runs: keys typed now may not submit.
    expect(geminiInputReady(fixture('screen-busy.txt'))).toBe(false);
    expect(geminiIdleAfterInterrupt(fixture('screen-interrupted.txt'))).toBe(true);
    expect(geminiInputText(idle.replace('>   Type your message or @path/to/file', '>   half typed'))).toBe('half typed');
  });

  it('does not take a past prompt in a resumed chat for the input box, nor type while the chat loads', () => {
    // `--resume` draws the chat's history (`> CONF-FIRST …`) before its input box; keys typed
    // while "Resuming session..." spins are lost (a conformance run lost a prompt that way).
    const resuming = fixture('screen-resuming.txt');
    expect(geminiInputReady(resuming)).toBe(false);
    expect(detectGeminiScreen(resuming)).toBeUndefined();
    // Without the spinner line the box is still not drawn: the history's prompt line is not it.
    const noBox = resuming.replace(/^.*Resuming session.*$/m, '');
    expect(geminiInputReady(noBox)).toBe(false);
    expect(geminiInputText(noBox)).toBeUndefined();
    // Once drawn, the box is the one below the history; what it holds is the new prompt.
    const typed = fixture('screen-resumed-typed.txt');
    expect(geminiInputReady(typed)).toBe(true);
    expect(geminiInputText(typed)).toBe('CONF-SECOND what was the word?');
    expect(geminiInputText(typed.replace('> CONF-SECOND what was the word?', '>   Type your message or @path/to/file'))).toBe('');
  });
});
