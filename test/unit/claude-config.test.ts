import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claudeConfigFile, prepareClaudeConfig } from '../../src/harnesses/claude/config.js';
import { claudeSettings, claudeToolKind } from '../../src/harnesses/claude/index.js';

describe('Claude Code first-run preparation', () => {
  let home: string;
  beforeEach(() => (home = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-cc-'))));
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));
  const read = () => JSON.parse(fs.readFileSync(path.join(home, '.claude.json'), 'utf8'));

  it('trusts the folder, skips onboarding with env credentials, approves the exported key, keeps the rest', () => {
    fs.writeFileSync(path.join(home, '.claude.json'), JSON.stringify({ theme: 'dark', projects: { '/other': { allowedTools: ['x'] } } }), { mode: 0o600 });
    const key = 'sk-ant-api03-' + 'k'.repeat(40) + 'ENDOFKEY1234567890ab';
    const notes = prepareClaudeConfig({ HOME: home, ANTHROPIC_API_KEY: key }, '/work/proj');
    const cfg = read();
    expect(cfg.theme).toBe('dark');
    expect(cfg.projects['/other']).toEqual({ allowedTools: ['x'] });
    expect(cfg.projects['/work/proj'].hasTrustDialogAccepted).toBe(true);
    expect(cfg.hasCompletedOnboarding).toBe(true);
    expect(cfg.customApiKeyResponses.approved).toEqual([key.slice(-20)]);
    expect(notes).toHaveLength(3);
    expect(JSON.stringify(notes)).not.toContain(key.slice(-20));
    expect(fs.statSync(path.join(home, '.claude.json')).mode & 0o777).toBe(0o600);
  });

  it('changes nothing when a parent folder is trusted and no env credentials exist', () => {
    fs.writeFileSync(path.join(home, '.claude.json'), JSON.stringify({ projects: { '/work': { hasTrustDialogAccepted: true } } }));
    expect(prepareClaudeConfig({ HOME: home }, '/work/proj/sub')).toEqual([]);
    expect(read().hasCompletedOnboarding).toBeUndefined();
  });

  it('respects a key the user rejected and never overwrites an unparseable file', () => {
    fs.writeFileSync(path.join(home, '.claude.json'), JSON.stringify({ customApiKeyResponses: { rejected: ['x'.repeat(20)] } }));
    prepareClaudeConfig({ HOME: home, ANTHROPIC_API_KEY: 'abc' + 'x'.repeat(20) }, '/p');
    expect(read().customApiKeyResponses.approved ?? []).toEqual([]);
    fs.writeFileSync(path.join(home, '.claude.json'), '{broken');
    expect(prepareClaudeConfig({ HOME: home }, '/p')[0]).toMatch(/not valid JSON/);
    expect(fs.readFileSync(path.join(home, '.claude.json'), 'utf8')).toBe('{broken');
  });

  it('follows CLAUDE_CONFIG_DIR', () => {
    expect(claudeConfigFile({ HOME: '/h', CLAUDE_CONFIG_DIR: '/c' })).toBe('/c/.claude.json');
    expect(claudeConfigFile({ HOME: '/h' })).toBe('/h/.claude.json');
  });
});

describe('Claude Code settings and mapping', () => {
  it('wires every hook, gates with a day-long timeout, observes with a short one', () => {
    const s = claudeSettings({ command: (e, m) => `hook ${e} ${m}` }) as { hooks: Record<string, Array<{ matcher?: string; hooks: Array<{ command: string; timeout: number }> }>> };
    expect(Object.keys(s.hooks).sort()).toEqual(
      ['Notification', 'PermissionRequest', 'PostToolUse', 'PostToolUseFailure', 'PreToolUse', 'SessionEnd', 'SessionStart', 'Stop', 'SubagentStop', 'UserPromptSubmit'].sort(),
    );
    expect(s.hooks.PreToolUse![0]!.hooks[0]).toEqual({ type: 'command', command: 'hook PreToolUse gate', timeout: 86400 });
    expect(s.hooks.PreToolUse![0]!.matcher).toBe('*');
    expect(s.hooks.UserPromptSubmit![0]!.hooks[0]!.command).toBe('hook UserPromptSubmit gate');
    expect(s.hooks.Stop![0]!.hooks[0]).toMatchObject({ command: 'hook Stop observe', timeout: 30 });
  });

  it('normalizes tool kinds', () => {
    expect(claudeToolKind('Bash')).toBe('shell');
    expect(claudeToolKind('Read')).toBe('read');
    expect(claudeToolKind('Write')).toBe('write');
    expect(claudeToolKind('Edit')).toBe('edit');
    expect(claudeToolKind('WebFetch')).toBe('web');
    expect(claudeToolKind('mcp__github__create_issue')).toBe('mcp');
    expect(claudeToolKind('TodoWrite')).toBe('other');
  });
});
