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
 * printing what they were given. The words omni offers come from `omni … --json`.
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

const ZSH = `compadd() { while [[ $1 == -* && $1 != -- ]]; do shift; done; [[ $1 == -- ]] && shift; print -l -- "$@"; }
_describe() { print -l -- \${\${(P)2}%%:*}; }
_files() { print -- "<files $*>"; }
_directories() { print -- "<directories>"; }
line=$1; words=(\${(z)line}); [[ $line == *' ' ]] && words+=('')
CURRENT=\${#words}
source ${ROOT}/completions/_omni`;

describe('shell completions', () => {
  let t: TestEnv;
  let approvalId: string;
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
    await createScripted(t, { name: 'live1', policies: [{ ref: policy }] });
    await createScripted(t, { name: 'gone1' });
    await waitFor(t, 'live1', 'idle');
    await waitFor(t, 'gone1', 'idle');
    await sendText(t, 'gone1', 'exit: 0');
    await untilStatus(t, 'gone1', 'exited');
    await sendText(t, 'live1', 'tool: touch x');
    await untilStatus(t, 'live1', 'waiting');
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
        expect(await complete('omni approve ')).toEqual([approvalId]);
        expect(await complete('omni deny ')).toEqual([approvalId]);
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
        expect((await complete('omni wait live1 --for ')).sort()).toEqual(['exited', 'idle', 'running', 'waiting']);
        const flags = await complete('omni codex --');
        expect(flags).toEqual(expect.arrayContaining(['--sandbox', '--no-sandbox', '--policy', '--name', '--cwd', '--detach']));
        expect(await complete('omni run --')).toEqual(expect.arrayContaining(['--sandbox', '--no-sandbox', '--harness']));
        expect(await complete('omni prune --')).toEqual(expect.arrayContaining(['--older-than', '--dry-run']));
        expect(await complete('omni ls --')).toEqual(expect.arrayContaining(['--wide', '--all']));
        // zsh narrows by what is typed itself (its stubbed compadd here does not).
        if (name === 'zsh') expect(await complete('omni res')).toContain('resume');
        else expect(await complete('omni res')).toEqual(['resume']);
      });
    });
  }
});
