import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NewEvent, SessionStatus } from '../../src/core/events.js';
import { CopilotEventsFile, stableJson } from '../../src/harnesses/copilot/events-file.js';
import type { IngestCursor } from '../../src/harnesses/types.js';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'copilot');

function reader(file: string, status: SessionStatus = 'running', keys = new Set<string>()) {
  const events: NewEvent[] = [];
  const statuses: Array<[SessionStatus, string | undefined]> = [];
  const session = { status } as { status: SessionStatus };
  const seen: IngestCursor = { has: (k) => keys.has(k), add: (k) => void keys.add(k) };
  const ctx = {
    session,
    emit: (e: NewEvent) => events.push(e),
    setStatus: (s: SessionStatus, r?: string) => {
      session.status = s;
      statuses.push([s, r]);
    },
  } as never;
  return { r: new CopilotEventsFile(() => file, ctx, seen), events, statuses, keys };
}

describe('Copilot events.jsonl (recorded 1.0.102)', () => {
  it('assistant text and one usage per model call, with the model; nothing twice', async () => {
    const { r, events, keys } = reader(path.join(FIX, 'events.jsonl'));
    await r.poll();
    const texts = events.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text);
    expect(texts).toEqual(['tool done 1']);
    const usage = events.filter((e) => e.type === 'usage').map((e) => e.data);
    expect(usage).toHaveLength(2);
    expect(usage[0]).toMatchObject({ model: 'gpt-4.1', inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, source: 'copilot.events' });
    expect(usage[0]).not.toHaveProperty('reportedCostUsd');
    // A second reader with the same cursor (a daemon restart) repeats nothing.
    const again = reader(path.join(FIX, 'events.jsonl'), 'running', keys);
    await again.r.poll();
    expect(again.events).toEqual([]);
  });

  it('cached input is counted apart (Copilot includes it in inputTokens)', async () => {
    const { r, events } = reader(path.join(FIX, 'events-cached.jsonl'));
    await r.poll();
    expect(events.map((e) => e.data)).toEqual([expect.objectContaining({ inputTokens: 300, cacheReadTokens: 200, outputTokens: 30 })]);
  });

  it('the model asked for tool calls: claimed once by tool and arguments, whatever their key order', async () => {
    const { r } = reader(path.join(FIX, 'events.jsonl'));
    await r.poll();
    expect(r.claim('bash', { description: 'write probe', command: 'echo probe1 > /tmp/cop/probe1.txt' })).toMatch(/^call_/);
    expect(r.claim('bash', { description: 'write probe', command: 'echo probe1 > /tmp/cop/probe1.txt' })).toBeUndefined();
    expect(stableJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });

  it('an abort (Ctrl-C) makes a running session idle: interrupted', async () => {
    const { r, statuses } = reader(path.join(FIX, 'events-abort.jsonl'));
    await r.poll();
    expect(statuses).toEqual([['idle', 'interrupted']]);
    const idle = reader(path.join(FIX, 'events-abort.jsonl'), 'idle');
    await idle.r.poll();
    expect(idle.statuses).toEqual([]);
  });

  it('reads what is appended, line by line', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'omni-cop-ev-')), 'events.jsonl');
    const lines = fs.readFileSync(path.join(FIX, 'events.jsonl'), 'utf8').split('\n').filter(Boolean);
    const { r, events } = reader(file);
    fs.writeFileSync(file, lines.slice(0, 3).join('\n') + '\n');
    await r.poll();
    fs.appendFileSync(file, lines.slice(3).join('\n') + '\n');
    await r.poll();
    expect(events.filter((e) => e.type === 'usage')).toHaveLength(2);
  });

  it('the agentStop flush reads on until the final reply of the turn is in the log', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'omni-cop-ev-')), 'events.jsonl');
    const lines = fs.readFileSync(path.join(FIX, 'events.jsonl'), 'utf8').split('\n').filter(Boolean);
    const final = lines.findIndex((l) => l.includes('"tool done 1"'));
    const { r, events } = reader(file);
    // The hook fires with the tool call's round in the log, the reply still to come.
    fs.writeFileSync(file, lines.slice(0, final).join('\n') + '\n');
    setTimeout(() => fs.appendFileSync(file, lines.slice(final).join('\n') + '\n'), 300);
    await r.flush({ turnEnd: true, timeoutMs: 3000 });
    expect(events.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text)).toEqual(['tool done 1']);
    // With the turn's end in the log, a flush does not wait.
    const t0 = performance.now();
    await r.flush({ turnEnd: true, timeoutMs: 3000 });
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('Copilot events.jsonl: a failed model call', () => {
  it('session.error is an error event and ends a running turn', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'omni-cop-ev-')), 'events.jsonl');
    fs.writeFileSync(file, fs.readFileSync(path.join(FIX, 'events-error.jsonl')));
    const { r, events, statuses } = reader(file);
    await r.poll();
    expect(events).toEqual([{ type: 'error', data: { message: '400 fake says no', code: 'model_error' } }]);
    expect(statuses).toEqual([['idle', 'the turn failed: 400 fake says no']]);
  });
});
