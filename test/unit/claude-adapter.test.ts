import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NewEvent, SessionStatus } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { claudeAdapter } from '../../src/harnesses/claude/index.js';
import { claudeInputReady, detectClaudeScreen } from '../../src/harnesses/claude/screens.js';
import { ClaudeTranscript } from '../../src/harnesses/claude/transcript.js';
import type { DecisionRequest, FlushHint, SignalContext, Verdict } from '../../src/harnesses/types.js';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'claude');
const fixture = (name: string) => fs.readFileSync(path.join(FIX, name), 'utf8');
const hook = (name: string) => JSON.parse(fixture(`hook-${name}.json`)) as Record<string, unknown>;

/** A recording SignalContext: the narrow interface the adapter talks to. */
function recorder(verdict: Verdict = { verdict: 'none' }) {
  const events: NewEvent[] = [];
  const statuses: Array<[SessionStatus, string | undefined]> = [];
  const decisions: DecisionRequest[] = [];
  const flushes: Array<FlushHint | undefined> = [];
  const session = { id: 's_test', name: 't', harness: 'claude', cwd: '/w', status: 'idle', lastSeq: 0 } as SessionRecord;
  let ingests = 0;
  const ctx: SignalContext = {
    session,
    emit: (ev) => events.push(ev),
    setStatus: (s, reason) => statuses.push([s, reason]),
    update: (patch) => Object.assign(session, patch),
    decide: async (req) => {
      decisions.push(req);
      return verdict;
    },
    ingest: () => void ingests++,
    flushIngest: async (hint) => void flushes.push(hint),
  };
  return { ctx, events, statuses, decisions, flushes, session, ingests: () => ingests };
}

describe('Claude Code hook mapping (recorded 2.1.330 payloads)', () => {
  it('PreToolUse becomes tool.call and asks policy; no opinion answers nothing', async () => {
    const r = recorder();
    const reply = await claudeAdapter.handleHook('PreToolUse', hook('PreToolUse'), r.ctx);
    expect(reply).toEqual({});
    expect(r.events).toEqual([
      { type: 'tool.call', data: { callId: 'toolu_fake_2', tool: 'Bash', kind: 'shell', input: { command: 'echo hi > /tmp/explore/out.txt', description: 'write' } } },
    ]);
    expect(r.decisions).toEqual([
      {
        phase: 'tool_call',
        callId: 'toolu_fake_2',
        tool: 'Bash',
        input: { command: 'echo hi > /tmp/explore/out.txt', description: 'write' },
        // The payload's cwd is where Claude runs the command.
        call: { kind: 'shell', script: 'echo hi > /tmp/explore/out.txt', cwd: '/tmp/explore/w2' },
      },
    ]);
    expect(r.statuses.at(-1)?.[0]).toBe('running');
    expect(r.session.harnessSessionId).toBe('ac527b99-0297-4fbd-b34f-7d3561116942');
    expect(r.session.transcriptPath).toMatch(/ac527b99-0297-4fbd-b34f-7d3561116942\.jsonl$/);
  });

  it('a deny verdict answers with a PreToolUse deny carrying the reason', async () => {
    const r = recorder({ verdict: 'deny', reason: 'no writes today' });
    const reply = await claudeAdapter.handleHook('PreToolUse', hook('PreToolUse'), r.ctx);
    expect(JSON.parse(reply.stdout!)).toEqual({
      hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: 'no writes today' },
    });
  });

  it('UserPromptSubmit is running, then message.user; a denied prompt blocks with exit 2', async () => {
    const r = recorder({ verdict: 'deny', reason: 'not that' });
    const payload = hook('UserPromptSubmit');
    const reply = await claudeAdapter.handleHook('UserPromptSubmit', payload, r.ctx);
    expect(r.statuses[0]).toEqual(['running', undefined]);
    expect(r.events).toEqual([{ type: 'message.user', data: { text: payload.prompt } }]);
    expect(reply).toEqual({ exitCode: 2, stderr: 'not that' });
    expect(r.statuses.at(-1)?.[0]).toBe('idle');
  });

  it('PostToolUse and PostToolUseFailure become tool.result ok / not ok', async () => {
    const ok = recorder();
    await claudeAdapter.handleHook('PostToolUse', hook('PostToolUse'), ok.ctx);
    expect(ok.events[0]).toMatchObject({ type: 'tool.result', data: { tool: 'Bash', ok: true } });
    const bad = recorder();
    const payload = hook('PostToolUseFailure');
    await claudeAdapter.handleHook('PostToolUseFailure', payload, bad.ctx);
    expect(bad.events[0]).toMatchObject({ type: 'tool.result', data: { ok: false, output: payload.error } });
  });

  it('Stop flushes the transcript up to the last message, then idles; SessionStart idles', async () => {
    const r = recorder();
    await claudeAdapter.handleHook('Stop', hook('Stop'), r.ctx);
    expect(r.flushes).toEqual([{ lastText: hook('Stop').last_assistant_message, timeoutMs: 3000 }]);
    expect(r.statuses).toEqual([['idle', undefined]]);
    const s = recorder();
    await claudeAdapter.handleHook('SessionStart', hook('SessionStart'), s.ctx);
    expect(s.statuses).toEqual([['idle', undefined]]);
  });

  it('permission dialogs and needs-input notices are waiting; the idle notice is idle', async () => {
    const a = recorder();
    await claudeAdapter.handleHook('PermissionRequest', hook('PermissionRequest'), a.ctx);
    expect(a.statuses).toEqual([['waiting', 'Claude Code asks permission for Bash']]);
    const b = recorder();
    await claudeAdapter.handleHook('Notification', hook('Notification'), b.ctx);
    expect(b.statuses[0]?.[0]).toBe('waiting');
    const c = recorder();
    await claudeAdapter.handleHook('Notification', hook('Notification-agent_needs_input'), c.ctx);
    expect(c.statuses[0]?.[0]).toBe('waiting');
    const d = recorder();
    await claudeAdapter.handleHook('Notification', hook('Notification-idle_prompt'), d.ctx);
    expect(d.statuses).toEqual([['idle', undefined]]);
  });
});

describe('Claude Code transcript ingestion', () => {
  function ingest(file: string) {
    const events: NewEvent[] = [];
    const keys = new Set<string>();
    const cursor = { has: (k: string) => keys.has(k), add: (k: string) => void keys.add(k) };
    const t = new ClaudeTranscript(() => file, { emit: (e) => events.push(e) }, cursor);
    return { t, events, keys, cursor };
  }

  it('emits assistant text per block and usage once per message (recorded transcript)', async () => {
    const { t, events } = ingest(path.join(FIX, 'transcript-bash.jsonl'));
    await t.flush();
    expect(events.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text)).toEqual(['I will write the file.', 'Done writing.']);
    const usage = events.filter((e) => e.type === 'usage').map((e) => e.data as { messageId: string; inputTokens: number; outputTokens: number });
    expect(usage.map((u) => u.messageId)).toEqual(['msg_fake_3', 'msg_fake_4']);
    expect(usage.every((u) => u.outputTokens === 20)).toBe(true);
  });

  it('reads incrementally, holds a half-written row, and repeats nothing after a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-tr-'));
    const file = path.join(dir, 't.jsonl');
    const rows = fixture('transcript-bash.jsonl').split('\n').filter(Boolean);
    const cut = rows.length - 3;
    const head = rows.slice(0, cut).join('\n') + '\n';
    const tail = rows.slice(cut).join('\n') + '\n';
    fs.writeFileSync(file, head + tail.slice(0, 10)); // a row being written
    const first = ingest(file);
    await first.t.poll();
    fs.appendFileSync(file, tail.slice(10));
    await first.t.flush();
    const texts = first.events.filter((e) => e.type === 'message.assistant').length;
    const usage = first.events.filter((e) => e.type === 'usage').length;
    expect([texts, usage]).toEqual([2, 2]);
    // A restarted daemon re-reads from the start with the persisted keys: nothing new.
    const again = new ClaudeTranscript(() => file, { emit: (e) => first.events.push(e) }, first.cursor);
    await again.flush();
    expect(first.events).toHaveLength(4);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('Claude Code screens (recorded panes)', () => {
  it.each([
    ['screen-trust.txt', /folder trust/],
    ['screen-api-key.txt', /API key/],
    ['screen-theme.txt', /theme/],
    ['screen-security-notes.txt', /security notes/],
    ['screen-bypass-warning.txt', /bypass/],
    ['screen-settings-warning.txt', /settings warning/],
    ['screen-onboarding-offline-fail.txt', /cannot reach/],
  ])('%s is a blocking screen', (file, reason) => {
    expect(detectClaudeScreen(fixture(file))?.reason).toMatch(reason);
  });

  it.each(['screen-prompt-ready-first-run.txt', 'screen-idle-after-turn.txt', 'screen-busy.txt'])('%s is not', (file) => {
    expect(detectClaudeScreen(fixture(file))).toBeUndefined();
  });

  it('knows when the input box is drawn', () => {
    expect(claudeInputReady(fixture('screen-prompt-ready-first-run.txt'))).toBe(true);
    expect(claudeInputReady(fixture('screen-theme.txt'))).toBe(false);
  });
});
