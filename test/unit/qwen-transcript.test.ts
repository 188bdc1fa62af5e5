import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../src/core/events.js';
import { qwenUsage, QwenTranscript } from '../../src/harnesses/qwen/transcript.js';
import type { IngestCursor } from '../../src/harnesses/types.js';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'qwen');

function reader(file: string) {
  const events: NewEvent[] = [];
  const keys = new Set<string>();
  const seen: IngestCursor = { has: (k) => keys.has(k), add: (k) => void keys.add(k) };
  return { t: new QwenTranscript(() => file, { emit: (e) => events.push(e) }, seen), events, keys };
}

describe('Qwen Code chat log → events (recorded 0.24.4, fake model, Chat Completions)', () => {
  const file = path.join(FIX, 'chat-shell-turn.jsonl');

  it('emits each assistant text and one usage per model response, skipping user, tool and system rows', async () => {
    const r = reader(file);
    await r.t.poll();
    const texts = r.events.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text);
    expect(texts).toEqual(['Running.', 'Done running.', 'OK.']);
    const usage = r.events.filter((e) => e.type === 'usage').map((e) => e.data as { model: string; inputTokens: number; outputTokens: number; cacheReadTokens: number; source: string });
    expect(usage.map((u) => [u.model, u.inputTokens, u.outputTokens, u.cacheReadTokens])).toEqual([
      ['qwen3-coder-plus', 300, 30, 0],
      ['qwen3-coder-plus', 500, 40, 0],
      ['qwen3-coder-plus', 100, 20, 0],
    ]);
    expect(usage.every((u) => u.source === 'qwen.transcript')).toBe(true);
  });

  it('never repeats what the cursor has seen (a daemon restart reads the file again)', async () => {
    const r = reader(file);
    await r.t.poll();
    const again = new QwenTranscript(() => file, { emit: (e) => r.events.push(e) }, { has: (k) => r.keys.has(k), add: (k) => void r.keys.add(k) });
    const before = r.events.length;
    await again.poll();
    expect(r.events.length).toBe(before);
  });

  it('knows the model call id of a call by its tool and arguments, once', async () => {
    const r = reader(file);
    await r.t.poll();
    const input = { command: 'echo hi-from-qwen > /tmp/qp/out.txt' };
    expect(r.t.takeCallId('run_shell_command', input)).toBe('call_Y5iEmVa6UtH7rhCFDqj7KV5p');
    expect(r.t.takeCallId('run_shell_command', input)).toBeUndefined();
    expect(r.t.takeCallId('run_shell_command', { command: 'other' })).toBeUndefined();
  });

  it('a claimed call (PreToolUse named its id) is no longer handed out', async () => {
    const r = reader(file);
    await r.t.poll();
    const input = { command: 'echo hi-from-qwen > /tmp/qp/out.txt' };
    r.t.claim('run_shell_command', input, 'call_Y5iEmVa6UtH7rhCFDqj7KV5p');
    expect(r.t.takeCallId('run_shell_command', input)).toBeUndefined();
  });

  it('flush waits briefly for the text a Stop hook names', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qwen-tr-'));
    const f = path.join(dir, 'c.jsonl');
    fs.writeFileSync(f, '');
    const r = reader(f);
    setTimeout(() => fs.appendFileSync(f, JSON.stringify({ uuid: 'u1', type: 'assistant', model: 'm', message: { role: 'model', parts: [{ text: 'late reply' }] } }) + '\n'), 100);
    await r.t.flush({ lastText: 'late reply', timeoutMs: 2000 });
    expect(r.events.map((e) => e.type)).toEqual(['message.assistant']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('thought parts are not the assistant talking', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qwen-tr-'));
    const f = path.join(dir, 'c.jsonl');
    fs.writeFileSync(f, JSON.stringify({ uuid: 'u1', type: 'assistant', model: 'm', message: { role: 'model', parts: [{ text: 'pondering', thought: true }, { text: 'answer' }] } }) + '\n');
    const r = reader(f);
    await r.t.poll();
    expect(r.events.map((e) => (e.data as { text: string }).text)).toEqual(['answer']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('qwenUsage', () => {
  it('counts cached input apart from the prompt count that includes it', () => {
    expect(qwenUsage({ promptTokenCount: 500, cachedContentTokenCount: 200, candidatesTokenCount: 30, totalTokenCount: 530 }, 'gpt-4.1', 'm1')).toMatchObject({ inputTokens: 300, cacheReadTokens: 200, outputTokens: 30 });
  });
  it('reasoning inside the candidates count (OpenAI) is not added twice; reported apart, it is added', () => {
    expect(qwenUsage({ promptTokenCount: 10, candidatesTokenCount: 50, thoughtsTokenCount: 20, totalTokenCount: 60 }, 'm', 'x')?.outputTokens).toBe(50);
    expect(qwenUsage({ promptTokenCount: 10, candidatesTokenCount: 30, thoughtsTokenCount: 20, totalTokenCount: 60 }, 'm', 'x')?.outputTokens).toBe(50);
  });
  it('a response aborted before any token has no usage', () => {
    expect(qwenUsage({ promptTokenCount: 0, candidatesTokenCount: 0 }, 'm', 'x')).toBeUndefined();
  });
});
