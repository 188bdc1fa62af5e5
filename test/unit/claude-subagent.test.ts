import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent, UsageData } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { claudeAdapter, claudeSettings } from '../../src/harnesses/claude/index.js';
import { ClaudeTranscript, subagentDir } from '../../src/harnesses/claude/transcript.js';
import type { FlushHint, SignalContext } from '../../src/harnesses/types.js';

// Recorded with Claude Code 2.1.330 against the fake model (test/fixtures/claude/FINDINGS.md §9):
// a session whose model called the Agent tool (general-purpose), one with a fork and a nested agent.
const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'claude');
const fixture = (name: string) => fs.readFileSync(path.join(FIX, name), 'utf8');

const SID = '6a099e3c-5796-466d-b48f-682946fd338d';
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** A projects directory laid out as Claude writes it: `<sid>.jsonl` and `<sid>/subagents/agent-*.jsonl`. */
/** The daemon opens one adapter instance per session: each recorder's session gets its own. */
const instances = new WeakMap<object, ReturnType<typeof claudeAdapter.open>>();
function instanceOf(session: SignalContext['session']) {
  let s = instances.get(session);
  if (!s) instances.set(session, (s = claudeAdapter.open(session)));
  return s;
}
const handleHook = (event: string, payload: Record<string, unknown>, ctx: SignalContext) => instanceOf(ctx.session).handleHook(event, payload, ctx);

function layout(parent: string, subs: Record<string, string> = {}): { transcript: string; subDir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-sub-'));
  dirs.push(dir);
  const transcript = path.join(dir, `${SID}.jsonl`);
  fs.writeFileSync(transcript, parent);
  const subDir = subagentDir(transcript);
  if (Object.keys(subs).length) fs.mkdirSync(subDir, { recursive: true });
  for (const [name, text] of Object.entries(subs)) fs.writeFileSync(path.join(subDir, name), text);
  return { transcript, subDir };
}

function ingest(file: string, keys = new Set<string>()) {
  const events: NewEvent[] = [];
  const cursor = { has: (k: string) => keys.has(k), add: (k: string) => void keys.add(k) };
  const t = new ClaudeTranscript(() => file, { emit: (e) => events.push(e) }, cursor);
  const usage = () => events.filter((e) => e.type === 'usage').map((e) => e.data as UsageData);
  const texts = () => events.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text);
  return { t, events, keys, usage, texts };
}

describe('Claude Code sub-agent transcripts', () => {
  it('counts a sub-agent’s messages into the session once each, tagged claude.subagent, without its text', async () => {
    const { transcript } = layout(fixture('subagent-parent.jsonl'), { 'agent-a4ad37a3dd1dc17c4.jsonl': fixture('subagent-agent.jsonl') });
    const r = ingest(transcript);
    await r.t.flush();
    // Each file's last message is held until the flush, so the order across files is not fixed.
    const bySource = [...r.usage()].sort((a, b) => (a.source === b.source ? 0 : a.source === 'claude.transcript' ? -1 : 1));
    expect(bySource.map((u) => [u.source, u.messageId, u.inputTokens, u.outputTokens])).toEqual([
      ['claude.transcript', 'msg_01EymKLy7a9Usge2t7iE2w81Eq', 2000, 5000],
      ['claude.transcript', 'msg_01FQdEmMFkFOjgHO5yWZsC58yN', 1000, 1000],
      ['claude.transcript', 'msg_014cN5LiFavrAuqo6IyJDCkGMa', 1100, 1100],
      ['claude.transcript', 'msg_01TuFHNQrDG60jpxS0vqGiiUsn', 2000, 5000],
      ['claude.subagent', 'msg_01Nxy7NWtUCJHcTkCsd3QheCIg', 3000, 300],
      ['claude.subagent', 'msg_01tQLOFm42GJEStNWWQzyCHZYk', 3300, 330],
    ]);
    expect(r.usage().every((u) => u.model === 'claude-sonnet-4-5-20250929')).toBe(true);
    // The sub-agent's words go to its parent as a tool result, not to the user.
    expect(r.texts()).toEqual(['OK.', 'Parent is done.', 'OK.']);
  });

  it('finds a sub-agent transcript that appears later, reads it incrementally, and repeats nothing after a restart', async () => {
    const { transcript, subDir } = layout(fixture('subagent-parent.jsonl'));
    const r = ingest(transcript);
    await r.t.poll();
    expect(r.usage().filter((u) => u.source === 'claude.subagent')).toEqual([]);
    const rows = fixture('subagent-agent.jsonl');
    const file = path.join(subDir, 'agent-a4ad37a3dd1dc17c4.jsonl');
    fs.mkdirSync(subDir, { recursive: true });
    const cut = rows.indexOf('"Sub-agent answer') - 20; // in the middle of the last row
    fs.writeFileSync(file, rows.slice(0, cut));
    await r.t.poll();
    // The first message is over (a newer one started? not yet): held until then or a flush.
    expect(r.usage().filter((u) => u.source === 'claude.subagent')).toEqual([]);
    fs.appendFileSync(file, rows.slice(cut));
    await r.t.poll();
    expect(r.usage().filter((u) => u.source === 'claude.subagent').map((u) => u.messageId)).toEqual(['msg_01Nxy7NWtUCJHcTkCsd3QheCIg']);
    await r.t.flush();
    expect(r.usage().filter((u) => u.source === 'claude.subagent').map((u) => u.messageId)).toEqual(['msg_01Nxy7NWtUCJHcTkCsd3QheCIg', 'msg_01tQLOFm42GJEStNWWQzyCHZYk']);
    const before = r.events.length;
    // A restarted daemon reads everything again from the start with the persisted keys.
    const again = ingest(transcript, r.keys);
    await again.t.flush();
    expect(again.events).toEqual([]);
    expect(r.events).toHaveLength(before);
  });

  it('a fork’s copy of the message that spawned it is counted once, as the parent’s; nested agents count too', async () => {
    const { transcript } = layout(fixture('subagent-fork-parent.jsonl'), {
      'agent-a529f53d1dbbac251.jsonl': fixture('subagent-fork.jsonl'),
      'agent-ad905fe4a9689683c.jsonl': fixture('subagent-nested.jsonl'),
    });
    const r = ingest(transcript);
    await r.t.flush();
    const ids = r.usage().map((u) => u.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(r.usage().find((u) => u.messageId === 'msg_01I8sA9ijSiyvNypXfQhVeudMU')?.source).toBe('claude.transcript');
    expect(r.usage().filter((u) => u.source === 'claude.subagent').map((u) => [u.messageId, u.inputTokens])).toEqual([
      ['msg_018n6hDKKYEpe189OTxYet6p8w', 1100], // the fork's own answer
      ['msg_01F3t6DiXFIvPuew3BlwoJwEnR', 700], // an agent's agent (spawnDepth 2), in the same directory
    ]);
  });
});

describe('Claude Code SubagentStop hook (recorded 2.1.330 payload)', () => {
  function recorder() {
    const flushes: Array<FlushHint | undefined> = [];
    const session = { id: 's_test', name: 't', harness: 'claude', cwd: '/w', status: 'idle', lastSeq: 0 } as SessionRecord;
    const ctx: SignalContext = {
      session,
      emit: () => {},
      setStatus: () => {},
      update: (patch) => Object.assign(session, patch),
      decide: async () => ({ verdict: 'none' }),
      ingest: () => {},
      flushIngest: async (hint) => void flushes.push(hint),
    };
    return { ctx, flushes, session };
  }

  it('is wired as an observing hook', () => {
    const settings = claudeSettings({ command: (e, m) => `hook ${e} ${m}` }) as { hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>> };
    expect(settings.hooks.SubagentStop?.[0]?.hooks[0]?.command).toBe('hook SubagentStop observe');
  });

  it('waits for the sub-agent’s last message in its transcript, then flushes ingestion; the status is left alone', async () => {
    const { subDir } = layout(fixture('subagent-parent.jsonl'));
    fs.mkdirSync(subDir, { recursive: true });
    const file = path.join(subDir, 'agent-a4ad37a3dd1dc17c4.jsonl');
    const rows = fixture('subagent-agent.jsonl').split('\n').filter(Boolean);
    fs.writeFileSync(file, rows.slice(0, -1).join('\n') + '\n');
    const payload = { ...(JSON.parse(fixture('hook-SubagentStop.json')) as Record<string, unknown>), agent_transcript_path: file };
    const r = recorder();
    const started = Date.now();
    const reply = handleHook('SubagentStop', payload, r.ctx);
    await new Promise((res) => setTimeout(res, 200));
    expect(r.flushes).toEqual([]);
    fs.appendFileSync(file, rows.at(-1)! + '\n');
    expect(await reply).toEqual({});
    expect(r.flushes).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(r.session.harnessSessionId).toBe(SID); // the parent's session id, as in every sub-agent hook
  });
});
