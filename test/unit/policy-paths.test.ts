import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinHarnesses } from '../../src/harnesses/index.js';
import { commandPaths, resolvePath, scriptPaths } from '../../src/policy/paths.js';
import { parseShell } from '../../src/policy/shell.js';
import { buildToolSubject } from '../../src/policy/subject.js';
import { CWD, HOME } from '../helpers/policy.js';

const harnesses = builtinHarnesses();
/** A tool call as the daemon sees it: the harness's adapter normalizes it, the policy layer resolves it. */
const subject = (harness: string, tool: string, input: unknown, hookCwd?: string) =>
  buildToolSubject({ name: tool, callId: 'c', input, call: harnesses.get(harness).normalizeToolCall(tool, input, hookCwd) }, CWD, { home: HOME });
const io = (harness: string, tool: string, input: unknown, hookCwd?: string) => {
  const s = subject(harness, tool, input, hookCwd);
  return { reads: s.reads, writes: s.writes };
};
const sh = (script: string, cwd = CWD) => scriptPaths(parseShell(script), cwd, { home: HOME });
const p = (rel: string) => path.join(CWD, rel);

describe('paths from tool inputs (through the adapters)', () => {
  it('Claude tools: Write/Edit/MultiEdit/NotebookEdit write, Read reads, Grep/Glob read their path (or the cwd)', () => {
    expect(io('claude', 'Write', { file_path: 'src/a.ts' })).toEqual({ reads: [], writes: [p('src/a.ts')] });
    expect(io('claude', 'Edit', { file_path: '/abs/../x.ts' }).writes).toEqual(['/x.ts']);
    expect(io('claude', 'MultiEdit', { file_path: '~/notes.md', edits: [] }).writes).toEqual([`${HOME}/notes.md`]);
    expect(io('claude', 'NotebookEdit', { notebook_path: 'n.ipynb' }).writes).toEqual([p('n.ipynb')]);
    expect(io('claude', 'Read', { file_path: './b/../c.txt' })).toEqual({ reads: [p('c.txt')], writes: [] });
    expect(io('claude', 'Grep', { pattern: 'x', path: 'src' }).reads).toEqual([p('src')]);
    expect(io('claude', 'Glob', { pattern: '**/*.ts' }).reads).toEqual([CWD]);
  });

  it("Claude: relative paths resolve against the hook payload's cwd", () => {
    expect(io('claude', 'Write', { file_path: 'a.ts' }, p('pkg')).writes).toEqual([p('pkg/a.ts')]);
    expect(io('claude', 'LS', {}, p('pkg')).reads).toEqual([p('pkg')]);
    expect(io('claude', 'Bash', { command: 'rm -f out.txt' }, p('pkg')).writes).toEqual([p('pkg/out.txt')]);
  });

  it('Pi `path` inputs, and an MCP tool classified by its name', () => {
    expect(io('pi', 'write', { path: 'a.txt', content: '' }).writes).toEqual([p('a.txt')]);
    expect(io('pi', 'ls', {}).reads).toEqual([CWD]);
    expect(io('claude', 'mcp__fs__write_file', { path: 'b.txt' }).writes).toEqual([p('b.txt')]);
    expect(io('claude', 'mcp__fs__read_file', { path: 'b.txt' }).reads).toEqual([p('b.txt')]);
  });

  it('Codex apply_patch headers (Update/Add/Delete/Move to) in a raw string, `patch` or `input`', () => {
    const patch = '*** Begin Patch\n*** Update File: src/a.ts\n@@\n-x\n+y\n*** Add File: docs/new.md\n+hi\n*** Delete File: old.txt\n*** Update File: b.ts\n*** Move to: c.ts\n*** End Patch\n';
    expect(io('codex', 'apply_patch', patch).writes).toEqual(['src/a.ts', 'docs/new.md', 'old.txt', 'b.ts', 'c.ts'].map(p));
    expect(io('codex', 'apply_patch', { input: patch }).writes).toHaveLength(5);
    expect(io('codex', 'apply_patch', { patch }).writes).toHaveLength(5);
  });

  it('resolvePath expands ~ and $HOME and normalizes', () => {
    expect(resolvePath('~', CWD, HOME)).toBe(HOME);
    expect(resolvePath('$HOME/.ssh/id_rsa', CWD, HOME)).toBe(`${HOME}/.ssh/id_rsa`);
    expect(resolvePath('${HOME}', CWD, HOME)).toBe(HOME);
    expect(resolvePath('a//b/./c/..', CWD, HOME)).toBe(p('a/b'));
  });
});

describe('paths from shell commands', () => {
  it('redirections: > >> &> 2> write, < reads; /dev/null, fd dups and here-docs are ignored', () => {
    const r = sh('echo a > out.txt; echo b >> log/app.log 2>&1; cmd &> all.txt 2> err.txt < in.txt; cat <<EOF > /dev/null\nx\nEOF\n');
    expect(r.writes.sort()).toEqual([p('all.txt'), p('err.txt'), p('log/app.log'), p('out.txt')].sort());
    expect(r.reads).toEqual([p('in.txt')]);
  });

  it('known writers: tee, touch, rm, rmdir, mkdir, mv (both), cp/install/ln (dest), sed -i, perl -i, truncate, chmod/chown, dd of=', () => {
    expect(sh('echo x | tee -a a.txt b.txt').writes).toEqual([p('a.txt'), p('b.txt')]);
    expect(sh('touch -d yesterday t.txt').writes).toEqual([p('t.txt')]);
    expect(sh('rm -rf build dist').writes).toEqual([p('build'), p('dist')]);
    expect(sh('rmdir empty && mkdir -p -m 755 a/b').writes).toEqual([p('empty'), p('a/b')]);
    expect(sh('mv old.txt new.txt').writes).toEqual([p('old.txt'), p('new.txt')]);
    expect(sh('cp -r src1 src2 dest/')).toEqual({ reads: [p('src1'), p('src2')], writes: [p('dest')] });
    expect(sh('cp -t dest a b')).toEqual({ reads: [p('a'), p('b')], writes: [p('dest')] });
    expect(sh('install -m 755 bin/tool /usr/local/bin/tool').writes).toEqual(['/usr/local/bin/tool']);
    expect(sh('ln -sf ../target link').writes).toEqual([p('link')]);
    expect(sh("sed -i.bak -e 's/a/b/' f1 f2").writes).toEqual([p('f1'), p('f2')]);
    expect(sh("sed -i '' 's/a/b/' mac.txt").writes).toEqual([p('mac.txt')]);
    expect(sh("sed 's/a/b/' only-read.txt")).toEqual({ reads: [p('only-read.txt')], writes: [] });
    expect(sh("perl -pi -e 's/a/b/' p.txt").writes).toEqual([p('p.txt')]);
    expect(sh('truncate -s 0 big.log').writes).toEqual([p('big.log')]);
    expect(sh('chmod -x script.sh && chmod -R 755 dir && chown me:me owned').writes).toEqual([p('script.sh'), p('dir'), p('owned')]);
    expect(sh('dd if=/dev/zero of=disk.img bs=1M count=1')).toEqual({ reads: [], writes: [p('disk.img')] });
  });

  it('readers: cat and friends, grep/rg files (not the pattern), source', () => {
    expect(sh('cat a.txt ~/.ssh/id_rsa').reads).toEqual([p('a.txt'), `${HOME}/.ssh/id_rsa`]);
    expect(sh('head -n 5 h.txt && tail -f t.log').reads).toEqual([p('h.txt'), p('t.log')]);
    expect(sh('grep -n TODO src/a.ts src/b.ts').reads).toEqual([p('src/a.ts'), p('src/b.ts')]);
    expect(sh('grep -e TODO -r lib').reads).toEqual([p('lib')]);
    expect(sh('source .env').reads).toEqual([p('.env')]);
  });

  it('wrappers and nesting do not hide paths: sudo, bash -c, $(…)', () => {
    expect(sh('sudo tee /etc/hosts < new').writes).toEqual(['/etc/hosts']);
    expect(sh("bash -lc 'rm -f x.txt'").writes).toEqual([p('x.txt')]);
    expect(sh('echo $(cat /etc/shadow) > o').reads).toEqual(['/etc/shadow']);
  });

  it('cd DIR && … resolves later relative paths against DIR as well (superset; subshells not scoped)', () => {
    const r = sh('cd sub && echo hi > out.txt');
    expect(r.writes.sort()).toEqual([p('out.txt'), p('sub/out.txt')].sort());
    expect(sh('cd /etc && rm hosts').writes).toContain('/etc/hosts');
    expect(sh('echo before > a.txt; cd /tmp; touch b').writes.sort()).toEqual([p('a.txt'), p('b'), '/tmp/b'].sort());
    // a run-time cd is not followed
    expect(sh('cd "$X" && rm f').writes).toEqual([p('f')]);
  });

  it('a glob in the last path segment is also expanded against the file system', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-paths-'));
    try {
      fs.writeFileSync(path.join(dir, '.env'), 'S=1');
      fs.writeFileSync(path.join(dir, '.envrc'), '');
      fs.writeFileSync(path.join(dir, 'x.log'), '');
      const r = sh('cat .e*', dir);
      expect(r.reads.sort()).toEqual([path.join(dir, '.e*'), path.join(dir, '.env'), path.join(dir, '.envrc')].sort());
      expect(sh('rm *.log', dir).writes.sort()).toEqual([path.join(dir, '*.log'), path.join(dir, 'x.log')].sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('commandPaths ignores unknown programs and find -exec placeholders', () => {
    expect(commandPaths({ program: 'python', args: ['script.py'] })).toEqual({ reads: [], writes: [] });
    expect(sh('find . -name "*.tmp" -delete').writes).toEqual([CWD]);
    expect(sh('find . -exec rm {} \\;').writes).toEqual([]);
  });

  it('Codex shell: argv arrays are quoted back into a script, and workdir is honoured', () => {
    const s = subject('codex', 'shell', { command: ['bash', '-lc', "echo 'hi there' > out.txt"], workdir: 'pkg' });
    expect(s.script).toBe(`bash -lc 'echo '\\''hi there'\\'' > out.txt'`);
    expect(s.shell?.commands.map((c) => c.program)).toEqual(['bash', 'echo']);
    expect(s.cwd).toBe(p('pkg'));
    expect(s.writes).toEqual([p('pkg/out.txt')]);
  });

  it('Codex apply_patch run through the shell writes the files its patch names, under workdir', () => {
    const script = "apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: n.md\n+hi\n*** End Patch\nEOF\n";
    expect(io('codex', 'exec_command', { cmd: script, workdir: 'pkg' }).writes).toEqual([p('pkg/n.md')]);
    expect(io('codex', 'shell', { command: ['bash', '-lc', script] }).writes).toEqual([p('n.md')]);
  });

  it('a shell script is read for shell tools only', () => {
    expect(subject('pi', 'bash', { command: 'git status' }).shell?.commands[0]?.program).toBe('git');
    const b = subject('claude', 'Write', { file_path: 'x', command: 'rm -rf /' });
    expect(b.shell).toBeUndefined();
    expect(b.script).toBeUndefined();
    expect(b.writes).toEqual([p('x')]);
  });
});
