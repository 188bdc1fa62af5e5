import { describe, expect, it } from 'vitest';
import { parseJsonc } from '../../src/core/jsonc.js';

describe('parseJsonc (the harnesses\' settings files)', () => {
  it('drops line and block comments and trailing commas outside strings', () => {
    const text = ['// managed by hand', '{', '  "a": 1, /* one */', '  "b": [1, 2,], // list', '  "c": { "d": true, },', '}'].join('\n');
    expect(parseJsonc(text)).toEqual({ a: 1, b: [1, 2], c: { d: true } });
  });

  it('keeps what looks like a comment or a trailing comma inside a string, escaped quotes included', () => {
    expect(parseJsonc('{"url": "http://x//y", "s": "a,}", "q": "say \\"hi\\" // not a comment"}')).toEqual({ url: 'http://x//y', s: 'a,}', q: 'say "hi" // not a comment' });
  });

  it('throws on what is not JSON once comments are gone', () => {
    expect(() => parseJsonc('{"a": }')).toThrow();
  });
});
