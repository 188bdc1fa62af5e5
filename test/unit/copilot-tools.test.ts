import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copilotNormalize, copilotToolKind } from '../../src/harnesses/copilot/tools.js';
import { copilotIdle, copilotInputReady, copilotInputText, detectCopilotScreen } from '../../src/harnesses/copilot/screens.js';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'copilot');
const screen = (n: string) => fs.readFileSync(path.join(FIX, `screen-${n}.txt`), 'utf8');

describe('Copilot tools (1.0.102 names and schemas)', () => {
  it('kinds', () => {
    expect(copilotToolKind('bash')).toBe('shell');
    expect(copilotToolKind('read_bash')).toBe('shell');
    expect(copilotToolKind('view')).toBe('read');
    expect(copilotToolKind('grep')).toBe('read');
    expect(copilotToolKind('create')).toBe('write');
    expect(copilotToolKind('edit')).toBe('edit');
    expect(copilotToolKind('web_fetch')).toBe('web');
    expect(copilotToolKind('omni-omni_spawn')).toBe('mcp');
    expect(copilotToolKind('github-mcp-server-get_issue')).toBe('mcp');
    expect(copilotToolKind('task')).toBe('other');
    expect(copilotToolKind('report_intent')).toBe('other');
  });

  it('normalised calls', () => {
    expect(copilotNormalize('bash', { command: 'ls -la', description: 'list' }, '/w')).toEqual({ kind: 'shell', script: 'ls -la', cwd: '/w' });
    expect(copilotNormalize('create', { path: 'a.txt', file_text: 'x' }, '/w')).toEqual({ kind: 'write', paths: { read: [], write: ['a.txt'] }, cwd: '/w' });
    expect(copilotNormalize('edit', { path: '/w/b.ts', old_str: 'a', new_str: 'b' })).toEqual({ kind: 'edit', paths: { read: [], write: ['/w/b.ts'] } });
    expect(copilotNormalize('view', { path: '/etc/hosts' })).toEqual({ kind: 'read', paths: { read: ['/etc/hosts'], write: [] } });
    expect(copilotNormalize('grep', { pattern: 'x' }, '/w')).toEqual({ kind: 'read', searchesCwd: true, cwd: '/w' });
    expect(copilotNormalize('glob', { pattern: '*.ts', paths: ['src'] })).toEqual({ kind: 'read', paths: { read: ['src'], write: [] } });
    expect(copilotNormalize('web_fetch', { url: 'https://example.com' })).toEqual({ kind: 'web', url: 'https://example.com' });
  });
});

describe('Copilot screens (captured 1.0.102 panes)', () => {
  it('folder trust and its own permission prompt are waits', () => {
    expect(detectCopilotScreen(screen('trust'))).toEqual({ status: 'waiting', reason: 'first-run screen: folder trust' });
    expect(detectCopilotScreen(screen('permission'))).toEqual({ status: 'waiting', reason: 'Copilot asks permission to run a command' });
    expect(copilotInputReady(screen('trust'))).toBe(false);
  });

  it('idle: an empty input box and the idle footer; a running turn is not idle', () => {
    expect(detectCopilotScreen(screen('idle'))).toEqual({ status: 'idle', reason: 'ready for input' });
    expect(copilotInputText(screen('idle'))).toBe('');
    expect(copilotIdle(screen('running'))).toBe(false);
    expect(detectCopilotScreen(screen('running'))).toBeUndefined();
    expect(copilotInputReady(screen('running'))).toBe(true);
    expect(copilotInputText(screen('idle').replace(/^❯\s*$/m, '❯ half typed'))).toBe('half typed');
  });
});
