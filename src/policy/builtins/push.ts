import { matchCommand, parsePattern, type ShellCommand } from '../shell.js';
import { expandCommandBraces } from '../shell/braces.js';
import type { Finding } from './deletes.js';
import { clip, commandLine, GIT_VALUE_OPTS } from './util.js';

const GIT_PUSH = parsePattern('git push');
/** `--forc`, `--mirr`: git takes unique prefixes of long options. */
const long = (a: string, name: string, min: number): boolean => {
  const n = a.slice(2).split('=')[0]!;
  return a.startsWith('--') && n.length >= min && name.startsWith(n);
};
/** Short options bundled before an `-o`/`-o<value>` (push options take a value). */
const shorts = (a: string): string => (/^-[a-zA-Z0-9]+$/.test(a) ? (a.slice(1).split('o')[0] ?? '') : '');

/**
 * blast_radius's push check. Whether it is a push uses the matcher, so a run-time subcommand
 * (`git $X -f`, `git $(printf push) --force`) counts as one; the force is judged on the words
 * the command really gets, braces expanded (`{-f,main}`, `{+,}main`). A run-time word is not
 * assumed to be `--force` (`git push origin "$BRANCH"` is a plain push, which asks anyway).
 */
export function gitPushFinding(raw: ShellCommand): Finding | undefined {
  if (!matchCommand(raw, GIT_PUSH)) return undefined;
  const c = expandCommandBraces(raw);
  const line = clip(commandLine(raw), 120);
  // The subcommand: the first operand after git's global options (maybe a run-time word).
  let i = 0;
  for (; i < c.args.length; i++) {
    const w = c.args[i]!;
    if (c.argInfo[i]?.dynamic !== 'none') break;
    if (GIT_VALUE_OPTS.has(w)) i++;
    else if (!w.startsWith('-')) break;
  }
  const rest = c.args.slice(i + 1);
  const info = c.argInfo.slice(i + 1);
  const dd = rest.indexOf('--');
  const opts = (dd < 0 ? rest : rest.slice(0, dd)).filter((_a, k) => info[k]?.dynamic === 'none');
  const operands = rest.filter((a, k) => info[k]?.dynamic === 'none' && (!a.startsWith('-') || (dd >= 0 && k > dd)));
  const force = opts.some((a) => long(a, 'force', 3) || shorts(a).includes('f'));
  const plus = operands.some((a) => a.length > 1 && a.startsWith('+'));
  const mirror = opts.some((a) => long(a, 'mirror', 2));
  const lease = opts.some((a) => long(a, 'force-with-lease', 7) || long(a, 'force-if-includes', 7));
  const del = opts.some((a) => long(a, 'delete', 3) || long(a, 'prune', 2) || shorts(a).includes('d')) || operands.some((a) => a.startsWith(':'));
  if (force || plus) return { verdict: 'deny', reason: `${line}: a force-push rewrites remote history (--force-with-lease asks a human instead)`, key: 'push-force' };
  if (mirror) return { verdict: 'deny', reason: `${line}: --mirror overwrites and deletes remote refs`, key: 'push-mirror' };
  if (lease) return { verdict: 'ask', reason: `${line}: force-push with lease rewrites remote history`, key: 'push-lease' };
  if (del) return { verdict: 'ask', reason: `${line}: deletes remote refs`, key: 'push-delete' };
  return { verdict: 'ask', reason: `${line}: pushes to a remote`, key: 'push' };
}
