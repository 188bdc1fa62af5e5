import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import type { FakeModel } from '../fake-model/server.js';
import { parseEvents } from '../helpers/events.js';
import { claudeWorld } from '../helpers/world.js';
import { ROOT, until, type TestEnv } from '../helpers/omni.js';

describe('Claude Code end to end (real claude in omni tmux, fake model)', () => {
  let fake: FakeModel;
  let t: TestEnv;

  claudeWorld((w) => ({ fake, t } = w));

  it('runs a Bash tool call from a sent prompt and logs tool.call, tool.result and the reply', async () => {
    const target = path.join(t.work, 'made-by-claude.txt');
    fake.script({
      match: 'WRITE-THE-FILE',
      turns: [
        { toolUses: [{ name: 'Bash', input: { command: `echo hello-from-claude > ${target}`, description: 'Write the file' } }] },
        { text: 'I wrote the file for you.' },
      ],
    });

    // Claude 2.1.330 defaults to "auto" permission mode, whose classifier needs the real service;
    // the test picks the classic mode and allows Bash, as a user would in their own settings.
    const session = await t.omniJson<SessionRecord>(['claude', '--name', 'e2e', '--', '--permission-mode', 'default', '--allowedTools', 'Bash']);
    expect(session.name).toBe('e2e');
    expect(session.harness).toBe('claude');

    const ready = await t.omni(['wait', 'e2e', '--for', 'idle', '--timeout', '90']);
    expect(ready.exitCode, `${ready.stderr}`).toBe(0);

    const sent = await t.omni(['send', 'e2e', 'please WRITE-THE-FILE now']);
    expect(sent.exitCode, `${sent.stderr}`).toBe(0);
    const done = await t.omni(['wait', 'e2e', '--for', 'idle', '--timeout', '90']);
    expect(done.exitCode, `${done.stderr}`).toBe(0);

    expect(fs.readFileSync(target, 'utf8').trim()).toBe('hello-from-claude');

    const ev = await t.omni(['events', 'e2e', '--json']);
    expect(ev.exitCode).toBe(0);
    const events = parseEvents(String(ev.stdout));
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    const user = events.find((e) => e.type === 'message.user');
    expect((user?.data as { text: string }).text).toContain('WRITE-THE-FILE');

    const call = events.find((e) => e.type === 'tool.call') as OmniEvent<'tool.call'> | undefined;
    expect(call?.data.tool).toBe('Bash');
    expect(call?.data.kind).toBe('shell');
    expect((call?.data.input as { command: string }).command).toContain('echo hello-from-claude');

    const result = events.find((e) => e.type === 'tool.result') as OmniEvent<'tool.result'> | undefined;
    expect(result?.data.callId).toBe(call?.data.callId);
    expect(result?.data.ok).toBe(true);

    const texts = events.filter((e) => e.type === 'message.assistant').map((e) => (e.data as { text: string }).text);
    expect(texts).toContain('I wrote the file for you.');

    const usage = events.filter((e) => e.type === 'usage') as OmniEvent<'usage'>[];
    expect(usage.length).toBeGreaterThanOrEqual(2);
    expect(usage.every((u) => u.data.inputTokens > 0 && u.data.source === 'claude.transcript')).toBe(true);

    // The model received the tool's outcome in the follow-up request.
    expect(fake.requests.some((r) => JSON.stringify(r.body).includes('tool_result'))).toBe(true);

    const stop = await t.omni(['stop', 'e2e']);
    expect(stop.exitCode).toBe(0);
    const all = await t.omniJson<SessionRecord[]>(['ls', '--all']);
    expect(all.find((s) => s.name === 'e2e')?.status).toBe('exited');
    const live = await t.omniJson<SessionRecord[]>(['ls']);
    expect(live.find((s) => s.name === 'e2e')).toBeUndefined();
  });

  it('omni run starts an agent spec: its prompt goes in once ready, its policies at agent level', async () => {
    fake.script({ match: "Run the project's test suite", turns: [{ text: 'All tests pass.' }] });
    const session = await t.omniJson<SessionRecord>(['run', path.join(ROOT, 'agents', 'fixer.yaml'), '--name', 'fx', '--', '--permission-mode', 'default']);
    expect(session.harness).toBe('claude');
    expect(session.agent?.name).toBe('fixer');
    await until(() => fake.requests.some((r) => r.latestUserText.includes("Run the project's test suite")), 60_000, 'the spec prompt to reach the model');
    await until(async () => String((await t.omni(['events', 'fx', '--json'])).stdout).includes('All tests pass.'), 30_000, 'the reply');
    const pol = await t.omniJson<{ policies: Array<{ name: string; level: string }> }>(['policy', 'ls', 'fx']);
    expect(pol.policies.filter((p) => p.level === 'agent').map((p) => p.name)).toEqual(['blast_radius', 'no-push-after-install']);
    const bad = await t.omni(['run', path.join(ROOT, 'agents', 'fixer.yaml'), '--harness', 'cursor']);
    expect(bad.exitCode).toBe(3);
    expect(String(bad.stderr)).toMatch(/unknown harness "cursor"; known harnesses: claude/);
  });

  it("reports Claude's own permission dialog as waiting, and send refuses to type into it", async () => {
    const target = path.join(t.work, 'needs-permission.txt');
    fake.script({ match: 'ASK-ME', turns: [{ toolUses: [{ name: 'Bash', input: { command: `touch ${target}`, description: 'touch' } }] }, { text: 'done' }] });
    // No --allowedTools: Claude asks the person itself.
    await t.omniJson<SessionRecord>(['claude', '--name', 'perm', '--', '--permission-mode', 'default']);
    expect((await t.omni(['wait', 'perm', '--timeout', '60'])).exitCode).toBe(0);
    expect((await t.omni(['send', 'perm', 'ASK-ME'])).exitCode).toBe(0);
    const waiting = await t.omni(['wait', 'perm', '--for', 'waiting', '--timeout', '60', '--json']);
    expect(waiting.exitCode).toBe(0);
    expect(JSON.parse(String(waiting.stdout)).statusReason).toMatch(/permission for Bash/);
    const typed = await t.omni(['send', 'perm', '1']);
    expect(typed.exitCode).toBe(8);
    expect(String(typed.stderr)).toMatch(/waiting on its own screen .*typing would answer it/);
    await new Promise((r) => setTimeout(r, 500));
    expect(fs.existsSync(target)).toBe(false);
  });
});
