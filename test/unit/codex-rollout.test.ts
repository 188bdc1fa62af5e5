import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NewEvent, SessionStatus } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { CodexRollout } from '../../src/harnesses/codex/rollout.js';
import type { IngestCursor } from '../../src/harnesses/types.js';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'codex');

function reader(file: string, opts: { status?: SessionStatus; turn?: string; keys?: Set<string> } = {}) {
  const events: NewEvent[] = [];
  const statuses: Array<[SessionStatus, string | undefined]> = [];
  const session = { id: 's', status: opts.status ?? 'idle' } as SessionRecord;
  const keys = opts.keys ?? new Set<string>();
  const seen: IngestCursor = { has: (k) => keys.has(k), add: (k) => void keys.add(k) };
  const ctx = {
    session,
    emit: (ev: NewEvent) => events.push(ev),
    setStatus: (s: SessionStatus, reason?: string) => {
      session.status = s;
      statuses.push([s, reason]);
    },
  };
  const r = new CodexRollout(() => file, ctx, seen, () => opts.turn);
  return { r, events, statuses, keys };
}

const of = <T extends NewEvent['type']>(events: NewEvent[], type: T) => events.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);

describe('Codex rollout ingestion (recorded 0.169.0 rollouts)', () => {
  it('assistant text and one usage per model response, with the model, no dollars', async () => {
    const { r, events } = reader(path.join(FIX, 'rollout-exec-command.jsonl'));
    await r.flush();
    expect(of(events, 'message.assistant')).toEqual([
      { text: 'I will write it.', messageId: 'msg_VhmVU5daMpnRPNCZXaIi8J3o', model: 'gpt-5.5' },
      { text: 'Wrote the file.', messageId: 'msg_CRiSorEosnkKUN8rZ70GXhxy', model: 'gpt-5.5' },
    ]);
    const usage = of(events, 'usage');
    expect(usage).toEqual([
      { model: 'gpt-5.5', inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, source: 'codex.rollout', messageId: 'resp_W8mhjE4EEC1AdU7BlLnW1N8y' },
      { model: 'gpt-5.5', inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, source: 'codex.rollout', messageId: 'resp_H4CVzDvOnkyVHReNzo7gkMn6' },
    ]);
    expect(r.commandOutcome('call_Y7vbUks0MJhWGbvez8JOEOFW')).toEqual({ exitCode: 0, status: 'completed' });
  });

  it('reading again (a restarted daemon) repeats nothing', async () => {
    const keys = new Set<string>();
    const first = reader(path.join(FIX, 'rollout-mixed.jsonl'), { keys });
    await first.r.poll();
    const second = reader(path.join(FIX, 'rollout-mixed.jsonl'), { keys });
    await second.r.poll();
    expect(first.events.length).toBeGreaterThan(0);
    expect(second.events).toEqual([]);
  });

  it('a failed command is remembered by call id; interrupted turns add no usage', async () => {
    const mixed = reader(path.join(FIX, 'rollout-mixed.jsonl'));
    await mixed.r.poll();
    expect(mixed.r.commandOutcome('call_MGX5btDd2hSe2FWWhPh1MFZC')).toEqual({ exitCode: 2, status: 'failed' });
    // 9 model responses completed in that session (the one cut off by steering has no record).
    expect(of(mixed.events, 'usage')).toHaveLength(9);

    const interrupted = reader(path.join(FIX, 'rollout-interrupt-resume.jsonl'));
    await interrupted.r.poll();
    expect(of(interrupted.events, 'usage')).toHaveLength(2);
    expect(of(interrupted.events, 'message.assistant').map((m) => m.text)).toEqual(['OK.', 'OK.']);
  });

  it('a failed model call (no Stop hook) ends the running turn: error event and idle', async () => {
    const { r, events, statuses } = reader(path.join(FIX, 'rollout-model-error.jsonl'), { status: 'running', turn: '01a20012-c146-7490-883e-6a746105d063' });
    await r.poll();
    expect(of(events, 'error')).toEqual([{ message: 'bad request from fake', code: 'model_error' }]);
    expect(statuses).toEqual([['idle', 'the turn failed: bad request from fake']]);
  });

  it("the end of an older turn does not make a newer running turn idle", async () => {
    const { r, statuses } = reader(path.join(FIX, 'rollout-model-error.jsonl'), { status: 'running', turn: 'a-newer-turn' });
    await r.poll();
    expect(statuses).toEqual([]);
  });

  it('falls back to token_count (older rollouts without token_usage_record), counting growth only', async () => {
    const src = fs.readFileSync(path.join(FIX, 'rollout-interrupt-resume.jsonl'), 'utf8');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rollout-'));
    const file = path.join(dir, 'rollout-old.jsonl');
    fs.writeFileSync(file, src.split('\n').filter((l) => !l.includes('"type":"token_usage_record"')).join('\n'));
    try {
      const { r, events } = reader(file);
      await r.poll();
      // token_count repeats the 120-token total after each interrupt; only the two real responses count.
      expect(of(events, 'usage').map((u) => [u.inputTokens, u.outputTokens])).toEqual([
        [100, 20],
        [100, 20],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('splits cached input out of OpenAI-style input_tokens; a line being written waits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rollout-'));
    const file = path.join(dir, 'rollout.jsonl');
    const line = (o: unknown) => JSON.stringify(o) + '\n';
    fs.writeFileSync(file, line({ type: 'turn_context', payload: { model: 'gpt-6-sol' } }));
    const rec = line({ type: 'token_usage_record', payload: { response_id: 'resp_1', usage: { input_tokens: 1500, cached_input_tokens: 1200, output_tokens: 50, reasoning_output_tokens: 10 } } });
    fs.appendFileSync(file, rec.slice(0, 40));
    try {
      const { r, events } = reader(file);
      await r.poll();
      expect(of(events, 'usage')).toEqual([]);
      fs.appendFileSync(file, rec.slice(40));
      await r.poll();
      expect(of(events, 'usage')).toEqual([
        { model: 'gpt-6-sol', inputTokens: 300, outputTokens: 50, cacheReadTokens: 1200, cacheWriteTokens: 0, source: 'codex.rollout', messageId: 'resp_1' },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
