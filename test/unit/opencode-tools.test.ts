import { describe, expect, it } from 'vitest';
import { opencodeNormalize, opencodeToolKind, patchPaths } from '../../src/harnesses/opencode/tools.js';
import { opencodeAdapter } from '../../src/harnesses/opencode/index.js';

describe('OpenCode tool normalisation', () => {
  it('maps the built-in tools to kinds', () => {
    expect(opencodeToolKind('bash')).toBe('shell');
    for (const t of ['read', 'glob', 'grep', 'list']) expect(opencodeToolKind(t)).toBe('read');
    expect(opencodeToolKind('write')).toBe('write');
    for (const t of ['edit', 'apply_patch']) expect(opencodeToolKind(t)).toBe('edit');
    expect(opencodeToolKind('webfetch')).toBe('web');
    expect(opencodeToolKind('omni_omni_spawn')).toBe('mcp');
    expect(opencodeToolKind('todowrite')).toBe('other');
  });

  it('reads bash input as a script with its own workdir', () => {
    expect(opencodeNormalize('bash', { command: 'echo hi > x', description: 'write x' })).toEqual({ kind: 'shell', script: 'echo hi > x' });
    expect(opencodeNormalize('bash', { command: 'ls', workdir: '/srv' })).toEqual({ kind: 'shell', script: 'ls', cwd: '/srv' });
  });

  it('reads filePath for read/write/edit and the patch headers of apply_patch', () => {
    expect(opencodeNormalize('read', { filePath: '/a/b.ts' })).toEqual({ kind: 'read', paths: { read: ['/a/b.ts'], write: [] } });
    expect(opencodeNormalize('write', { filePath: 'c.txt', content: 'x' })).toEqual({ kind: 'write', paths: { read: [], write: ['c.txt'] } });
    expect(opencodeNormalize('edit', { filePath: 'd.txt', oldString: 'a', newString: 'b' })).toEqual({ kind: 'edit', paths: { read: [], write: ['d.txt'] } });
    const patch = '*** Begin Patch\n*** Add File: new.txt\n+hi\n*** Update File: old.txt\n*** Move to: moved.txt\n@@\n-a\n+b\n*** Delete File: gone.txt\n*** End Patch';
    expect(patchPaths(patch)).toEqual(['new.txt', 'old.txt', 'moved.txt', 'gone.txt']);
    expect(opencodeNormalize('apply_patch', { patchText: patch }).paths?.write).toEqual(['new.txt', 'old.txt', 'moved.txt', 'gone.txt']);
  });

  it('searches the cwd when glob/grep/list name no path, and keeps a webfetch url', () => {
    expect(opencodeNormalize('grep', { pattern: 'x' })).toEqual({ kind: 'read', searchesCwd: true });
    expect(opencodeNormalize('glob', { pattern: '*.ts', path: 'src' })).toEqual({ kind: 'read', paths: { read: ['src'], write: [] } });
    expect(opencodeNormalize('webfetch', { url: 'https://example.com', format: 'text' })).toEqual({ kind: 'web', url: 'https://example.com' });
  });

  it('names the vendor and the billing provider from the model', () => {
    expect(opencodeAdapter.vendor('anthropic/claude-sonnet-4-5')).toBe('anthropic');
    expect(opencodeAdapter.vendor('fake/gpt-4.1')).toBe('openai');
    expect(opencodeAdapter.vendor('local/llama3')).toBe('opencode');
    expect(opencodeAdapter.vendor()).toBe('opencode');
    expect(opencodeAdapter.provider?.('gpt-4.1')).toBe('openai');
    expect(opencodeAdapter.provider?.('llama3')).toBeUndefined();
  });
});
