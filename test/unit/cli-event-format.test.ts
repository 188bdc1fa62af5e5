import fs from 'node:fs';
import path from 'node:path';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { EventDataMap, EventType, OmniEvent } from '../../src/core/events.js';
import { formatEvent } from '../../src/cli/output.js';
import { ROOT } from '../helpers/omni.js';

/** The human `omni events` line of one event (no colour). */
const line = <T extends EventType>(type: T, data: EventDataMap[T]) =>
  formatEvent({ seq: 7, ts: '2026-11-21T20:45:39.374Z', session: 's_x', type, data } as OmniEvent, new Chalk({ level: 0 }));
const fixture = (rel: string) => JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', rel), 'utf8')) as Record<string, unknown>;

describe('omni events, the human view', () => {
  it('renders the harness\'s own running cost as text', () => {
    expect(line('cost.reported', { totalUsd: 0.1342, source: 'claude.statusline', harnessSessionId: 'abc', model: 'claude-sonnet-4-5' })).toBe(
      '20:45:39 #7 cost the harness reports $0.13 so far on claude-sonnet-4-5 (claude.statusline, its session abc)',
    );
    expect(line('cost.reported', { totalUsd: 0.004, source: 'claude.statusline' })).toBe('20:45:39 #7 cost the harness reports $0.0040 so far (claude.statusline)');
  });

  it('renders tool results of every harness as their text, never as JSON', () => {
    // Claude Code's PostToolUse for a Bash call with no output (a real hook payload).
    const claude = fixture('claude/hook-PostToolUse.json');
    expect(line('tool.result', { callId: 'c', tool: 'Bash', ok: true, output: claude.tool_response })).toBe('20:45:39 #7 result Bash');
    expect(line('tool.result', { callId: 'c', tool: 'Bash', ok: true, output: { stdout: 'a\nb', stderr: 'warn', interrupted: false, isImage: false } })).toBe('20:45:39 #7 result Bash a b warn');
    // Claude's Read and Edit responses: the file, and what it holds (Read) or just which (Edit).
    expect(line('tool.result', { callId: 'c', tool: 'Read', ok: true, output: { type: 'text', file: { filePath: '/w/a.txt', content: 'hello', numLines: 1, startLine: 1, totalLines: 1 } } })).toBe(
      '20:45:39 #7 result Read /w/a.txt: hello',
    );
    expect(line('tool.result', { callId: 'c', tool: 'Edit', ok: true, output: { filePath: '/w/a.txt', oldString: 'x', newString: 'y', originalFile: 'x', structuredPatch: [], userModified: false, replaceAll: false } })).toBe(
      '20:45:39 #7 result Edit /w/a.txt',
    );
    expect(line('tool.result', { callId: 'c', tool: 'Glob', ok: true, output: { filenames: ['/w/a.ts', '/w/b.ts'], durationMs: 3, numFiles: 2, truncated: false } })).toBe('20:45:39 #7 result Glob /w/a.ts /w/b.ts');
    // Codex's failed shell call (a string), Pi's content blocks (a real extension event).
    const codex = fixture('codex/hook-PostToolUse-failed.json');
    expect(line('tool.result', { callId: 'c', tool: 'Bash', ok: false, output: codex.tool_response })).toBe(
      "20:45:39 #7 failed Bash ls: cannot access '/nonexistent-dir-xyz': No such file or directory",
    );
    const pi = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'pi', 'pi-events-bash-turn.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; payload: { content: unknown } }).find((e) => e.event === 'tool_result')!;
    expect(line('tool.result', { callId: 'c', tool: 'bash', ok: true, output: pi.payload.content })).toBe('20:45:39 #7 result bash (no output)');
  });

  it('renders approvals, resumes and usage cost as text', () => {
    expect(line('approval.requested', { id: 'ap_1', phase: 'tool_call', policy: 'guard', reason: 'a human\napproves' })).toBe('20:45:39 #7 ask ap_1 tool_call by guard — a human approves');
    expect(line('approval.resolved', { id: 'ap_1', verdict: 'deny', by: 'ann', via: 'cli', scope: 'once', reason: 'no' })).toBe('20:45:39 #7 denied ap_1 by ann via cli — no');
    expect(line('approval.resolved', { id: 'ap_1', verdict: 'approve', by: 'ann', via: 'popup', scope: 'session' })).toBe('20:45:39 #7 approved ap_1 for the session by ann via popup');
    expect(line('approval.refused', { id: 'ap_1', verb: 'approve', why: 'pid 9 runs in session a', pid: 9 })).toBe('20:45:39 #7 refused approve ap_1 from pid 9 — pid 9 runs in session a');
    expect(line('session.resumed', { harnessSessionId: 'h1', command: ['claude'] })).toBe('20:45:39 #7 resumed harness session h1');
    const usage = { model: 'm', inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheWriteTokens: 4, source: 'x' };
    expect(line('usage', { ...usage, computedCostUsd: 0.5 })).toBe('20:45:39 #7 usage m in 1 out 2 cache r/w 3/4 ~$0.50');
    expect(line('usage', { ...usage, unpriced: true })).toBe('20:45:39 #7 usage m in 1 out 2 cache r/w 3/4 (unpriced)');
  });
});
