import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Approval } from '../../src/approvals/types.js';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import type { FakeModel } from '../fake-model/server.js';
import { parseEvents, toolResultText as toolResultOf } from '../helpers/events.js';
import { OMNI_JS, until, type TestEnv } from '../helpers/omni.js';
import { claudeWorld } from '../helpers/world.js';

/** The real Claude Code under omni policies, against the fake model. */
describe('policies and approvals end to end', () => {
  let fake: FakeModel;
  let t: TestEnv;

  claudeWorld((w) => ({ fake, t } = w));

  const CLAUDE_ARGS = ['--', '--permission-mode', 'default', '--allowedTools', 'Bash'];
  const events = async (name: string) => parseEvents((await t.omni(['events', name, '--json'])).stdout);
  const pending = async () => t.omniJson<Approval[]>(['approvals']);
  const start = async (name: string, policyArgs: string[]) => {
    const s = await t.omniJson<SessionRecord>(['claude', '--name', name, ...policyArgs, ...CLAUDE_ARGS]);
    expect((await t.omni(['wait', name, '--timeout', '60'])).exitCode).toBe(0);
    return s;
  };
  /** The text Claude sent back to the model for a tool call: what the model "saw". */
  const toolResultText = (toolUseId: string) => toolResultOf(fake, toolUseId);

  it('(a) a denied command never runs and the model receives the reason', async () => {
    const policyFile = path.join(t.dir, 'no-touch.yaml');
    fs.writeFileSync(
      policyFile,
      ['policies:', '  - name: no-touch', '    rules:', '      - when: { phase: tool_call, command: touch }', '        verdict: deny', '        reason: touching files is not allowed in this repo', ''].join('\n'),
    );
    const target = path.join(t.work, 'denied.txt');
    fake.script({ match: 'DO-TOUCH', turns: [{ toolUses: [{ id: 'toolu_deny_1', name: 'Bash', input: { command: `cd ${t.work} && touch ${target}` } }] }, { text: 'Understood, I will not.' }] });
    await start('a', ['--policy', policyFile]);
    expect((await t.omni(['send', 'a', 'DO-TOUCH'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'a', '--timeout', '60'])).exitCode).toBe(0);
    expect(fs.existsSync(target)).toBe(false);
    expect(toolResultText('toolu_deny_1')).toContain('touching files is not allowed in this repo');
    const ev = await events('a');
    const decision = ev.find((e) => e.type === 'policy.decision') as OmniEvent<'policy.decision'>;
    expect(decision.data).toMatchObject({ phase: 'tool_call', verdict: 'deny', policy: 'no-touch', callId: 'toolu_deny_1' });
    expect(ev.some((e) => e.type === 'tool.result')).toBe(false);
  });

  it('(b) after npm install, git push is held until omni approve; the next one is denied by omni deny', async () => {
    // A repo with a local bare remote and a local package: no network needed.
    const remote = path.join(t.dir, 'remote.git');
    const git = (args: string[], cwd = t.work) => execa('git', args, { cwd, env: { ...t.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' }, extendEnv: false });
    await execa('git', ['init', '-q', '--bare', remote]);
    await git(['init', '-q', '-b', 'main']);
    fs.writeFileSync(path.join(t.work, 'package.json'), JSON.stringify({ name: 'w', version: '1.0.0', private: true }));
    fs.mkdirSync(path.join(t.dir, 'localpkg'));
    fs.writeFileSync(path.join(t.dir, 'localpkg', 'package.json'), JSON.stringify({ name: 'localpkg', version: '1.0.0' }));
    await git(['add', '.']);
    await git(['commit', '-q', '-m', 'one']);
    await git(['remote', 'add', 'origin', remote]);
    const remoteHead = async () => (await execa('git', ['--git-dir', remote, 'rev-parse', '--verify', '-q', 'refs/heads/main'], { reject: false })).stdout.trim();

    fake.script({
      match: 'INSTALL-AND-PUSH',
      turns: [
        { toolUses: [{ id: 'toolu_npm', name: 'Bash', input: { command: `npm install --no-audit --no-fund --offline ${path.join(t.dir, 'localpkg')}` } }] },
        { toolUses: [{ id: 'toolu_push1', name: 'Bash', input: { command: `git -c user.name=t -c user.email=t@t commit -qam two --allow-empty && git push -q origin main` } }] },
        { text: 'Pushed.' },
      ],
    });
    fake.script({
      match: 'PUSH-AGAIN',
      turns: [{ toolUses: [{ id: 'toolu_push2', name: 'Bash', input: { command: `git -c user.name=t -c user.email=t@t commit -qm three --allow-empty && git push -q origin main` } }] }, { text: 'Not pushed.' }],
    });
    await start('b', ['--policy', 'taint_then_ask']);
    expect((await t.omni(['send', 'b', 'INSTALL-AND-PUSH'])).exitCode).toBe(0);

    const ask = await until(async () => (await pending()).find((a) => a.session && a.sessionName === 'b'), 60_000, 'the push to be held');
    expect(ask.id).toMatch(/^ap_/);
    expect(ask.request.command).toContain('git push');
    expect(ask.policies).toEqual(['taint_then_ask']);
    expect(fs.existsSync(path.join(t.work, 'node_modules', 'localpkg'))).toBe(true);
    expect((await t.omniJson<SessionRecord>(['wait', 'b', '--for', 'waiting', '--timeout', '10'])).statusReason).toContain(ask.id);
    // Held: nothing pushed while the ask waits.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await remoteHead()).toBe('');

    const ok = await t.omni(['approve', ask.id]);
    expect(ok.exitCode, String(ok.stderr)).toBe(0);
    expect((await t.omni(['wait', 'b', '--timeout', '60'])).exitCode).toBe(0);
    const pushed = await remoteHead();
    expect(pushed).not.toBe('');
    // The first answer wins: a second one is refused.
    const again = await t.omni(['deny', ask.id]);
    expect(again.exitCode).toBe(8);
    expect(String(again.stderr)).toMatch(/already approved by .* via cli/);

    expect((await t.omni(['send', 'b', 'PUSH-AGAIN'])).exitCode).toBe(0);
    const ask2 = await until(async () => (await pending()).find((a) => a.sessionName === 'b'), 60_000, 'the second push to be held');
    expect(ask2.id).not.toBe(ask.id);
    const no = await t.omni(['deny', ask2.id, '--reason', 'not before the release']);
    expect(no.exitCode, String(no.stderr)).toBe(0);
    expect((await t.omni(['wait', 'b', '--timeout', '60'])).exitCode).toBe(0);
    expect(await remoteHead()).toBe(pushed);
    expect(toolResultText('toolu_push2')).toContain('not before the release');

    // Every decision and answer is in the log, with who and how.
    const ev = await events('b');
    const resolved = ev.filter((e) => e.type === 'approval.resolved').map((e) => e.data as { id: string; verdict: string; by: string; via: string });
    expect(resolved).toEqual([
      expect.objectContaining({ id: ask.id, verdict: 'approve', via: 'cli', by: expect.any(String) }),
      expect.objectContaining({ id: ask2.id, verdict: 'deny', via: 'cli' }),
    ]);
    expect(ev.filter((e) => e.type === 'approval.requested').map((e) => (e.data as { id: string }).id)).toEqual([ask.id, ask2.id]);
  });

  it('(c) an ask survives a daemon restart and the waiting hook still gets its answer', async () => {
    const target = path.join(t.work, 'after-restart.txt');
    fake.script({ match: 'HOLD-ME', turns: [{ toolUses: [{ id: 'toolu_hold', name: 'Bash', input: { command: `touch ${target}` } }] }, { text: 'Done.' }] });
    await start('c', ['--policy', 'ask_on_shell']);
    expect((await t.omni(['send', 'c', 'HOLD-ME'])).exitCode).toBe(0);
    const ask = await until(async () => (await pending()).find((a) => a.sessionName === 'c'), 60_000, 'the ask');

    const pidFile = path.join(t.omniHome, 'run', 'omnid.pid');
    const pid1 = Number(fs.readFileSync(pidFile, 'utf8'));
    process.kill(pid1, 'SIGKILL');
    // The held hook loses its connection, starts a daemon and asks again: same approval.
    await until(async () => {
      const st = await t.omni(['daemon', 'status', '--json']);
      return st.exitCode === 0 && JSON.parse(String(st.stdout)).pid !== pid1;
    }, 30_000, 'the hook to bring the daemon back');
    const after = await until(async () => (await pending()).find((a) => a.id === ask.id), 20_000, 'the same ask after the restart');
    expect(after.status).toBe('pending');
    expect(fs.existsSync(target)).toBe(false);

    expect((await t.omni(['approve', ask.id])).exitCode).toBe(0);
    await until(() => fs.existsSync(target), 30_000, 'the approved command to run');
    expect((await t.omni(['wait', 'c', '--timeout', '60'])).exitCode).toBe(0);
    const ev = await events('c');
    expect(ev.filter((e) => e.type === 'approval.requested')).toHaveLength(1);
  });

  it('(d) with the daemon gone for good, a tool call is denied, not run', async () => {
    const target = path.join(t.work, 'never.txt');
    const gate = fake.gate();
    fake.script({ match: 'LATE-TOOL', turns: [{ text: 'Working on it.', toolUses: [{ id: 'toolu_late', name: 'Bash', input: { command: `touch ${target}` } }], gate }, { text: 'It was blocked.' }] });
    await start('d', []);
    expect((await t.omni(['send', 'd', 'LATE-TOOL'])).exitCode).toBe(0);
    await gate.reached;
    // Kill the daemon and make sure it cannot come back: a directory where its socket goes.
    const pid = Number(fs.readFileSync(path.join(t.omniHome, 'run', 'omnid.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    const sock = path.join(t.omniHome, 'run', 'omni.sock');
    fs.rmSync(sock, { force: true });
    fs.mkdirSync(sock);
    gate.release();
    await until(() => toolResultText('toolu_late'), 60_000, 'the model to get the tool result');
    expect(toolResultText('toolu_late')).toContain('omni daemon could not be reached');
    expect(fs.existsSync(target)).toBe(false);
    fs.rmdirSync(sock);
  });
  it('(e) an agent cannot approve its own ask, even with no policies loaded', async () => {
    fake.script({
      match: 'SELF-APPROVE',
      turns: [{ toolUses: [{ id: 'toolu_self', name: 'Bash', input: { command: `${process.execPath} ${OMNI_JS} approve ap_0123456789` } }] }, { text: 'I could not.' }],
    });
    await start('e', []);
    expect((await t.omni(['send', 'e', 'SELF-APPROVE'])).exitCode).toBe(0);
    expect((await t.omni(['wait', 'e', '--timeout', '60'])).exitCode).toBe(0);
    expect(toolResultText('toolu_self')).toMatch(/agents cannot run \\"omni approve\\"/);
    const ev = await events('e');
    expect(ev.find((x) => x.type === 'policy.decision')?.data).toMatchObject({ verdict: 'deny', policy: 'omni_guard' });
  });

  it('(f) an ask pops up over the pane of an attached person, who answers it there', async () => {
    const target = path.join(t.work, 'popped.txt');
    fake.script({ match: 'POP-ME', turns: [{ toolUses: [{ id: 'toolu_pop', name: 'Bash', input: { command: `touch ${target}` } }] }, { text: 'Done.' }] });
    await start('f', ['--policy', 'ask_on_shell']);
    // A person attached to the session, from their own tmux.
    const userTmux = path.join(t.dir, 'u.sock');
    const envArgs = Object.entries(t.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    await execa('tmux', ['-S', userTmux, '-f', '/dev/null', 'new-session', '-d', '-s', 'me', '-x', '150', '-y', '45', ...envArgs, 'sh']);
    const screen = async () => String((await execa('tmux', ['-S', userTmux, 'capture-pane', '-p', '-t', 'me'], { reject: false })).stdout);
    try {
      await execa('tmux', ['-S', userTmux, 'send-keys', '-t', 'me', '-l', `${process.execPath} ${OMNI_JS} attach f`]);
      await execa('tmux', ['-S', userTmux, 'send-keys', '-t', 'me', 'Enter']);
      await until(async () => /Claude Code v\d/.test(await screen()), 20_000, 'the attached session');
      expect((await t.omni(['send', 'f', 'POP-ME'])).exitCode).toBe(0);
      await until(async () => /omni: f asks/.test(await screen()), 20_000, 'the approval popup');
      await until(async () => (await screen()).includes(`touch ${target}`), 10_000, 'the popup to show the command');
      expect(fs.existsSync(target)).toBe(false);
      await execa('tmux', ['-S', userTmux, 'send-keys', '-t', 'me', 'a']);
      await until(() => fs.existsSync(target), 20_000, 'the command approved in the popup to run');
      const ev = await events('f');
      expect(ev.find((x) => x.type === 'approval.resolved')?.data).toMatchObject({ verdict: 'approve', via: 'popup' });
    } finally {
      await execa('tmux', ['-S', userTmux, 'kill-server'], { reject: false });
    }
  });
});
