/**
 * `omni ls` without commander: the commonest call of scripts and status bars starts in less time
 * than commander takes to load. Only argument lists made of ls's own switches (LS_SWITCHES, which
 * main.ts declares to commander too) take this path; anything else (a tag, --help, a typo) goes
 * to commander, which parses it and says what is wrong.
 */

/** ls's options that take no value: [flags as commander spells them, description, the option's key]. */
export const LS_SWITCHES = [
  ['-a, --all', 'include exited sessions', 'all'],
  ['-w, --wide', 'do not fit the terminal: whole status reasons and paths', 'wide'],
  ['--json', 'JSON output', 'json'],
] as const;

type LsSwitch = (typeof LS_SWITCHES)[number][2];

/** The command to run for `args` (argv after the script), if it needs no parser; else undefined. */
export function quickCommand(args: string[]): (() => Promise<number>) | undefined {
  if (args[0] !== 'ls' && args[0] !== 'list') return undefined;
  const opts: Partial<Record<LsSwitch, true>> & { tag: string[] } = { tag: [] };
  for (const arg of args.slice(1)) {
    const sw = LS_SWITCHES.find(([flags]) => flags.split(', ').includes(arg));
    if (!sw) return undefined;
    opts[sw[2]] = true;
  }
  return async () => (await import('./commands/ls.js')).lsCommand(opts);
}
