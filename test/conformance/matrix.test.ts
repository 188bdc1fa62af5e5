import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import type { OmniEvent, UsageData } from '../../src/core/events.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { makeTestEnv, until, pinnedCli, type TestEnv } from '../helpers/omni.js';
import type { ConformanceRow, HarnessTestProfile } from './profile.js';
import { PROFILES } from './profiles/index.js';
import { CAPABILITIES, matrixResults } from './results.js';

/**
 * The harness conformance matrix: every installed harness (the real, pinned CLI) against the
 * fake model, one check per capability. Each adapter declares its expected row; any
 * difference fails, and the whole matrix is printed at the end.
 */
const results = new Map<string, Partial<Record<keyof ConformanceRow, boolean | string>>>();
const notes = new Map<string, Partial<Record<keyof ConformanceRow, string>>>();

interface Ctx {
  t: TestEnv;
  fake: FakeModel;
  p: HarnessTestProfile;
  args: string[];
  start(name: string, extra?: string[]): Promise<void>;
  events(name: string): Promise<OmniEvent[]>;
  send(name: string, text: string): Promise<void>;
  idle(name: string): Promise<void>;
}

async function withHarness<T>(p: HarnessTestProfile, fn: (c: Ctx) => Promise<T>): Promise<T> {
  const fake = await startFakeModel();
  const t = makeTestEnv();
  try {
    const prep = await p.setup(t, fake);
    Object.assign(t.env, prep.env ?? {});
    const args = prep.args ?? [];
    const ok = async (r: Promise<{ exitCode?: number; stderr: unknown }>, what: string) => {
      const res = await r;
      if (res.exitCode !== 0) throw new Error(`${what} exited ${res.exitCode}: ${String(res.stderr)}`);
    };
    const c: Ctx = {
      t,
      fake,
      p,
      args,
      async start(name, extra = []) {
        await ok(t.omni([p.harness, '--name', name, '--detach', ...extra, '--', ...args]), `omni ${p.harness}`);
        await c.idle(name);
      },
      async events(name) {
        return String((await t.omni(['events', name, '--json'])).stdout)
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as OmniEvent);
      },
      send: (name, text) => ok(t.omni(['send', name, text]), 'omni send'),
      idle: (name) => ok(t.omni(['wait', name, '--for', 'idle', '--timeout', '90']), 'omni wait'),
    };
    return await fn(c);
  } finally {
    await t.cleanup();
    await fake.close();
  }
}

/** `--policy` allowing shell calls for a harness that would otherwise ask its user (asksBeforeCommands). */
function allowCommands(c: Ctx): string[] {
  if (!c.p.asksBeforeCommands) return [];
  const file = path.join(c.t.dir, 'allow-commands.yaml');
  fs.writeFileSync(file, 'policies:\n  - name: conformance-allow\n    rules:\n      - when: { kind: shell }\n        verdict: allow\n');
  return ['--policy', file];
}

const requestsText = (fake: FakeModel) => JSON.stringify(fake.requests.map((r) => r.body));

const CHECKS: Record<keyof ConformanceRow, (c: Ctx) => Promise<boolean>> = {
  async startsClean(c) {
    await c.start('clean');
    const ev = await c.events('clean');
    return !ev.some((e) => e.type === 'session.status' && /first-run|screen/i.test(String((e.data as { reason?: string }).reason ?? '')));
  },
  async sendReply(c) {
    c.fake.script({ match: 'CONF-SAY', turns: [{ text: 'conformance reply 42' }] });
    await c.start('reply');
    await c.send('reply', 'CONF-SAY hello');
    await c.idle('reply');
    const ev = await c.events('reply');
    return ev.some((e) => e.type === 'message.user' && String((e.data as { text: string }).text).includes('CONF-SAY')) &&
      ev.some((e) => e.type === 'message.assistant' && String((e.data as { text: string }).text).includes('conformance reply 42'));
  },
  async toolEvents(c) {
    const file = path.join(c.t.work, 'tool-events.txt');
    c.fake.script({ match: 'CONF-TOOL', turns: [{ toolUses: [{ name: c.p.shellTool.name, input: c.p.shellTool.input(`echo conf > ${file}`) }] }, { text: 'wrote it' }] });
    await c.start('tool', allowCommands(c));
    await c.send('tool', 'CONF-TOOL now');
    await c.idle('tool');
    const ev = await c.events('tool');
    const call = ev.find((e) => e.type === 'tool.call') as OmniEvent<'tool.call'> | undefined;
    const result = ev.find((e) => e.type === 'tool.result') as OmniEvent<'tool.result'> | undefined;
    return fs.existsSync(file) && call?.data.kind === 'shell' && JSON.stringify(call.data.input).includes('echo conf') && result?.data.callId === call.data.callId;
  },
  async deny(c) {
    const file = path.join(c.t.work, 'denied.txt');
    const policy = path.join(c.t.dir, 'deny.yaml');
    fs.writeFileSync(policy, 'policies:\n  - name: no-touch\n    rules:\n      - when: { command: touch }\n        verdict: deny\n        reason: CONF-DENY-REASON touching is not allowed\n');
    c.fake.script({ match: 'CONF-DENY', turns: [{ toolUses: [{ name: c.p.shellTool.name, input: c.p.shellTool.input(`touch ${file}`) }] }, { text: 'ok, not touching' }] });
    await c.start('deny', ['--policy', policy]);
    await c.send('deny', 'CONF-DENY go');
    await c.idle('deny');
    await until(() => c.fake.requests.some((r) => JSON.stringify(r.body).includes('CONF-DENY-REASON')), 15_000, 'the reason to reach the model').catch(() => false);
    return !fs.existsSync(file) && requestsText(c.fake).includes('CONF-DENY-REASON');
  },
  async heldAsk(c) {
    const file = path.join(c.t.work, 'held.txt');
    c.fake.script({ match: 'CONF-ASK', turns: [{ toolUses: [{ name: c.p.shellTool.name, input: c.p.shellTool.input(`touch ${file}`) }] }, { text: 'done after approval' }] });
    await c.start('ask', ['--policy', 'ask_on_shell']);
    await c.send('ask', 'CONF-ASK go');
    const ask = await until(async () => (await c.t.omniJson<Approval[]>(['approvals'])).find((a) => a.sessionName === 'ask'), 60_000, 'the ask');
    await new Promise((r) => setTimeout(r, 1000));
    if (fs.existsSync(file)) return false; // ran before anyone approved
    if ((await c.t.omni(['approve', ask.id])).exitCode !== 0) return false;
    await until(() => fs.existsSync(file), 30_000, 'the approved command');
    await c.idle('ask');
    return true;
  },
  async usage(c) {
    c.fake.defaultUsage = { input_tokens: 1234, output_tokens: 56, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
    c.fake.script({ match: 'CONF-USAGE', turns: [{ text: 'counted' }] });
    await c.start('usage');
    await c.send('usage', 'CONF-USAGE');
    await c.idle('usage');
    await until(async () => (await c.events('usage')).some((e) => e.type === 'usage'), 10_000, 'a usage event').catch(() => undefined);
    const usage = (await c.events('usage')).filter((e) => e.type === 'usage').map((e) => e.data as { inputTokens: number; outputTokens: number });
    return usage.length > 0 && usage.every((u) => u.inputTokens === 1234 && u.outputTokens === 56);
  },
  async cost(c) {
    c.fake.defaultUsage = { input_tokens: 100_000, output_tokens: 2_000, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
    c.fake.script({ match: 'CONF-COST', turns: [{ text: 'priced' }] });
    await c.start('cost');
    await c.send('cost', 'CONF-COST');
    await c.idle('cost');
    await until(async () => (await c.events('cost')).some((e) => e.type === 'usage'), 10_000, 'a usage event').catch(() => undefined);
    const usage = (await c.events('cost')).filter((e) => e.type === 'usage').map((e) => e.data as UsageData);
    return usage.length > 0 && usage.every((u) => (u.reportedCostUsd ?? u.computedCostUsd ?? 0) > 0);
  },
  async interrupt(c) {
    const gate = c.fake.gate();
    c.fake.script({ match: 'CONF-LONG', turns: [{ text: 'a very long answer that never finishes', gate }] });
    await c.start('intr');
    await c.send('intr', 'CONF-LONG');
    await gate.reached;
    if ((await c.t.omni(['interrupt', 'intr'])).exitCode !== 0) return false;
    await c.idle('intr');
    // The scripted turn the gate held (a harness's side request quoting the prompt, e.g. a title, is not it).
    const req = c.fake.requests.find((r) => r.servedBy === 'script' && r.latestUserText.includes('CONF-LONG'));
    gate.release();
    return req?.status === 'aborted';
  },
  async resume(c) {
    c.fake.script({ match: 'CONF-FIRST', turns: [{ text: 'first reply' }] });
    c.fake.script({ match: 'CONF-SECOND', turns: [{ text: 'second reply' }] });
    await c.start('res');
    await c.send('res', 'CONF-FIRST remember the word PAPAYA');
    await c.idle('res');
    if ((await c.t.omni(['stop', 'res'])).exitCode !== 0) return false;
    if ((await c.t.omni(['resume', 'res', '--detach'])).exitCode !== 0) return false;
    await c.idle('res');
    await c.send('res', 'CONF-SECOND what was the word?');
    await c.idle('res');
    const second = c.fake.requests.find((r) => r.latestUserText.includes('CONF-SECOND'));
    return Boolean(second && JSON.stringify(second.body).includes('PAPAYA'));
  },
  async sandbox(c) {
    // A file the user keeps in $HOME: the sandbox hides it (only the harness's own state shows).
    fs.writeFileSync(path.join(c.t.home, '.conf-secret'), 'CONF-SECRET-MATERIAL\n');
    const file = path.join(c.t.work, 'sandbox-probe.txt');
    const probe = `{ cat ~/.conf-secret 2>&1 || true; echo inside-the-sandbox; } > ${file}`;
    c.fake.script({ match: 'CONF-SANDBOX', turns: [{ toolUses: [{ name: c.p.shellTool.name, input: c.p.shellTool.input(probe) }] }, { text: 'probed' }] });
    await c.start('sbx', ['--sandbox', ...allowCommands(c)]);
    const rec = (await c.t.omniJson<Array<{ name: string; sandbox?: boolean }>>(['ls', '--json'])).find((s) => s.name === 'sbx');
    await c.send('sbx', 'CONF-SANDBOX go');
    await c.idle('sbx');
    const out = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const egress = (await c.events('sbx')).filter((e) => e.type === 'egress.request');
    return rec?.sandbox === true && out.includes('inside-the-sandbox') && !out.includes('CONF-SECRET-MATERIAL') && egress.length > 0;
  },
};

for (const p of PROFILES) {
  const installed = pinnedCli(p.binary);
  describe.skipIf(!installed)(`conformance: ${p.harness}`, () => {
    for (const cap of CAPABILITIES) {
      it(`${cap} is ${p.expected[cap] ? 'supported' : 'not supported'} as declared`, async () => {
        let actual: boolean;
        let note = '';
        try {
          actual = await withHarness(p, CHECKS[cap]);
        } catch (err) {
          actual = false;
          note = (err as Error).message.split('\n')[0]!;
        }
        const row = results.get(p.harness) ?? {};
        row[cap] = actual;
        results.set(p.harness, row);
        if (note) notes.set(p.harness, { ...notes.get(p.harness), [cap]: note });
        expect(actual, `${p.harness} ${cap}: expected ${p.expected[cap]}, got ${actual}${note ? ` (${note})` : ''}`).toBe(p.expected[cap]);
      });
    }
  });
}

afterAll(() => {
  const mark = (v: boolean | string | undefined, exp: boolean) => (v === undefined ? ' - ' : v === exp ? (v ? ' ✓ ' : ' · ') : v ? '!✓ ' : '!✗ ');
  const lines = [
    '',
    'harness conformance matrix (✓ works, · not supported as declared, ! differs from the declared row, - not run)',
    ['harness', ...CAPABILITIES].map((h, i) => (i === 0 ? h.padEnd(8) : h.padStart(Math.max(h.length, 3)))).join(' '),
  ];
  for (const p of PROFILES) {
    const row = results.get(p.harness);
    lines.push(
      [p.harness.padEnd(8), ...CAPABILITIES.map((cap) => mark(row?.[cap], p.expected[cap]).padStart(Math.max(cap.length, 3)))].join(' ') +
        (fs.existsSync(p.binary) ? '' : '   (not installed: run npm run test:setup)'),
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  // Machine-readable for `npm run test:latest` (scripts/test-latest.mjs): what ran, what it saw, which versions.
  const out = process.env.OMNI_CONFORMANCE_OUT;
  if (out) fs.writeFileSync(out, JSON.stringify(matrixResults(PROFILES, results, notes), null, 2) + '\n');
});
