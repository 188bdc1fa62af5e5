/**
 * `omni ls` and `omni events` without commander: the commonest calls of scripts and status bars
 * start in less time than commander takes to load. Only argument lists made of the command's own
 * options (declared here, and to commander from here by main.ts, so the two cannot drift) take
 * this path; anything else (--help, `--opt=value`, bundled short flags, a typo, a missing or
 * extra argument) goes to commander, which parses it and says what is wrong.
 */

export interface QuickOption {
  /** As commander spells them: `-a, --all`, `--since <seq>`. */
  flags: string;
  description: string;
  /** The key commander gives it in the options object. */
  key: string;
  default?: string;
}

export const LS_OPTIONS: readonly QuickOption[] = [
  { flags: '-a, --all', description: 'include exited sessions', key: 'all' },
  { flags: '-w, --wide', description: 'do not fit the terminal: whole status reasons and paths', key: 'wide' },
  { flags: '--tree', description: "sub-agents under their lead and forks under their source, with the tree's spend (--json: nested children)", key: 'tree' },
  { flags: '--json', description: 'JSON output', key: 'json' },
  // Views across hosts (docs/REMOTE.md)
  { flags: '--all-hosts', description: 'this machine and every host of omni hosts ls, with a HOST column (--json: a host field)', key: 'allHosts' },
  { flags: '--host-timeout <ms>', description: 'with --all-hosts: give up on a host after this long (default 5000; OMNI_HOST_TIMEOUT_MS)', key: 'hostTimeout' },
];

export const EVENTS_OPTIONS: readonly QuickOption[] = [
  { flags: '-f, --follow', description: 'keep streaming new events (ends when the session exits)', key: 'follow' },
  { flags: '--json', description: 'NDJSON output, one event per line', key: 'json' },
  { flags: '--since <seq>', description: 'only events after this sequence number', key: 'since', default: '0' },
  { flags: '-n, --last <n>', description: 'only the last N events (of those after --since); with --follow, then the new ones', key: 'last' },
];

interface Quick {
  names: string[];
  options: readonly QuickOption[];
  /** How many positional arguments it takes (exactly). */
  args: number;
  run(args: string[], opts: Record<string, string | true>): Promise<number>;
}

const QUICK: Quick[] = [
  { names: ['ls', 'list'], options: LS_OPTIONS, args: 0, run: async (_a, opts) => (await import('./commands/ls.js')).lsCommand({ tag: [], ...opts }) },
  {
    names: ['events'],
    options: EVENTS_OPTIONS,
    args: 1,
    run: async ([ref], opts) => (await import('./commands/events.js')).eventsCommand(ref!, opts as { since: string }),
  },
];

/** The command to run for `argv` (after node and the script), if it needs no parser; else undefined. */
export function quickCommand(argv: string[]): (() => Promise<number>) | undefined {
  // Every remote request starts one bridge; commander would be most of its start-up.
  if (argv.length === 2 && argv[0] === 'daemon' && argv[1] === 'bridge') return async () => (await import('./commands/bridge.js')).daemonBridge();
  const parsed = quickParse(argv);
  if (!parsed) return undefined;
  const cmd = QUICK.find((q) => q.names.includes(argv[0]!))!;
  return () => cmd.run(parsed.args, parsed.opts);
}

/** The arguments and options `argv` gives a quick command, as commander would; undefined if it is not one. Exported for tests. */
export function quickParse(argv: string[]): { args: string[]; opts: Record<string, string | true> } | undefined {
  const cmd = QUICK.find((q) => q.names.includes(argv[0] ?? ''));
  if (!cmd) return undefined;
  const opts: Record<string, string | true> = {};
  for (const o of cmd.options) if (o.default !== undefined) opts[o.key] = o.default;
  const args: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) {
      args.push(arg);
      continue;
    }
    const o = cmd.options.find((x) => x.flags.split(/[ ,]+/).includes(arg));
    if (!o) return undefined;
    if (!o.flags.includes('<')) opts[o.key] = true;
    else {
      const value = argv[++i];
      if (value === undefined || value.startsWith('-')) return undefined;
      opts[o.key] = value;
    }
  }
  if (args.length !== cmd.args) return undefined;
  return { args, opts };
}
