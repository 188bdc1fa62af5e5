import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import type { FakeModel } from '../fake-model/server.js';
import { parseEvents } from '../helpers/events.js';
import { claudeWorld } from '../helpers/world.js';
import { until, type TestEnv } from '../helpers/omni.js';

const events = parseEvents;

describe('daemon survives kill -9 (real claude in omni tmux, fake model)', () => {
  let fake: FakeModel;
  let t: TestEnv;

  claudeWorld((w) => ({ fake, t } = w));

  it('re-adopts the live session with its log intact, and a hook restarts a dead daemon', async () => {
    fake.script({ match: 'FIRST-TURN', turns: [{ text: 'first answer' }] });
    fake.script({ match: 'SECOND-TURN', turns: [{ text: 'second answer' }] });
    fake.script({ match: 'THIRD-TURN', turns: [{ text: 'third answer' }] });

    const s = await t.omniJson<SessionRecord>(['claude', '--name', 'survivor']);
    expect((await t.omni(['wait', 'survivor', '--timeout', '90'])).exitCode).toBe(0);
    expect((await t.omni(['send', 'survivor', 'FIRST-TURN please'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'survivor', '--timeout', '90'])).exitCode).toBe(0);

    const before = events((await t.omni(['events', 'survivor', '--json'])).stdout);
    expect(before.some((e) => e.type === 'message.assistant' && (e.data as { text: string }).text === 'first answer')).toBe(true);

    // kill -9 the daemon: the agent keeps running in tmux.
    const pidFile = path.join(t.omniHome, 'run', 'omnid.pid');
    const pid1 = Number(fs.readFileSync(pidFile, 'utf8'));
    process.kill(pid1, 'SIGKILL');
    await until(() => !alive(pid1), 5000, 'the daemon to die');
    expect((await t.omni(['daemon', 'status'])).exitCode).toBe(4);
    const panes = await t.tmux(['list-panes', '-a', '-F', '#{session_name} #{pane_dead}']);
    expect(String(panes.stdout)).toContain(`${s.id} 0`);

    // A crash mid-append leaves a torn last line; the restarted daemon must cope.
    const log = path.join(t.omniHome, 'state', 'sessions', s.id, 'events.ndjson');
    fs.appendFileSync(log, '{"seq":999,"ts":"2026-');

    // With the daemon dead, type straight into the pane: Claude's UserPromptSubmit hook finds
    // no daemon, starts one (which re-adopts the session), and delivers the prompt.
    await t.tmux(['send-keys', '-t', s.id, '-l', 'SECOND-TURN now']);
    await new Promise((r) => setTimeout(r, 300));
    await t.tmux(['send-keys', '-t', s.id, 'Enter']);
    await until(async () => (await t.omni(['daemon', 'status'])).exitCode === 0, 30_000, 'a hook to restart the daemon');
    const pid2 = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(pid2).not.toBe(pid1);
    expect((await t.omni(['wait', 'survivor', '--timeout', '90'])).exitCode).toBe(0);

    const ls = await t.omniJson<SessionRecord[]>(['ls']);
    expect(ls.find((x) => x.id === s.id)?.status).toBe('idle');

    // And omni send still works through the re-adopted session.
    expect((await t.omni(['send', 'survivor', 'THIRD-TURN go'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'survivor', '--timeout', '90'])).exitCode).toBe(0);

    const after = events((await t.omni(['events', 'survivor', '--json'])).stdout);
    // Everything from before the crash is still there, unchanged, and numbering continues.
    expect(after.slice(0, before.length)).toEqual(before);
    const seqs = after.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(after.some((e) => e.type === 'session.adopted')).toBe(true);
    const texts = after.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text);
    // Re-reading the transcript after the restart repeats nothing.
    expect(texts).toEqual(['first answer', 'second answer', 'third answer']);
    const users = after.filter((e) => e.type === 'message.user').map((e) => (e.data as { text: string }).text);
    expect(users).toEqual(['FIRST-TURN please', 'SECOND-TURN now', 'THIRD-TURN go']);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
