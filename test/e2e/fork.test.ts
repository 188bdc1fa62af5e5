import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { answerCodexTitles, codexUserEnv, writeCodexUserConfig } from '../conformance/profiles/codex.js';
import { writePiUserConfig } from '../conformance/profiles/pi.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents } from '../helpers/events.js';
import { initRepo, sh } from '../helpers/git-repo.js';
import { claudeEnv, makeTestEnv, pinnedCli, type TestEnv } from '../helpers/omni.js';

/**
 * `omni fork` on each harness's own fork (real CLIs, fake model): the fork's first new turn
 * sends the model the source's history, the two then diverge (neither sees the other's new
 * prompts), the fork's log says where it came from, `omni ls --tree` shows it under its source.
 */
interface World {
  fake: FakeModel;
  t: TestEnv;
}

const HARNESSES: Array<{ name: string; setup(w: World): void; args: string[] }> = [
  { name: 'claude', setup: ({ fake, t }) => Object.assign(t.env, claudeEnv(fake.url)), args: [] },
  {
    name: 'codex',
    setup: ({ fake, t }) => {
      Object.assign(t.env, codexUserEnv(t));
      writeCodexUserConfig(t.home, fake.url);
      answerCodexTitles(fake);
    },
    args: [],
  },
  {
    name: 'pi',
    setup: ({ fake, t }) => {
      t.env.PI_OFFLINE = '1';
      writePiUserConfig(t.home, fake.url);
    },
    args: [],
  },
];

const userTexts = (events: OmniEvent[]) => events.filter((e) => e.type === 'message.user').map((e) => (e as OmniEvent<'message.user'>).data.text);

for (const h of HARNESSES) {
  describe.skipIf(!pinnedCli(h.name))(`omni fork: ${h.name} (real ${h.name}, fake model)`, () => {
    let w: World;
    beforeEach(async () => {
      w = { fake: await startFakeModel(), t: makeTestEnv() };
      h.setup(w);
    });
    afterEach(async () => {
      await w.t.cleanup();
      await w.fake.close();
    });

    /** On a failure the pane says why (a harness dialog, say). */
    const pane = async (name: string) => String((await w.t.tmux(['capture-pane', '-p', '-t', `=${(await w.t.omniJson<SessionRecord[]>(['ls'])).find((s) => s.name === name)?.tmuxSession}:`])).stdout);
    const idle = async (name: string) => {
      const done = await w.t.omni(['wait', name, '--for', 'idle', '--timeout', '100']);
      expect(done.exitCode, `wait ${name}: ${done.stderr}\n${done.exitCode ? await pane(name) : ''}`).toBe(0);
    };
    const turn = async (name: string, text: string) => {
      const sent = await w.t.omni(['send', name, text]);
      expect(sent.exitCode, `send ${name}: ${sent.stderr}\n${sent.exitCode ? await pane(name) : ''}`).toBe(0);
      await idle(name);
    };
    const events = async (name: string) => parseEvents((await w.t.omni(['events', name, '--json'])).stdout);
    /** The model request of the turn that carried `marker` as its newest user text. */
    const requestFor = (marker: string) => w.fake.turns().find((r) => r.latestUserText.includes(marker));

    it('carries the history, diverges, logs where it came from, shows under its source; --worktree runs in its own worktree', async () => {
      const { t, fake } = w;
      initRepo(t.work);
      fake.fallback = { text: 'Noted.' };
      const src = await t.omniJson<SessionRecord>([h.name, '--name', 'src', '--policy', 'blast_radius', ...(h.args.length ? ['--', ...h.args] : [])]);
      await idle('src');
      await turn('src', 'remember the word ALPHA-OLD');

      const t0 = performance.now();
      const fork = await t.omniJson<SessionRecord>(['fork', 'src', '--name', 'try-b']);
      expect(fork).toMatchObject({ name: 'try-b', harness: h.name, forkedFrom: src.id, cwd: src.cwd });
      await idle('try-b');
      const forkReadyMs = Math.round(performance.now() - t0);

      // It keeps the source's policies.
      const policyNames = async (n: string) => (await t.omniJson<{ policies: Array<{ name: string; level: string }> }>(['policy', 'ls', n])).policies.map((p) => `${p.level}:${p.name}`);
      expect(await policyNames('try-b')).toEqual(await policyNames('src'));
      expect(await policyNames('try-b')).toContain('session:blast_radius');

      // The fork's first new turn sends the model the source's history.
      await turn('try-b', 'fork turn BRAVO-FORK');
      const forkReq = requestFor('BRAVO-FORK');
      expect(forkReq, 'the fork reached the model').toBeDefined();
      expect(JSON.stringify(forkReq!.body)).toContain('ALPHA-OLD');

      // The source goes on without the fork's turn.
      await turn('src', 'source turn CHARLIE-SRC');
      const srcReq = requestFor('CHARLIE-SRC');
      expect(JSON.stringify(srcReq!.body)).toContain('ALPHA-OLD');
      expect(JSON.stringify(srcReq!.body)).not.toContain('BRAVO-FORK');

      const srcEvents = await events('src');
      const forkEvents = await events('try-b');
      expect(userTexts(srcEvents).join('\n')).not.toContain('BRAVO-FORK');
      expect(userTexts(forkEvents).join('\n')).not.toContain('CHARLIE-SRC');
      expect(userTexts(forkEvents).join('\n')).toContain('BRAVO-FORK');
      const forked = forkEvents.find((e) => e.type === 'session.forked') as OmniEvent<'session.forked'> | undefined;
      expect(forked?.data).toMatchObject({ from: src.id, fromName: 'src' });
      expect(forked?.data.harnessSessionId).toBeTruthy();
      expect(srcEvents.find((e) => e.type === 'session.fork')?.data).toMatchObject({ to: fork.id, toName: 'try-b' });
      // The fork has a harness session of its own.
      const [srcNow, forkNow] = await Promise.all([t.omniJson<SessionRecord>(['ls', '--all']).then((l) => l as unknown as SessionRecord[])]).then(([l]) => [l.find((s) => s.id === src.id)!, l.find((s) => s.id === fork.id)!]);
      expect(forkNow.harnessSessionId).toBeTruthy();
      expect(forkNow.harnessSessionId).not.toBe(srcNow.harnessSessionId);
      // What the source already said is not logged (nor billed) twice in the fork: the fork's
      // harness log starts with the source's history, whose records the source has logged.
      expect(userTexts(forkEvents).join('\n')).not.toContain('ALPHA-OLD');

      type Node = SessionRecord & { children: Node[] };
      const tree = await t.omniJson<Node[]>(['ls', '--tree']);
      const root = tree.find((n) => n.id === src.id);
      expect(root?.children.map((c) => c.id)).toEqual([fork.id]);
      const table = String((await t.omni(['ls', '--tree', '--wide'])).stdout);
      expect(table).toMatch(new RegExp(`└─ ${fork.id}\\s+try-b \\[fork\\]`));

      // --worktree: its own git worktree from HEAD of the source's directory, and it runs there.
      const wt = await t.omniJson<SessionRecord>(['fork', 'src', '--name', 'try-c', '--worktree']);
      expect(wt.worktree?.branch).toBe('omni/try-c');
      expect(wt.cwd).toBe(wt.worktree?.path);
      expect(fs.existsSync(path.join(wt.cwd, 'README'))).toBe(true);
      expect(sh(wt.cwd, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('omni/try-c');
      expect(sh(wt.cwd, 'rev-parse', 'HEAD')).toBe(sh(t.work, 'rev-parse', 'HEAD'));
      await idle('try-c');
      await turn('try-c', 'worktree turn DELTA-WT');
      expect(JSON.stringify(requestFor('DELTA-WT')!.body)).toContain('ALPHA-OLD');
      const pane = String((await t.tmux(['display-message', '-p', '-t', `=${wt.tmuxSession}:`, '#{pane_current_path}'])).stdout).trim();
      expect(pane).toBe(wt.cwd);
      // No usage of the source's is logged again in a fork (checked once all have ended: a
      // harness may hand over a turn's last usage only at its exit).
      for (const n of ['src', 'try-b', 'try-c']) expect((await t.omni(['stop', n])).exitCode).toBe(0);
      const usageIds = async (n: string) => (await events(n)).filter((e) => e.type === 'usage').map((e) => (e as OmniEvent<'usage'>).data.messageId ?? JSON.stringify(e.data));
      const srcUsage = await usageIds('src');
      expect(srcUsage.length).toBeGreaterThanOrEqual(2);
      for (const n of ['try-b', 'try-c']) {
        const mine = await usageIds(n);
        expect(mine.length, `${n} logged its own usage`).toBeGreaterThan(0);
        expect(mine.filter((id) => srcUsage.includes(id)), `${n} repeats none of the source's usage`).toEqual([]);
      }
      process.stderr.write(`[fork ${h.name}] fork ready after ${forkReadyMs} ms\n`);
    });
  });
}

describe.skipIf(!pinnedCli('gemini'))('omni fork: a harness without a fork of its own says so (real gemini)', () => {
  let t: TestEnv;
  beforeEach(() => {
    t = makeTestEnv();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('names the harness, exits 8 (refused), starts nothing; an unknown session exits 3', async () => {
    // Gemini CLI has no fork (its capability row says so): refused before anything starts.
    const g = await t.omniJson<SessionRecord>(['gemini', '--name', 'g']);
    const r = await t.omni(['fork', 'g']);
    expect(r.exitCode, String(r.stderr)).toBe(8);
    expect(String(r.stderr)).toMatch(/Gemini CLI has no fork of its own, so session g cannot be forked/);
    const all = await t.omniJson<SessionRecord[]>(['ls', '--all']);
    expect(all.map((s) => s.id)).toEqual([g.id]);
    const none = await t.omni(['fork', 'nope']);
    expect(none.exitCode).toBe(3);
    expect(String(none.stderr)).toMatch(/no session "nope"/);
  });
});
