import { describe, expect, it } from 'vitest';
import { builtinHarnesses } from '../../src/harnesses/index.js';
import { unreadShell } from '../../src/policy/builtins/util.js';
import { subjectHost } from '../../src/policy/match.js';
import { buildToolSubject } from '../../src/policy/subject.js';
import { CWD, HOME } from '../helpers/policy.js';

/**
 * Each adapter turns its harness's tool call into a harness-neutral NormalizedToolCall
 * (HarnessAdapter.normalizeToolCall); the policy layer resolves it into the subject policies see.
 */
const harnesses = builtinHarnesses();
const norm = (harness: string, tool: string, input: unknown, hookCwd?: string) => harnesses.get(harness).normalizeToolCall(tool, input, hookCwd);
const subject = (harness: string, tool: string, input: unknown, hookCwd?: string) =>
  buildToolSubject({ name: tool, callId: 'c', input, call: norm(harness, tool, input, hookCwd) }, CWD, { home: HOME });

describe('Claude Code normalizes its tools', () => {
  const W = '/w/proj';
  it('Read / Write / Edit / MultiEdit / NotebookEdit name their file; the payload cwd comes along', () => {
    expect(norm('claude', 'Read', { file_path: 'a.ts' }, W)).toEqual({ kind: 'read', paths: { read: ['a.ts'], write: [] }, cwd: W });
    expect(norm('claude', 'Write', { file_path: '/x/b.ts', content: 'x' }, W)).toEqual({ kind: 'write', paths: { read: [], write: ['/x/b.ts'] }, cwd: W });
    expect(norm('claude', 'Edit', { file_path: 'c.ts', old_string: 'a', new_string: 'b' })).toEqual({ kind: 'edit', paths: { read: [], write: ['c.ts'] } });
    expect(norm('claude', 'MultiEdit', { file_path: '~/n.md', edits: [] }).paths).toEqual({ read: [], write: ['~/n.md'] });
    expect(norm('claude', 'NotebookEdit', { notebook_path: 'n.ipynb' }).paths).toEqual({ read: [], write: ['n.ipynb'] });
    expect(subject('claude', 'Read', { file_path: 'a.ts' }, W).reads).toEqual(['/w/proj/a.ts']);
  });

  it('Grep / Glob / LS without a path search their cwd', () => {
    expect(norm('claude', 'Grep', { pattern: 'x' }, W)).toEqual({ kind: 'read', searchesCwd: true, cwd: W });
    expect(norm('claude', 'Glob', { pattern: '*.ts', path: 'src' })).toEqual({ kind: 'read', paths: { read: ['src'], write: [] } });
    expect(subject('claude', 'Grep', { pattern: 'x' }, '/w/proj/sub').reads).toEqual(['/w/proj/sub']);
    expect(subject('claude', 'LS', {}).reads).toEqual([CWD]);
  });

  it('Bash runs its command as a script in the payload cwd', () => {
    expect(norm('claude', 'Bash', { command: 'rm -f out.txt', description: 'x' }, W)).toEqual({ kind: 'shell', script: 'rm -f out.txt', cwd: W });
    const s = subject('claude', 'Bash', { command: 'cd sub && rm -f out.txt' }, W);
    expect(s.cwd).toBe(W);
    expect(s.script).toBe('cd sub && rm -f out.txt');
    expect(s.writes).toEqual(['/w/proj/out.txt', '/w/proj/sub/out.txt']);
  });

  it('a Bash command of an unexpected shape is unread; BashOutput and KillShell run no script', () => {
    const odd = subject('claude', 'Bash', { command: 42 });
    expect(odd.kind).toBe('shell');
    expect(odd.script).toBeUndefined();
    expect(unreadShell(odd)).toBe(true);
    expect(norm('claude', 'BashOutput', { bash_id: 'b1' })).toEqual({ kind: 'other' });
    expect(unreadShell(subject('claude', 'KillShell', { shell_id: 'b1' }))).toBe(false);
  });

  it('WebFetch has a url; MCP tools are guessed from their input keys and name', () => {
    const s = subject('claude', 'WebFetch', { url: 'https://Docs.Example.com/x', prompt: 'p' });
    expect(s.url).toBe('https://Docs.Example.com/x');
    expect(subjectHost({ tool: s })).toBe('docs.example.com');
    expect(norm('claude', 'WebSearch', { query: 'q' })).toEqual({ kind: 'web' });
    expect(norm('claude', 'mcp__fs__write_file', { path: 'b.txt' })).toEqual({ kind: 'mcp', paths: { read: [], write: ['b.txt'] } });
    expect(norm('claude', 'mcp__fs__read_file', { path: 'b.txt' })).toEqual({ kind: 'mcp', paths: { read: ['b.txt'], write: [] } });
    expect(norm('claude', 'TodoWrite', { todos: [] })).toEqual({ kind: 'other' });
  });
});

describe('Codex normalizes its tools', () => {
  const W = '/w/proj';
  it('exec_command: cmd is the script, workdir (under the payload cwd) is where it runs', () => {
    expect(norm('codex', 'exec_command', { cmd: 'echo hi > out.txt', workdir: 'pkg' }, W)).toEqual({ kind: 'shell', script: 'echo hi > out.txt', cwd: '/w/proj/pkg' });
    expect(norm('codex', 'exec_command', { cmd: 'ls', workdir: '/abs' }, W).cwd).toBe('/abs');
    expect(norm('codex', 'exec_command', { cmd: 'ls' }, W).cwd).toBe(W);
    const s = subject('codex', 'exec_command', { cmd: 'echo hi > out.txt', workdir: 'pkg' });
    expect(s.cwd).toBe(`${CWD}/pkg`);
    expect(s.writes).toEqual([`${CWD}/pkg/out.txt`]);
  });

  it("hooks' Bash {command}; an argv array is quoted back into a script", () => {
    expect(norm('codex', 'Bash', { command: 'touch x' }, W)).toEqual({ kind: 'shell', script: 'touch x', cwd: W });
    expect(norm('codex', 'shell', { command: ['bash', '-lc', 'echo a b'] }).script).toBe(`bash -lc 'echo a b'`);
    expect(unreadShell(subject('codex', 'write_stdin', { session_id: 1, chars: 'y\n' }))).toBe(true);
  });

  it('apply_patch writes the files its patch names, as a tool or through the shell', () => {
    const patch = '*** Begin Patch\n*** Update File: src/a.ts\n@@\n-x\n+y\n*** Delete File: old.txt\n*** End Patch\n';
    expect(norm('codex', 'apply_patch', patch, W)).toEqual({ kind: 'edit', paths: { read: [], write: ['src/a.ts', 'old.txt'] }, cwd: W });
    expect(norm('codex', 'apply_patch', { input: patch }).paths?.write).toEqual(['src/a.ts', 'old.txt']);
    const viaShell = norm('codex', 'exec_command', { cmd: `apply_patch <<'EOF'\n${patch}EOF\n`, workdir: 'pkg' }, W);
    expect(viaShell).toMatchObject({ kind: 'shell', cwd: '/w/proj/pkg', paths: { read: [], write: ['src/a.ts', 'old.txt'] } });
    expect(subject('codex', 'exec_command', { cmd: `apply_patch <<'EOF'\n${patch}EOF\n`, workdir: 'pkg' }).writes).toEqual([`${CWD}/pkg/src/a.ts`, `${CWD}/pkg/old.txt`]);
  });
});

describe('Pi normalizes its tools', () => {
  it('read / write / edit name a path; bash runs its command; grep/find/ls default to the cwd', () => {
    expect(norm('pi', 'read', { path: 'a.txt' })).toEqual({ kind: 'read', paths: { read: ['a.txt'], write: [] } });
    expect(norm('pi', 'write', { path: 'b.txt', content: '' })).toEqual({ kind: 'write', paths: { read: [], write: ['b.txt'] } });
    expect(norm('pi', 'edit', { path: 'c.txt', oldText: 'a', newText: 'b' })).toEqual({ kind: 'edit', paths: { read: [], write: ['c.txt'] } });
    expect(norm('pi', 'bash', { command: 'rm -rf build', timeout: 5 })).toEqual({ kind: 'shell', script: 'rm -rf build' });
    expect(norm('pi', 'find', { pattern: '*.ts' })).toEqual({ kind: 'read', searchesCwd: true });
    expect(norm('pi', 'grep', { pattern: 'x', path: 'src' })).toEqual({ kind: 'read', paths: { read: ['src'], write: [] } });
    const s = subject('pi', 'bash', { command: 'rm -rf build' });
    expect(s.cwd).toBe(CWD);
    expect(s.writes).toEqual([`${CWD}/build`]);
    expect(subject('pi', 'edit', { path: '~/x.md' }).writes).toEqual([`${HOME}/x.md`]);
  });
});
