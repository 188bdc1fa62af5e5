import type { Key } from 'ink';

/**
 * Keys typed faster than a view reads them reach Ink as one string: `j` then Space became "j "
 * (seen in the dashboard test), and a held `j` gives "jjj". While `single()` says the view reads
 * one key at a time (a list), they are handed over one by one, a `\r` as Enter; once it does not
 * (a line is being typed after `s` or `/`), the rest goes over as one string, as typed text does.
 */
export function eachKey(input: string, key: Key, single: () => boolean, handle: (input: string, key: Key) => void): void {
  let rest = input;
  const plain = !key.ctrl && !key.meta && !/[\u0000-\u000c\u000e-\u001f\u007f]/.test(input);
  while (plain && Array.from(rest).length > 1 && single()) {
    const ch = Array.from(rest)[0]!;
    handle(ch, ch === '\r' ? { ...key, return: true } : key);
    rest = rest.slice(ch.length);
  }
  handle(rest, rest === '\r' && input !== '\r' ? { ...key, return: true } : key);
}
