import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { editLine } from '../../src/tui/approvals/parts.js';

const none = {} as Key;

describe('editLine: the one-line editor every view shares', () => {
  it('types printable text, drops control characters, cancels on Esc, submits on Enter', () => {
    expect(editLine('ab', 'c\x07', none)).toEqual({ kind: 'text', text: 'abc' });
    expect(editLine('ab', '', { ...none, escape: true })).toEqual({ kind: 'cancel' });
    expect(editLine('ab', '\r', { ...none, return: true })).toEqual({ kind: 'submit', text: 'ab' });
  });

  it('one Backspace removes one character (a whole emoji, not half of it)', () => {
    expect(editLine('ab😀', '', { ...none, backspace: true })).toEqual({ kind: 'text', text: 'ab' });
  });

  it('several Backspaces in one read each count (a busy process, a key held down)', () => {
    expect(editLine('abcdef', '\x7f\x7f\x7f', none)).toEqual({ kind: 'text', text: 'abc' });
    expect(editLine('ab', '\b\b\b\b', none)).toEqual({ kind: 'text', text: '' });
  });

  it('text and a newline in one read (a paste) submit the line up to the newline', () => {
    expect(editLine('ask: ', 'why?\rrest', none)).toEqual({ kind: 'submit', text: 'ask: why?' });
    expect(editLine('', 'a\tb\n', none)).toEqual({ kind: 'submit', text: 'ab' });
  });
});
