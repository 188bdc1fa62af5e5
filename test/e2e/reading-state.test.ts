import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import type { CostReport } from '../../src/cost/aggregate.js';
import type { FakeModel } from '../fake-model/server.js';
import { parseEvents } from '../helpers/events.js';
import { OMNI_JS, until, type TestEnv } from '../helpers/omni.js';
import { claudeWorld } from '../helpers/world.js';

// Every answer of the fake model spends 2,000 input + 5,000 output + 40,000 cache-read + 10,000
// cache-write tokens. claude-mystery-9 is in no price book until the test prices it at $1 per
// million tokens of every kind: 57,000 tokens = $0.057 a message.
const MODEL = 'claude-mystery-9';
const PER_MESSAGE_USD = 0.057;
const PRICES = `models:\n  ${MODEL}:\n    input: 1\n    output: 1\n    cacheRead: 1\n    cacheWrite: 1\n`;

describe('reading the state: one spend everywhere, repricing, rm/prune, 80 columns (real claude, fake model)', () => {
  let fake: FakeModel;
  let t: TestEnv;

  claudeWorld((w) => ({ fake, t } = w), { defaultUsage: { input_tokens: 2_000, output_tokens: 5_000, cache_read_input_tokens: 40_000, cache_creation_input_tokens: 10_000 } });

  const usageOf = async (name: string) => parseEvents((await t.omni(['events', name, '--json'])).stdout).filter((e) => e.type === 'usage') as OmniEvent<'usage'>[];
  const record = async (name: string) => (await t.omniJson<SessionRecord[]>(['ls', '--all'])).find((s) => s.name === name);
  const start = async (name: string, extra: string[] = []) => {
    await t.omniJson<SessionRecord>(['claude', '--name', name, '--model', MODEL, ...extra]);
    expect((await t.omni(['wait', name, '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
  };
  const prompt = async (name: string, text: string) => {
    expect((await t.omni(['send', name, text])).exitCode).toBe(0);
    expect((await t.omni(['wait', name, '--for', 'idle', '--timeout', '90'])).exitCode).toBe(0);
  };

  it('prices old usage once the model is priced, shows one figure in ls, status-line and the dashboard, and keeps cost history past omni rm / omni prune', async () => {
    fake.script({ match: 'FIRST-SPEND', turns: [{ text: 'Spent.' }] });
    await start('mystery');
    await prompt('mystery', 'FIRST-SPEND please');
    const usage = await until(async () => ((await usageOf('mystery')).length ? usageOf('mystery') : undefined), 30_000, 'a usage event');
    const n = usage.length;
    expect(usage.every((u) => u.data.unpriced === true)).toBe(true);
    expect(String((await t.omni(['ls'])).stdout)).toMatch(/mystery\s+claude\s+idle\s+\$\?\s/);
    expect(String((await t.omni(['status-line'])).stdout).trim()).toBe('omni 1 session · $?');
    expect(String((await t.omni(['cost'])).stdout)).toMatch(/price it in prices.yaml/);

    // Priced now: the old usage is repriced in every total; the logged events stay as they were.
    fs.mkdirSync(path.join(t.omniHome, 'config'), { recursive: true });
    fs.writeFileSync(path.join(t.omniHome, 'config', 'prices.yaml'), PRICES);
    const expected = Math.round(n * PER_MESSAGE_USD * 1e9) / 1e9;
    const rec = await until(async () => {
      const r = await record('mystery');
      return r?.cost?.computedUsd === expected ? r : undefined;
    }, 10_000, 'the repriced session total');
    expect(rec.cost?.unpricedModels ?? []).toEqual([]);
    const figure = `$${expected.toFixed(2)}`;
    expect(String((await t.omni(['ls'])).stdout)).toMatch(new RegExp(`mystery\\s+claude\\s+idle\\s+\\${figure}\\s`));
    expect(String((await t.omni(['status-line'])).stdout).trim()).toBe(`omni 1 session · ${figure}`);
    const dash = String((await t.omni(['dashboard'])).stdout);
    expect(dash).toMatch(new RegExp(`mystery \\(${rec.id}\\)\\s+claude\\s+idle\\s+\\S+\\s+0\\s+\\${figure}( |$)`, 'm'));
    expect(dash).toContain(`total ${figure} · 1 session`);
    const report = await t.omniJson<CostReport>(['cost']);
    expect(report.total).toMatchObject({ messages: n, computedUsd: expected, unpricedMessages: 0 });
    expect(report.unpriced).toEqual([]);
    expect(String((await t.omni(['cost'])).stdout)).not.toMatch(/unpriced/);
    expect((await usageOf('mystery')).every((u) => u.data.unpriced === true && u.data.computedCostUsd === undefined)).toBe(true);

    // A day budget no longer asks about yesterday's "unpriced" model on a new session's first prompt.
    fake.script({ match: 'DAY-BUDGET', turns: [{ text: 'Within the day budget.' }] });
    await start('daily', ['--policy', 'cost_budget:{"scope": "day", "hard_limit_usd": 100}']);
    await prompt('daily', 'DAY-BUDGET please');
    expect(await t.omniJson<Approval[]>(['approvals'])).toEqual([]);
    expect(fake.turns().some((r) => r.latestUserText.includes('DAY-BUDGET'))).toBe(true);
    const total = (await t.omniJson<CostReport>(['cost'])).total;

    // omni rm: a live session is refused; an ended one goes, its cost stays in omni cost.
    const live = await t.omni(['rm', 'mystery']);
    expect(live.exitCode).toBe(8);
    expect(String(live.stderr)).toMatch(/omni: session mystery \(s_\w+\) is idle; only ended sessions can be removed \(omni stop mystery first\)/);
    expect((await t.omni(['stop', 'mystery'])).exitCode).toBe(0);
    const dir = path.join(t.omniHome, 'state', 'sessions', rec.id);
    expect(fs.existsSync(dir)).toBe(true);
    const rm = await t.omni(['rm', 'mystery']);
    expect(rm.exitCode, String(rm.stderr)).toBe(0);
    expect(String(rm.stdout)).toMatch(new RegExp(`^removed mystery \\(${rec.id}\\) claude exited, spent \\${figure} \\(kept in omni cost\\)`));
    expect(fs.existsSync(dir)).toBe(false);
    expect((await t.omniJson<SessionRecord[]>(['ls', '--all'])).map((s) => s.name)).toEqual(['daily']);
    const after = await t.omniJson<CostReport>(['cost']);
    expect(after.total).toMatchObject({ messages: total.messages, computedUsd: total.computedUsd });
    expect(after.groups.map((g) => g.label).sort()).toEqual(['daily', 'mystery']);
    expect((await t.omni(['rm', 'mystery'])).exitCode).toBe(3); // gone

    // omni prune: --dry-run and --older-than leave it; plain prune removes every ended session.
    expect((await t.omni(['stop', 'daily'])).exitCode).toBe(0);
    expect(String((await t.omni(['prune', '--older-than', '7d'])).stdout)).toMatch(/no ended sessions older than 7d to remove/);
    expect(String((await t.omni(['prune', '--dry-run'])).stdout)).toMatch(/would remove daily \(s_\w+\) claude exited[^\n]*\nwould remove 1 session/);
    expect((await t.omniJson<SessionRecord[]>(['ls', '--all'])).length).toBe(1);
    const pruned = await t.omni(['prune']);
    expect(pruned.exitCode).toBe(0);
    expect(String(pruned.stdout)).toMatch(/removed 1 session; their cost stays in omni cost/);
    expect(String((await t.omni(['ls', '--all'])).stdout).trim()).toBe('no sessions');
    expect((await t.omniJson<CostReport>(['cost'])).total).toMatchObject({ messages: total.messages, computedUsd: total.computedUsd });
    // A restarted daemon (and a lost day ledger) still counts them.
    expect((await t.omni(['daemon', 'stop'])).exitCode).toBe(0);
    fs.rmSync(path.join(t.omniHome, 'state', 'cost-ledger.json'));
    expect((await t.omniJson<CostReport>(['cost', '--by', 'day'])).total.computedUsd).toBe(total.computedUsd);
    const ledger = JSON.parse(fs.readFileSync(path.join(t.omniHome, 'state', 'cost-ledger.json'), 'utf8')) as Record<string, { usd: number; unpricedModels?: string[] }>;
    expect(Object.values(ledger).reduce((a, d) => a + d.usd, 0)).toBeCloseTo(total.computedUsd, 9);
    expect(Object.values(ledger).every((d) => !d.unpricedModels)).toBe(true);
  });

  it('fits omni ls and the dashboard in an 80-column tmux pane, with a waiting session’s whole ap_ id', async () => {
    fs.writeFileSync(
      path.join(t.work, 'ask.yaml'),
      ['policies:', '  - name: ask-first', '    rules:', '      - when: { prompt: "/ASK-ME/" }', '        verdict: ask', '        reason: this prompt needs a person to look at it first, since it mentions something that this policy was written to catch before the model sees it', ''].join('\n'),
    );
    await start('long-named-session', ['--policy', './ask.yaml']);
    expect((await t.omni(['send', 'long-named-session', 'ASK-ME please'])).exitCode).toBe(0);
    const ask = await until(async () => (await t.omniJson<Approval[]>(['approvals']))[0], 30_000, 'the ask');
    await until(async () => (await record('long-named-session'))?.status === 'waiting', 10_000, 'waiting');
    expect((await record('long-named-session'))?.statusReason?.length).toBeGreaterThan(120);

    // COLUMNS=80 through a pipe, as a script would set it.
    const piped = await t.omni(['ls'], { env: { COLUMNS: '80' } });
    const rows = String(piped.stdout).trimEnd().split('\n');
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r.length).toBeLessThanOrEqual(80);
    expect(rows[1]).toContain(`waiting (${ask.id})`);
    // --wide: the whole reason.
    expect(String((await t.omni(['ls', '--wide'], { env: { COLUMNS: '80' } })).stdout)).toContain('before the model sees it');

    // A real terminal, 80 columns wide, on a tmux server of the test's own.
    const sock = path.join(t.dir, 'user-tmux.sock');
    const tmux = (args: string[]) => execa('tmux', ['-S', sock, ...args], { reject: false });
    const envArgs = Object.entries(t.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    try {
      expect((await tmux(['new-session', '-d', '-x', '80', '-y', '30', ...envArgs, '-c', t.work, 'sh'])).exitCode).toBe(0);
      await tmux(['send-keys', '-l', `${process.execPath} ${OMNI_JS} ls; echo LS-\$((40+2))`]);
      await tmux(['send-keys', 'Enter']);
      const screen = await until(async () => {
        const s = String((await tmux(['capture-pane', '-p', '-J'])).stdout);
        return /^LS-42$/m.test(s) ? s : undefined;
      }, 20_000, 'omni ls in the pane');
      const lines = screen.split('\n');
      const head = lines.findIndex((l) => /^ID\s+NAME/.test(l));
      expect(head).toBeGreaterThanOrEqual(0);
      // One row per session: nothing wrapped onto a second line (capture -J would join it: > 80).
      expect(lines[head + 1]).toMatch(new RegExp(`^s_\\w+\\s+long-named-session\\s+claude\\s+waiting \\(${ask.id}\\)`));
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);

      // The dashboard in the same 80 columns: the status shows the whole id, never a cut one.
      await tmux(['send-keys', '-l', `clear; ${process.execPath} ${OMNI_JS} dashboard`]);
      await tmux(['send-keys', 'Enter']);
      const dash = await until(async () => {
        const s = String((await tmux(['capture-pane', '-p'])).stdout);
        // Both halves drawn: the asks can arrive before the sessions' list does.
        return s.includes('Pending asks') && !s.includes('loading sessions') ? s : undefined;
      }, 20_000, 'the dashboard');
      expect(dash).toContain(`waiting (${ask.id})`);
      expect(dash).not.toMatch(/ap_[0-9a-f]{0,9}…/);
      await tmux(['send-keys', 'q']);
    } finally {
      await tmux(['kill-server']);
    }
  });
});
