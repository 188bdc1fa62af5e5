import type { Key } from 'ink';

/**
 * Keys typed faster than a view reads them reach Ink as one string: `j` then Space became "j "
 * (seen in the dashboard test), and a held `j` gives "jjj". While `single()` says the view reads
 * one key at a time (a list), they are handed over one by one, a `\r` as Enter; once it does not
 * (a line is being typed after `s` or `/`), the rest goes over as one string, as typed text does.
 */
export function eachKey(input: string, key: Key, single: () => boolean, handle: (input: string, key: Key) => void): void {
  const asKey = (s: string): Key => (s === '\r' && input !== '\r' ? { ...key, return: true } : key);
  const chars = Array.from(input);
  let i = 0;
  const plain = !key.ctrl && !key.meta && !/[\u0000-\u000c\u000e-\u001f\u007f]/.test(input);
  for (; plain && i < chars.length - 1 && single(); i++) handle(chars[i]!, asKey(chars[i]!));
  const rest = chars.slice(i).join('');
  handle(rest, asKey(rest));
}
