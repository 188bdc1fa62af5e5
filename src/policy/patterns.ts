import { parsePattern } from './shell.js';

/**
 * Command pattern checks for policy files, so a bad pattern fails at load time with a position
 * instead of never matching. Patterns are matched by `matchCommand` (src/policy/shell.ts).
 */
export function commandPatternError(pattern: string): string | undefined {
  const p = pattern.trim();
  if (p === '') return 'a command pattern must not be empty';
  for (const word of p.split(/\s+/)) {
    if (word.split('|').some((alt) => alt === '')) return `invalid command pattern "${pattern}": empty alternative in "${word}" (write alternatives as install|i|add)`;
  }
  try {
    parsePattern(p);
  } catch (err) {
    return `invalid command pattern "${pattern}": ${(err as Error).message}`;
  }
  return undefined;
}
