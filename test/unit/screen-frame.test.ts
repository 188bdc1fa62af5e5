import { describe, expect, it } from 'vitest';
import { changedRows, charWidth, drawRows, fitFrame, fitLine, footer } from '../../src/cli/commands/screen-frame.js';

describe('screen-frame: a guest watch view fitted to the terminal', () => {
  it('cuts a line to the width, counting wide characters twice and escapes as nothing', () => {
    expect(fitLine('hello world', 5)).toBe('hello');
    expect(fitLine('short', 80)).toBe('short');
    expect(fitLine('日本語', 5)).toBe('日本');
    expect(charWidth('é'.codePointAt(0)!)).toBe(1);
    expect(fitLine('\x1b[31mred text\x1b[0m', 3)).toBe('\x1b[31mred\x1b[0m');
    expect(fitLine('\x1b[1;38;5;208mab\x1b[0mcd', 80)).toBe('\x1b[1;38;5;208mab\x1b[0mcd\x1b[0m');
  });

  it('keeps colours only: cursor moves, clears and titles in the capture are dropped', () => {
    expect(fitLine('a\x1b[2Jb\x1b[5;1Hc\x1b]0;title\x07d', 80)).toBe('abcd');
    expect(fitLine('tab\tbell\x07', 80)).toBe('tabbell');
  });

  it('a pane taller than the terminal shows its bottom; a shorter one is padded', () => {
    expect(fitFrame('1\n2\n3\n4', 10, 2)).toEqual(['3', '4']);
    expect(fitFrame('only', 10, 3)).toEqual(['only', '', '']);
  });

  it('redraws only the rows that changed, and every row after a resize', () => {
    expect(changedRows(undefined, ['a', 'b'])).toEqual([0, 1]);
    expect(changedRows(['a', 'b', 'c'], ['a', 'x', 'c'])).toEqual([1]);
    expect(changedRows(['a', 'b'], ['a', 'b'])).toEqual([]);
    expect(changedRows(['a'], ['a', 'b'])).toEqual([0, 1]);
    expect(drawRows(['a', 'b'], [1])).toBe('\x1b[2;1H\x1b[0mb\x1b[0m\x1b[K');
    expect(drawRows(['a', 'b'], [])).toBe('');
  });

  it('the footer fills the width in reverse video', () => {
    expect(footer('q quits', 10)).toBe('\x1b[7mq quits   \x1b[0m');
    expect(footer('a long footer line', 6)).toBe('\x1b[7ma long\x1b[0m');
  });
});
