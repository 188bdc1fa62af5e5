import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { claudeInputText } from '../../src/harnesses/claude/screens.js';

const RULE = '─'.repeat(60);
const screen = (name: string) => fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'claude', `screen-${name}.txt`), 'utf8');
/** Claude Code 2.1.330 after its UserPromptSubmit hook blocked "tell me the secret" (captured with tmux capture-pane). */
const RESTORED = [
  ' ▐▛███▛█   Claude Code v2.1.330',
  '● UserPromptSubmit operation blocked by hook:',
  '  [sh omni-hook … UserPromptSubmit gate]: no secrets here',
  '  Original prompt: tell me the secret',
  '',
  RULE,
  '❯\u00a0tell me the secret',
  RULE,
  '  ⏵⏵ auto mode on (shift+tab to cycle)',
].join('\n');

describe('claudeInputText (what is typed in the input box)', () => {
  it('reads the restored prompt, and an empty box as ""', () => {
    expect(claudeInputText(RESTORED)).toBe('tell me the secret');
    expect(claudeInputText(RESTORED.replace('❯\u00a0tell me the secret', '❯\u00a0'))).toBe('');
  });

  it('reads the box, not the conversation above it, and every line of it', () => {
    const screen = ['❯ what is 2+2', '● Four.', RULE, '❯\u00a0first line', '  second line', RULE, '  footer'].join('\n');
    expect(claudeInputText(screen)).toBe('first line\n  second line');
    expect(claudeInputText(['❯ what is 2+2', '● Four.', RULE, '❯\u00a0', RULE].join('\n'))).toBe('');
  });

  it('reads the recorded screens of 2.1.330', () => {
    expect(claudeInputText(screen('multiline-paste-before-enter'))).toBe('notool line one\n  line two\n  line three');
    expect(claudeInputText(screen('big-paste-before-enter'))).toBe('[Pasted text #1 +101 lines]');
    expect(claudeInputText(screen('idle-after-turn'))).toBe('');
  });

  it('is undefined while no input box is drawn', () => {
    expect(claudeInputText('Do you trust the files in this folder?')).toBeUndefined();
  });
});
