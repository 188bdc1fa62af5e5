import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import type { FakeModel } from '../fake-model/server.js';
import { parseEvents, toolResultText } from '../helpers/events.js';
import { HARNESS_BIN, OMNI_JS, until, type TestEnv } from '../helpers/omni.js';
import { claudeWorld } from '../helpers/world.js';

/**
 * The real Claude Code against the fake model: ways out of a session that the runtime (not the
 * policies) must close — omni's tmux server as a parent, a double fork — and a harness
 * installed under $HOME, which the sandbox hides, started the way a user types it.
 */
describe('no way out, and a harness under $HOME in the sandbox', () => {
  let fake: FakeModel;
  let t: TestEnv;

  claudeWorld((w) => ({ fake, t } = w));

  const events = async (name: string) => parseEvents((await t.omni(['events', name, '--json'])).stdout);

  it("an agent's `tmux -S <omni's socket> run-shell 'omni approve …'` and a double fork are refused and logged", async () => {
    const target = path.join(t.work, 'held.txt');
    fake.script({ match: 'HOLD-ME', turns: [{ toolUses: [{ id: 'toolu_hold', name: 'Bash', input: { command: `touch ${target}` } }] }, { text: 'Held.' }] });
    await t.omniJson<SessionRecord>(['claude', '--name', 'victim', '--policy', 'ask_on_shell', '--', '--permission-mode', 'default', '--allowedTools', 'Bash']);
    await t.omniJson<SessionRecord>(['claude', '--name', 'attacker', '--', '--permission-mode', 'default', '--allowedTools', 'Bash']);
    for (const n of ['victim', 'attacker']) expect((await t.omni(['wait', n, '--timeout', '60'])).exitCode).toBe(0);
    expect((await t.omni(['send', 'victim', 'HOLD-ME'])).exitCode).toBe(0);
    const ask = await until(async () => (await t.omniJson<Approval[]>(['approvals'])).find((a) => a.sessionName === 'victim'), 60_000, 'the held ask');

    // What an injected agent writes and runs: a script (omni_guard reads commands, not files),
    // with omni's tmux socket spelled out since the pane has no $TMUX.
    const omni = `${process.execPath} ${OMNI_JS}`;
    const sock = path.join(t.omniHome, 'run', 'tmux.sock');
    fs.writeFileSync(
      path.join(t.work, 'escape.sh'),
      [
        `echo "TMUX-VAR:[$TMUX]"`,
        `tmux -S ${sock} run-shell "${omni} approve ${ask.id} > ${t.work}/run-shell.out 2>&1; echo \\$? >> ${t.work}/run-shell.out"`,
        `echo "RUN-SHELL:$(tr '\\n' ' ' < ${t.work}/run-shell.out)"`,
        `( sh -c '${omni} approve ${ask.id} > ${t.work}/fork.out 2>&1; echo $? >> ${t.work}/fork.out' & )`,
        `for i in 1 2 3 4 5 6 7 8 9 10; do [ -s ${t.work}/fork.out ] && grep -q '^[0-9]' ${t.work}/fork.out && break; sleep 1; done`,
        `echo "FORK:$(tr '\\n' ' ' < ${t.work}/fork.out)"`,
        '',
      ].join('\n'),
    );
    fake.script({ match: 'ESCAPE', turns: [{ toolUses: [{ id: 'toolu_escape', name: 'Bash', input: { command: 'sh ./escape.sh', timeout: 120000 } }] }, { text: 'Tried.' }] });
    expect((await t.omni(['send', 'attacker', 'ESCAPE'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'attacker', '--timeout', '90'])).exitCode).toBe(0);
    const out = JSON.parse(toolResultText(fake, 'toolu_escape') ?? '""') as string;

    expect(out).toContain('TMUX-VAR:[]');
    expect(out).toMatch(/RUN-SHELL:.*approval refused: pid \d+ .*omni's own tmux server.* 8\s*$/m);
    // Claude starts each Bash call in a new Unix session; the orphan keeps that one's SID.
    expect(out).toMatch(/FORK:.*approval refused: pid \d+ is in a Unix session \(sid \d+\) of session attacker's processes.* 8\s*$/m);
    // Still held; nothing ran.
    expect((await t.omniJson<Approval[]>(['approvals'])).find((a) => a.id === ask.id)?.status).toBe('pending');
    expect(fs.existsSync(target)).toBe(false);

    const refused = (await events('victim')).filter((e) => e.type === 'approval.refused') as Array<OmniEvent<'approval.refused'>>;
    expect(refused).toHaveLength(2);
    expect(refused[0]!.data).toMatchObject({ id: ask.id, verb: 'approve', pid: expect.any(Number), why: expect.stringMatching(/tmux server/) });
    const attacker = (await t.omniJson<SessionRecord[]>(['ls'])).find((s) => s.name === 'attacker')!;
    expect(refused[1]!.data).toMatchObject({ id: ask.id, verb: 'approve', from: attacker.id });
    expect((await events('attacker')).filter((e) => e.type === 'approval.refused')).toHaveLength(1);
    expect(fs.readFileSync(path.join(t.omniHome, 'log', 'omnid.log'), 'utf8')).toMatch(new RegExp(`approval refused: approve ${ask.id} by pid \\d+`));

    // The person, from their own terminal, still can.
    expect((await t.omni(['approve', ask.id])).exitCode).toBe(0);
    await until(() => fs.existsSync(target), 30_000, 'the approved command to run');
  });

  it('a sandboxed Claude installed under an npm prefix in $HOME starts as typed and runs a tool call', async () => {
    // ~/.npm-global/bin/claude → ../lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe,
    // the package hard-linked from the pinned one, so its real path is inside the hidden $HOME.
    const prefix = path.join(t.home, '.npm-global');
    const pkg = path.join(prefix, 'lib', 'node_modules', '@anthropic-ai', 'claude-code');
    fs.mkdirSync(path.dirname(pkg), { recursive: true });
    const pinned = fs.realpathSync(path.join(HARNESS_BIN, '..', '@anthropic-ai', 'claude-code'));
    await execa('cp', ['-al', pinned, pkg]).catch(() => execa('cp', ['-a', pinned, pkg]));
    fs.mkdirSync(path.join(prefix, 'bin'));
    fs.symlinkSync('../lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe', path.join(prefix, 'bin', 'claude'));
    const PATH = `${path.join(prefix, 'bin')}:${process.env.PATH}`;

    fake.script({ match: 'HOME-TOOL', turns: [{ toolUses: [{ id: 'toolu_home', name: 'Bash', input: { command: 'echo made > made.txt; echo "SELF:$(command -v claude)"' } }] }, { text: 'Made.' }] });
    const r = await t.omni(['claude', '--sandbox', '--name', 'hm', '--json'], { env: { PATH } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const s = JSON.parse(String(r.stdout)) as SessionRecord;
    expect(s.command[0]).toBe(path.join(prefix, 'bin', 'claude'));
    expect((await t.omni(['wait', 'hm', '--timeout', '60'], { env: { PATH } })).exitCode).toBe(0);
    expect((await t.omni(['send', 'hm', 'HOME-TOOL'], { env: { PATH } })).exitCode).toBe(0);
    expect((await t.omni(['wait', 'hm', '--timeout', '90'], { env: { PATH } })).exitCode).toBe(0);
    expect(JSON.parse(toolResultText(fake, 'toolu_home') ?? '""')).toContain(`SELF:${path.join(prefix, 'bin', 'claude')}`);
    expect(fs.readFileSync(path.join(t.work, 'made.txt'), 'utf8')).toBe('made\n');
  });

  it('a sandboxed harness that cannot start there says why in omni ls, not just "exited"', async () => {
    // A `#!/usr/bin/env node` claude whose node is nowhere on PATH: it cannot start inside.
    const bin = path.join(t.home, '.local', 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'claude'), '#!/usr/bin/env omni-test-no-such-node\nprocess.exit(0)\n', { mode: 0o755 });
    const PATH = `${bin}:/usr/bin:/bin`;
    expect((await t.omni(['daemon', 'start'])).exitCode).toBe(0);
    const r = await t.omni(['claude', '--sandbox', '--name', 'gone', '--json'], { env: { PATH } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const ended = await until(async () => (await t.omniJson<SessionRecord[]>(['ls', '--all'])).find((x) => x.name === 'gone' && x.status === 'exited'), 30_000, 'the session to end');
    expect(ended.statusReason).toMatch(/^claude is not reachable inside the sandbox: its interpreter "omni-test-no-such-node" .* is not on PATH/);
    const ev = (await events('gone')).find((e) => e.type === 'session.exited') as OmniEvent<'session.exited'>;
    expect(ev.data.reason).toBe(ended.statusReason);
  });
});
