import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shQuote } from '../../src/core/fsutil.js';
import type { SessionRecord } from '../../src/core/session.js';
import type { FakeModel } from '../fake-model/server.js';
import { HARNESS_BIN, pinnedCli, until, type TestEnv } from '../helpers/omni.js';
import { claudeWorld } from '../helpers/world.js';

const FOCUS_HINT = /focus-events/;

describe.skipIf(!pinnedCli('claude'))("Claude Code in omni's tmux (real claude, fake model)", () => {
  let fake: FakeModel;
  let t: TestEnv;

  claudeWorld((w) => ({ fake, t } = w));

  const screen = async (target: string) => String((await t.tmux(['capture-pane', '-p', '-t', target])).stdout);

  it("gets the focus events it asks for (no ~/.tmux.conf hint), and keeps its --tag tags through stop and resume", async () => {
    const started = await t.omniJson<SessionRecord>(['claude', '--name', 'c1', '--tag', 'api', '--tag', 'review']);
    expect(started.tags).toEqual(['api', 'review']);
    expect((await t.omni(['wait', 'c1', '--timeout', '90'])).exitCode).toBe(0);
    expect(String((await t.tmux(['show', '-gv', 'focus-events'])).stdout).trim()).toBe('on');

    // Claude shows "tmux focus-events off · add 'set -g focus-events on' to ~/.tmux.conf" when
    // it sees TMUX and `tmux show -gv focus-events` is not on. omni's own panes do not get TMUX,
    // so run one more claude on omni's server the way any tmux pane runs it (TMUX set, pointing
    // at this server): it asks the server itself. With focus-events off it shows the hint
    // within a few seconds.
    const env = Object.entries(t.env).map(([k, v]) => `${k}=${shQuote(v)}`).join(' ');
    const probe = await t.tmux(['new-session', '-d', '-s', 'probe', '-c', t.work, '-x', '200', '-y', '50', `env ${env} ${shQuote(path.join(HARNESS_BIN, 'claude'))}`]);
    expect(probe.exitCode, String(probe.stderr)).toBe(0);
    await until(async () => /❯/.test(await screen('probe')), 60_000, 'the probe claude to show its prompt');
    await new Promise((r) => setTimeout(r, 12_000));
    const probeScreen = await screen('probe');
    expect(probeScreen).toMatch(/Claude Code/);
    expect(probeScreen).not.toMatch(FOCUS_HINT);
    expect(await screen(`=${started.tmuxSession}:`)).not.toMatch(FOCUS_HINT);
    await t.tmux(['kill-session', '-t', '=probe']);

    // Tags live in the session record: an ended session keeps them, and so does its resume
    // (of a conversation: Claude resumes only a session that has one).
    fake.script({ match: 'REMEMBER-ME', turns: [{ text: 'Noted.' }] });
    expect((await t.omni(['send', 'c1', 'REMEMBER-ME please'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'c1', '--timeout', '90'])).exitCode).toBe(0);
    expect((await t.omni(['stop', 'c1'])).exitCode).toBe(0);
    expect((await t.omniJson<SessionRecord[]>(['ls', '--all', '--tag', 'review'])).map((s) => [s.name, s.status])).toEqual([['c1', 'exited']]);
    const resumed = await t.omniJson<SessionRecord>(['resume', 'c1']);
    expect(resumed).toMatchObject({ id: started.id, tags: ['api', 'review'] });
    const back = await t.omni(['wait', 'c1', '--timeout', '90']);
    expect(back.exitCode, String(back.stderr)).toBe(0);
    expect((await t.omniJson<SessionRecord[]>(['ls', '--tag', 'api'])).map((s) => s.id)).toEqual([started.id]);
  });
});
