import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestEnv, OMNI_JS, ROOT, type TestEnv } from '../helpers/omni.js';
import { api, createScripted, sendText, untilStatus, waitFor } from '../helpers/scripted.js';
import { startScriptedDaemon } from '../helpers/scripted.js';

/**
 * completions/ in bash, zsh and fish, against a real daemon (the scripted harness): one live
 * session with a pending ask, one ended session. bash runs `_omni` as `complete -F` would
 * (COMP_WORDS, COMP_CWORD); fish runs its own `complete -C`; zsh runs `_omni` with `words` and
 * `CURRENT` and the completion system's builtins (compadd, _describe, _files) reduced to
 * printing what they were given. The words omni offers come from `omni … --json`. Every command
 * and every long flag that `omni … --help` prints must be offered, so a new one that the
 * completions miss fails here.
 */
function shell(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    const ci = process.env.CI;
    if (ci && ci !== 'false' && ci !== '0') throw new Error(`${name} is missing and CI is set, so the completion tests fail instead of skipping: run \`npm run test:setup\``);
    return false;
  }
}

const BASH = `source ${ROOT}/completions/omni.bash
line=$1; read -ra COMP_WORDS <<< "$line"; [[ $line == *' ' ]] && COMP_WORDS+=("")
COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); COMP_LINE=$line; COMP_POINT=\${#line}; COMPREPLY=()
_omni; printf '%s\\n' "\${COMPREPLY[@]}"`;

const ZSH = `compset() { print -- "<compset $*>"; }
compadd() { while [[ $1 == -* && $1 != -- ]]; do shift; done; [[ $1 == -- ]] && shift; print -l -- "$@"; }
_describe() { print -l -- \${\${(P)2}%%:*}; }
_files() { print -- "<files $*>"; }
_directories() { print -- "<directories>"; }
line=$1; words=(\${(z)line}); [[ $line == *' ' ]] && words+=('')
CURRENT=\${#words}
source ${ROOT}/completions/_omni`;

describe('shell completions', () => {
  let t: TestEnv;
  let approvalId: string;
  let help: Awaited<ReturnType<typeof helpOf>>;
  beforeAll(async () => {
    t = makeTestEnv();
    // `omni` on PATH, as an installed one would be.
    const bin = path.join(t.dir, 'cbin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'omni'), `#!/bin/sh\nexec ${process.execPath} ${OMNI_JS} "$@"\n`, { mode: 0o755 });
    t.env.PATH = `${bin}:${t.env.PATH}`;
    fs.writeFileSync(path.join(t.work, 'mine.yaml'), 'policies: []\n');
    fs.writeFileSync(path.join(t.work, 'notes.txt'), '');
    await startScriptedDaemon(t);
    const policy = path.join(t.dir, 'ask.yaml');
    fs.writeFileSync(policy, 'policies:\n  - name: careful\n    rules:\n      - when: { command: touch }\n        verdict: ask\n');
    await createScripted(t, { name: 'live1', policies: [{ ref: policy }], tags: ['api', 'web'] });
    await createScripted(t, { name: 'gone1', tags: ['old'] });
    await waitFor(t, 'live1', 'idle');
    await waitFor(t, 'gone1', 'idle');
    await sendText(t, 'gone1', 'exit: 0');
    await untilStatus(t, 'gone1', 'exited');
    await sendText(t, 'live1', 'tool: touch x');
    await untilStatus(t, 'live1', 'waiting');
    help = await helpOf(t.env);
    approvalId = (await api<{ approvals: Array<{ id: string }> }>(t, 'GET', '/v1/approvals')).body.approvals[0]!.id;
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const shells: Record<string, (line: string) => Promise<string[]>> = {
    bash: async (line) => words((await execa('bash', ['-c', BASH, 'bash', line], { env: t.env, extendEnv: false, cwd: t.work })).stdout),
    zsh: async (line) => words((await execa('zsh', ['-f', '-c', ZSH, 'zsh', line], { env: t.env, extendEnv: false, cwd: t.work })).stdout),
    fish: async (line) =>
      words((await execa('fish', ['--no-config', '-c', `source ${ROOT}/completions/omni.fish; complete -C ${JSON.stringify(line)}`], { env: t.env, extendEnv: false, cwd: t.work })).stdout).map((w) => w.split('\t')[0]!),
  };
  const words = (out: string) => out.split('\n').filter(Boolean);

  for (const [name, complete] of Object.entries(shells)) {
    describe.skipIf(!shell(name))(name, () => {
      it('offers ended sessions to resume, live ones to attach, any to events, and pending ask ids to approve', async () => {
        expect(await complete('omni resume ')).toEqual(['gone1']);
        expect(await complete('omni rm ')).toEqual(['gone1']); // only ended sessions can be removed
        expect(await complete('omni rm gone1 ')).toEqual(['gone1']); // several at once
        expect(await complete('omni attach ')).toEqual(['live1']);
        expect((await complete('omni events ')).sort()).toEqual(['gone1', 'live1']);
        // A target is a pending ask's id or a session that has one.
        expect((await complete('omni approve ')).sort()).toEqual([approvalId, 'live1'].sort());
        expect((await complete('omni deny ')).sort()).toEqual([approvalId, 'live1'].sort());
        expect(await complete('omni policy add live1 ')).toEqual(expect.arrayContaining(['ask_on_shell', 'cost_budget']));
      });
      it('offers the values of --by, --policy and --for, and every flag of a start, --sandbox too', async () => {
        expect((await complete('omni cost --by ')).sort()).toEqual(['day', 'harness', 'model', 'session']);
        const policies = await complete('omni claude --policy ');
        expect(policies).toEqual(expect.arrayContaining(['ask_on_shell', 'max_tool_calls']));
        // YAML files too (zsh: handed to _files with the glob), never other files.
        if (name === 'zsh') expect(policies.some((p) => p.startsWith('<files -g *.y(a|)ml'))).toBe(true);
        else expect(policies).toContain('mine.yaml');
        expect(policies).not.toContain('notes.txt');
        expect((await complete('omni wait live1 --for ')).sort()).toEqual(['attention', 'exited', 'idle', 'running', 'waiting']);
        const flags = await complete('omni codex --');
        expect(flags).toEqual(expect.arrayContaining(['--sandbox', '--no-sandbox', '--policy', '--name', '--cwd', '--detach']));
        expect(await complete('omni run --')).toEqual(expect.arrayContaining(['--sandbox', '--no-sandbox', '--harness']));
        expect(await complete('omni prune --')).toEqual(expect.arrayContaining(['--older-than', '--dry-run']));
        expect(await complete('omni ls --')).toEqual(expect.arrayContaining(['--wide', '--all']));
        // zsh narrows by what is typed itself (its stubbed compadd here does not).
        if (name === 'zsh') expect(await complete('omni res')).toContain('resume');
        else expect(await complete('omni res')).toEqual(['resume']);
      });
      it('offers sessions to rename and tag, known tags to --tag and +TAG, the session\'s own tags to -TAG', async () => {
        const sorted = async (line: string) => (await complete(line)).sort();
        expect(await sorted('omni rename ')).toEqual(['gone1', 'live1']);
        expect(await complete('omni rename live1 ')).toEqual([]); // the new name is the user's
        expect(await sorted('omni tag ')).toEqual(['gone1', 'live1']);
        expect(await sorted('omni tag live1 +')).toEqual(['+api', '+old', '+web']);
        const remove = await complete('omni tag live1 -');
        expect(remove).toEqual(expect.arrayContaining(['-api', '-web']));
        expect(remove).not.toContain('-old');
        for (const line of ['omni ls --tag ', 'omni ls -t ', 'omni send --tag ', 'omni claude --tag ', 'omni pi -t ', 'omni run --tag ']) {
          expect(await sorted(line), line).toEqual(['api', 'old', 'web']);
        }
        expect(await complete('omni wait live1 -t ')).toEqual([]); // wait's -t is --timeout
      });
      it('offers live sessions to send and --to (comma-separated), none once --tag picks them, and skips flag values', async () => {
        expect(await complete('omni send ')).toEqual(['live1']);
        expect(await complete('omni send --file notes.txt ')).toEqual(['live1']);
        expect(await complete('omni send --tag api ')).not.toContain('live1'); // the text follows
        // zsh leaves what is before the last comma to compset -P.
        expect((await complete('omni send --to ')).filter((w) => !w.startsWith('<compset'))).toEqual(['live1']);
        if (name === 'zsh') expect(await complete('omni send --to gone1,')).toEqual(['<compset -P *,>', 'live1']);
        else expect(await complete('omni send --to gone1,')).toEqual(['gone1,live1']);
        expect(await complete('omni wait --timeout 5 ')).toEqual(['live1']);
        expect(await complete('omni rm -n ')).toEqual(['gone1']); // rm's -n is --dry-run, not a value
        expect((await complete('omni events -f ')).sort()).toEqual(['gone1', 'live1']);
      });
      it('offers ask targets to approve --session and deny --session, and YAML files to policy test', async () => {
        expect((await complete('omni approve --session ')).sort()).toEqual([approvalId, 'live1'].sort());
        expect((await complete('omni deny --session ')).sort()).toEqual([approvalId, 'live1'].sort());
        expect(await complete('omni approve --session --')).toEqual(expect.arrayContaining(['--all', '--json'])); // its value is optional
        expect(await complete('omni approve --all --')).toEqual(expect.arrayContaining(['--session', '--json']));
        expect((await complete('omni policy ')).sort()).toEqual(['add', 'ls', 'names', 'test']);
        const specs = await complete('omni policy test ');
        if (name === 'zsh') expect(specs.some((p) => p.startsWith('<files -g *.y(a|)ml'))).toBe(true);
        else expect(specs).toContain('mine.yaml');
        expect(specs).not.toContain('notes.txt');
      });
      it('offers polly\'s subcommands, and the start\'s flags after a goal (omni polly "goal" is omni polly start "goal")', async () => {
        expect((await complete('omni polly ')).sort()).toEqual(['board', 'ls', 'merge', 'start', 'stop']);
        expect(await complete('omni polly add-limits --')).toEqual(expect.arrayContaining(['--workers', '--reviewers', '--rounds', '--detach']));
        expect(await complete('omni polly merge --task t1 --')).toEqual(expect.arrayContaining(['--yes', '--check', '--json']));
        expect(await complete('omni polly board --')).not.toContain('--workers');
        expect((await complete('omni polly start x --lead ')).sort()).toEqual(['claude', 'codex', 'copilot', 'gemini', 'opencode', 'pi', 'qwen']);
      });
      it('offers exactly the commands omni --help lists, and for each one exactly the long flags its --help lists', async () => {
        const offered = (await complete('omni ')).filter((w) => !w.startsWith('-'));
        expect(offered.sort()).toEqual(help.commands);
        for (const [line, flags] of Object.entries(help.flags)) {
          const got = (await complete(`omni ${line} --`)).filter((w) => w.startsWith('--'));
          expect([...new Set(got)].sort(), `omni ${line} --`).toEqual(flags);
        }
      });
    });
  }
});

/** The commands `omni --help` lists (aliases too), and the long flags of each (subcommands as `policy add`). */
async function helpOf(env: Record<string, string | undefined>): Promise<{ commands: string[]; flags: Record<string, string[]> }> {
  const helpText = async (args: string[]) => (await execa(process.execPath, [OMNI_JS, ...args, '--help'], { env, extendEnv: false })).stdout;
  const section = (text: string, title: string) => text.split(/\n\n/).find((p) => p.startsWith(`${title}:`)) ?? '';
  // `  ls|list [options]   …` → ls, list; description lines are indented further.
  const names = (text: string) => [...section(text, 'Commands').matchAll(/^  (\S+)/gm)].flatMap((m) => m[1]!.split('|')).filter((n) => n !== 'help');
  // `  -n, --name <name>   …` → --name (a description's own --flags are on indented lines).
  const longFlags = (text: string) => [...section(text, 'Options').matchAll(/^  (?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!).sort();
  const top = await helpText([]);
  const commands = [...names(top), 'help'].sort();
  const flags: Record<string, string[]> = {};
  for (const cmd of commands.filter((c) => c !== 'help')) {
    const text = await helpText([cmd]);
    const subs = names(text);
    // A command that is only a group of subcommands (policy, daemon) has no flags of its own to offer.
    if (!subs.length || longFlags(text).some((f) => f !== '--help')) flags[cmd] = longFlags(text);
    for (const sub of subs) flags[`${cmd} ${sub}`] = longFlags(await helpText([cmd, sub]));
  }
  return { commands, flags };
}
