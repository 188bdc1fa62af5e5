import type { Command } from 'commander';
import { ExitCode, OmniError } from '../core/errors.js';
import { EVENTS_OPTIONS, LS_OPTIONS, quickCommand } from './quick.js';

/** Harness subcommands (`omni claude`, …). Names only: adapters load lazily in the action. */
export const HARNESS_COMMANDS = ['claude', 'codex', 'pi', 'opencode', 'gemini', 'copilot', 'qwen'] as const;

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * The CLI. Every action imports its module lazily so that `omni ls` loads only what it uses
 * (no Ink, no React, no adapters).
 */
export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnEpipe();
  const quick = quickCommand(argv.slice(2));
  if (quick) {
    try {
      return await quick();
    } catch (err) {
      return omniError(err);
    }
  }
  // Loaded here, not at the top: `omni ls` (src/cli/quick.ts) starts without them.
  const { Command, CommanderError, Option } = await import('commander');
  const { OMNI_VERSION } = await import('../core/version.js');
  const program = new Command();
  let exitCode: number = ExitCode.ok;
  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<number | void>) =>
    async (...args: A) => {
      const code = await fn(...args);
      if (typeof code === 'number') exitCode = code;
    };

  program
    .name('omni')
    .description('A tmux-native meta-harness for AI coding agents: one daemon, one event stream, one policy layer.')
    .version(OMNI_VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    // Which daemon a command talks to (docs/COLLABORATION.md, docs/REMOTE.md). Program options are
    // read before and after the subcommand; the hook hands them on as the environment variables
    // scripts can set instead, so every command's `client()` (src/cli/context.ts) sees one place.
    .option('--host <name>', 'talk to the omni daemon on this host (omni hosts ls), over ssh; OMNI_HOST')
    .option('--socket <path>', "talk to the daemon on this control socket (another user's, as omni share prints); OMNI_SOCKET")
    .option('--owner <user>', "talk to this Unix user's daemon at its default location; OMNI_OWNER")
    .hook('preAction', () => {
      const o = program.opts<{ host?: string; socket?: string; owner?: string }>();
      if (o.host) process.env.OMNI_HOST = o.host;
      if (o.socket) process.env.OMNI_SOCKET = o.socket;
      if (o.owner) process.env.OMNI_OWNER = o.owner;
    });

  for (const harness of HARNESS_COMMANDS) {
    program
      .command(harness)
      .description(`start ${harness} in a new omni session (a tmux pane) and attach to it`)
      .option('-n, --name <name>', 'session name (default: <harness>-N)')
      .option('-C, --cwd <dir>', 'working directory (default: the current one)')
      .option('-m, --model <model>', 'model for the harness')
      .option('-d, --detach', 'do not attach; print the session and return')
      .option('--json', 'print the session as JSON (implies --detach)')
      .option('--bin <path>', `the ${harness} binary to run (default: found on PATH)`)
      .option('-p, --policy <file|name>', 'a policy for this session (a YAML file or a builtin name; repeatable)', collect, [])
      .option('--sandbox', "run it in omni's sandbox: no $HOME secrets, writes only here, network only through omni's proxy (docs/SANDBOX.md)")
      .option('--no-sandbox', "run it outside the sandbox even if config.yaml's sandbox.enabled is true")
      .option('-t, --tag <tag>', 'tag the session (repeatable): omni ls --tag, omni send --tag', collect, [])
      .argument('[args...]', `arguments passed to ${harness} (after --)`)
      .allowExcessArguments(true)
      .action(run(async (args: string[], opts) => (await import('./commands/start.js')).startCommand(harness, args, opts)));
  }

  program
    .command('run')
    .description('start an agent from its YAML spec (name, prompt, executor, policies)')
    .argument('<file>', 'the agent spec, e.g. agents/reviewer.yaml')
    .argument('[args...]', 'arguments passed to the harness (after --)')
    .option('-H, --harness <name>', "run it on another harness than the spec's executor.harness")
    .option('-m, --model <model>', "override the spec's executor.model")
    .option('-n, --name <name>', "session name (default: the agent's name)")
    .option('-C, --cwd <dir>', 'working directory (default: the current one)')
    .option('-d, --detach', 'do not attach')
    .option('--json', 'print the session as JSON (implies --detach)')
    .option('--sandbox', "run it in omni's sandbox even if the spec has no sandbox: section")
    .option('--no-sandbox', 'run it outside the sandbox whatever the spec and config.yaml say')
    .option('-t, --tag <tag>', 'tag the session (repeatable): omni ls --tag, omni send --tag', collect, [])
    .action(run(async (file: string, args: string[], opts) => (await import('./commands/run.js')).runCommand(file, args, opts)));

  program
    .command('dashboard', { isDefault: true })
    .description('live sessions: status, spend against budgets, pending asks (also plain `omni`); a snapshot without a terminal')
    .option('--json', 'print a snapshot as JSON and exit')
    .allowExcessArguments(true)
    .action(
      run(async (opts: { json?: boolean }, cmd: Command) => {
        if (cmd.args.length) program.error(await unknownCommand(cmd.args[0]!, program), { code: 'commander.unknownCommand', exitCode: ExitCode.usage });
        return (await import('./commands/dashboard.js')).dashboardCommand(opts);
      }),
    );

  program
    .command('mcp')
    .description("omni's MCP server on stdio (tools: omni_spawn, omni_wait, …): `claude mcp add omni -- omni mcp` (docs/MCP.md)")
    .option('--agent-socket <path>', "speak for the session that owns this agent socket (how omni wires it into a session)")
    .action(run(async (opts) => (await import('./commands/mcp.js')).mcpCommand(opts)));

  program
    .command('doctor')
    .description('which harnesses are installed and usable here, with what to do if not (never prints a secret)')
    .option('--json', 'JSON output')
    .action(run(async (opts) => (await import('./commands/doctor.js')).doctorCommand(opts)));

  const ls = program.command('ls').alias('list').description('list sessions: id, name, harness, status, cost, age, cwd');
  for (const o of LS_OPTIONS) ls.option(o.flags, o.description, o.default);
  ls.option('-t, --tag <tag>', 'only sessions with this tag (repeatable: with every one)', collect, []).action(run(async (opts) => (await import('./commands/ls.js')).lsCommand(opts)));

  program
    .command('tag')
    .description("show a session's tags, or change them: omni tag api-1 +api -old (a bare name adds)")
    .argument('<session>', 'session id or name')
    .argument('[changes...]', '+TAG adds, -TAG removes (put -- before them if a tag looks like an option)')
    .allowUnknownOption(true)
    .option('--json', 'JSON output')
    .action(run(async (ref: string, changes: string[], opts) => (await import('./commands/tag.js')).tagCommand(ref, changes, opts)));

  program
    .command('attach')
    .description('attach this terminal to a session (works outside tmux and inside your own tmux)')
    .argument('<session>', 'session id or name')
    .action(run(async (ref: string) => (await import('./commands/attach.js')).attachCommand(ref)));

  program
    .command('send')
    .description('type text into a session and submit it, the way a person would; or into many (--tag, --to)')
    .argument('[session]', 'session id or name (not with --tag/--to: then every word is text)')
    .argument('[text...]', 'the text (or use --file, or - for stdin)')
    .option('-t, --tag <tag>', 'send to every live session with this tag (repeatable: with every one)', collect, [])
    .option('--to <sessions>', 'send to these sessions (comma-separated ids or names; repeatable)', collect, [])
    .option('-f, --file <file>', 'read the text from a file (- for stdin)')
    .option('--no-submit', 'paste without pressing Enter')
    .option('--force', "type even while the harness shows its own dialog (it may answer it)")
    .option('--json', 'JSON output')
    .action(run(async (ref: string | undefined, text: string[], opts) => (await import('./commands/send.js')).sendCommand(ref, text, opts)));

  program
    .command('wait')
    .description('wait until a session is idle, waiting or exited (exit 0; 9 if its prompt was blocked; 10 if --for attention finds it needs a person; 124 on timeout; 6 if it ended first)')
    .argument('<session>', 'session id or name')
    .addOption(new Option('--for <status>', 'status to wait for (attention: idle, or waiting on a person)').choices(['idle', 'waiting', 'running', 'exited', 'attention']).default('idle'))
    .option('-t, --timeout <seconds>', 'give up after this many seconds', '600')
    .option('--json', 'JSON output')
    .action(run(async (ref: string, opts) => (await import('./commands/wait.js')).waitCommand(ref, opts)));

  const events = program.command('events').description("print a session's event stream").argument('<session>', 'session id or name');
  for (const o of EVENTS_OPTIONS) events.option(o.flags, o.description, o.default);
  events.action(run(async (ref: string, opts) => (await import('./commands/events.js')).eventsCommand(ref, opts)));

  program
    .command('stop')
    .description('stop a session (its tmux session is closed; the log stays)')
    .argument('<session>', 'session id or name')
    .option('--tree', 'also every session under it (its sub-agents), deepest first')
    .option('--json', 'JSON output')
    .action(run(async (ref: string, opts) => (await import('./commands/control.js')).stopCommand(ref, opts)));

  program
    .command('rm')
    .description('remove ended sessions: their logs are deleted, their cost stays in omni cost (live ones are refused)')
    .argument('<session...>', 'session ids or names')
    .option('-n, --dry-run', 'say what would be removed, remove nothing')
    .option('--json', 'JSON output')
    .action(run(async (refs: string[], opts) => (await import('./commands/rm.js')).rmCommand(refs, opts)));

  program
    .command('prune')
    .description('remove every ended session (or those ended longer ago than --older-than); cost history is kept')
    .option('--older-than <age>', 'only sessions that ended at least this long ago: 7d, 12h, 30m')
    .option('-n, --dry-run', 'say what would be removed, remove nothing')
    .option('--json', 'JSON output')
    .action(run(async (opts) => (await import('./commands/rm.js')).pruneCommand(opts)));

  program
    .command('resume')
    .description("restart an exited session on the harness's own resume (same session, same log)")
    .argument('<session>', 'session id or name')
    .argument('[args...]', 'extra arguments for the harness (after --)')
    .option('-d, --detach', 'do not attach')
    .option('--json', 'print the session as JSON (implies --detach)')
    .action(run(async (ref: string, args: string[], opts) => (await import('./commands/start.js')).resumeCommand(ref, args, opts)));

  // Watch and fork (docs/COLLABORATION.md)
  program
    .command('watch')
    .description("watch a session's pane read-only: your keys never reach the agent (C-b d leaves)")
    .argument('<session>', 'session id or name')
    .action(run(async (ref: string) => (await import('./commands/attach.js')).watchCommand(ref)));

  program
    .command('fork')
    .description("a new session with the same conversation history, on the harness's own fork")
    .argument('<session>', 'session id or name')
    .argument('[args...]', 'extra arguments for the harness (after --)')
    .option('--name <name>', 'name of the fork (default: <session>-fork)')
    .option('--worktree', 'give the fork its own git worktree (branch omni/<name>) from HEAD of the session\'s directory')
    .option('-d, --detach', 'do not attach')
    .option('--json', 'print the new session as JSON (implies --detach)')
    .action(run(async (ref: string, args: string[], opts) => (await import('./commands/fork.js')).forkCommand(ref, args, opts)));

  program
    .command('rename')
    .description('give a session a new name (a live session\'s name stays unique)')
    .argument('<session>', 'session id or name')
    .argument('<name>', 'the new name (letters, digits, -, _)')
    .option('--json', 'JSON output')
    .action(run(async (ref: string, name: string, opts) => (await import('./commands/rename.js')).renameCommand(ref, name, opts)));

  program
    .command('interrupt')
    .description('interrupt the current generation, the way the harness does (Escape for Claude Code)')
    .argument('<session>', 'session id or name')
    .option('--json', 'JSON output')
    .action(run(async (ref: string, opts) => (await import('./commands/control.js')).interruptCommand(ref, opts)));

  const worktree = program.command('worktree').description('the git worktrees omni made for sessions (docs/WORKTREES.md)');
  worktree
    .command('ls')
    .description('every worktree omni made: session, status, branch, base, diffstat, state (live, dirty, unmerged, merged, missing)')
    .option('--json', 'JSON output')
    .action(run(async (opts) => (await import('./commands/worktree.js')).worktreeLsCommand(opts)));
  worktree
    .command('diff')
    .description("a session's worktree against its base: commits, uncommitted and untracked files (a unified diff)")
    .argument('<session>', 'session id or name')
    .option('--stat', 'a diffstat instead')
    .action(run(async (ref: string, opts) => (await import('./commands/worktree.js')).worktreeDiffCommand(ref, opts)));
  worktree
    .command('rm')
    .description('remove ended sessions\' worktrees and branches (refused while live, dirty or unmerged; --force keeps the work under refs/omni/saved/)')
    .argument('<session...>', 'session ids or names')
    .option('-f, --force', 'remove a dirty or unmerged one too, first saving its work under refs/omni/saved/<branch>')
    .option('--json', 'JSON output')
    .action(run(async (refs: string[], opts) => (await import('./commands/worktree.js')).worktreeRmCommand(refs, opts)));

  program
    .command('merge')
    .description('the merge queue: rebase each branch on the result so far, check it, then fast-forward the target (exit 1 if any did not merge)')
    .argument('<refs...>', 'sessions (id or name) or local branches, merged in this order')
    .option('--into <branch>', "the target branch (default: the main checkout's current branch)")
    .option('--check <cmd>', 'a shell command run after each branch in the integration worktree; failing drops that branch')
    .option('-y, --yes', 'update the target without asking (needed without a terminal)')
    .option('--json', 'JSON output')
    .action(run(async (refs: string[], opts) => (await import('./commands/merge.js')).mergeCommand(refs, opts)));

  // The orchestrators (docs/POLLY.md, docs/DEBBY.md) register their own commands, to keep this file to its job.
  (await import('./register-polly.js')).registerPolly(program, run);
  (await import('./register-debby.js')).registerDebby(program, run);
  // Sharing with other Unix users (docs/COLLABORATION.md)
  (await import('./register-share.js')).registerShare(program, run);

  const policy = program.command('policy').description("a session's policies, and testing policies");
  policy
    .command('add')
    .description('add a policy (YAML file or builtin name) to a live session')
    .argument('<session>', 'session id or name')
    .argument('<policy>', 'a policy file or a builtin name')
    .option('--json', 'JSON output')
    .action(run(async (ref: string, p: string, opts) => (await import('./commands/policy.js')).policyAddCommand(ref, p, opts)));
  policy
    .command('ls')
    .description("list a session's policies and their state")
    .argument('<session>', 'session id or name')
    .option('--json', 'JSON output')
    .action(run(async (ref: string, opts) => (await import('./commands/policy.js')).policyLsCommand(ref, opts)));
  policy
    .command('names')
    .description('the names --policy takes: builtins and config policies/<name>.yaml (no daemon needed)')
    .option('--json', 'JSON output: [{name, kind: builtin|named}]')
    .action(run(async (opts) => (await import('./commands/policy-names.js')).policyNamesCommand(opts)));
  policy
    .command('test')
    .description('evaluate the tool calls of a test file against policies, without an agent (exit 1 on any mismatch)')
    .argument('<file>', 'a policy test file (YAML: cases of tool calls and the verdict each must get)')
    .option('--json', 'JSON output: {cases: [{name, expect, got, policy, reason}], passed, failed}')
    .action(run(async (file: string, opts) => (await import('./commands/policy-test.js')).policyTestCommand(file, opts)));

  const approvals = program
    .command('approvals')
    .description('pending approvals across sessions: a live view on a terminal, a table otherwise')
    .option('-a, --all', 'include answered approvals (listing only)')
    .option('--json', 'JSON output')
    .action(run(async (opts) => (await import('./commands/approvals.js')).approvalsCommand(opts)));
  approvals
    .command('popup', { hidden: true })
    .description('answer one approval in a compact view (for tmux display-popup -E)')
    .argument('<id>', 'approval id (ap_…)')
    .action(run(async (id: string) => (await import('./commands/approvals.js')).approvalPopupCommand(id)));
  program
    .command('approve')
    .description("approve a pending ask (once, or for the rest of the session with --session): by its id, a session's only one, or --all")
    .argument('[target]', "an approval id (ap_…), or a session (id or name) whose single pending ask it is")
    .option('-a, --all', 'every pending ask (of one session with --session S or a session argument)')
    .option('-s, --session [session]', 'approve for the rest of the session; with --all, the session whose asks to approve')
    .option('--json', 'JSON output')
    .action(run(async (target: string | undefined, opts) => (await import('./commands/answer.js')).approveCommand(target, opts)));
  program
    .command('deny')
    .description("deny a pending ask: by its id, a session's only one, or --all")
    .argument('[target]', "an approval id (ap_…), or a session (id or name) whose single pending ask it is")
    .option('-a, --all', 'every pending ask (of one session with --session S or a session argument)')
    .option('-s, --session <session>', 'the session whose ask(s) to deny')
    .option('-r, --reason <text>', 'why (the agent sees it)')
    .option('--json', 'JSON output')
    .action(run(async (target: string | undefined, opts) => (await import('./commands/answer.js')).denyCommand(target, opts)));
  program
    .command('status-line')
    .description('one short line for tmux status-right (never starts the daemon)')
    .option('--tmux', 'use tmux #[fg=…] style codes')
    .option('--timeout <ms>', 'give up after this long', '1500')
    .option('--json', 'JSON output')
    .action(run(async (opts) => (await import('./commands/status-line.js')).statusLineCommand(opts)));

  program
    .command('cost')
    .description('spend from usage events: tokens, computed USD (price book), reported USD; unpriced models flagged')
    .argument('[session]', 'one session (id or name); default: all sessions')
    .addOption(new Option('--by <group>', 'group by (default: session; model for one session)').choices(['session', 'harness', 'model', 'day']))
    .option('--tree', 'one row per session tree: each root with its sub-agents rolled up')
    .option('--json', 'JSON output')
    .action(run(async (ref: string | undefined, opts) => (await import('./commands/cost.js')).costCommand(ref, opts)));

  const prices = program
    .command('prices')
    .description('what a model costs and where the price comes from (override, cache, bundled)')
    .argument('[model]', 'a model name, e.g. claude-sonnet-4-5 (none: the price data in use)')
    .option('-H, --harness <name>', 'price it as this harness would (claude → anthropic, codex → openai)')
    .option('--provider <id>', 'the provider that bills it (anthropic, openai, google, openrouter…)')
    .option('--json', 'JSON output')
    .action(run(async (model: string | undefined, opts) => (await import('./commands/prices.js')).pricesCommand(model, opts)));
  prices
    .command('update')
    .description("fetch the latest price data release from the npm registry into omni's cache")
    .option('--registry <url>', 'npm registry (default: $npm_config_registry or registry.npmjs.org)')
    .option('-f, --force', 'fetch and cache the latest release even if it is not newer')
    .option('--json', 'JSON output')
    .action(run(async (opts) => (await import('./commands/prices.js')).pricesUpdateCommand(opts)));

  const daemon = program.command('daemon').description('the omni daemon (started automatically when needed)');
  daemon
    .command('run')
    .description('run the daemon in the foreground')
    .action(run(async () => (await import('../daemon/main.js')).runDaemon()));
  daemon
    .command('start')
    .description('start the daemon in the background')
    .option('-q, --quiet', 'print nothing')
    .option('--json', 'JSON output')
    .action(run(async (opts) => (await import('./commands/daemon.js')).daemonStart(opts)));
  daemon
    .command('stop')
    .description('stop the daemon (sessions keep running in tmux)')
    .option('--json', 'JSON output')
    .action(run(async (opts) => (await import('./commands/daemon.js')).daemonStop(opts)));
  daemon
    .command('status')
    .description('is the daemon running? (exit 0 if so, 4 if not)')
    .option('--json', 'JSON output')
    .action(run(async (opts) => (await import('./commands/daemon.js')).daemonStatusCommand(opts)));
  // Remote hosts (docs/REMOTE.md)
  daemon
    .command('bridge')
    .description("join stdin/stdout to the daemon's control socket (what `ssh host omni daemon bridge` runs for --host)")
    .action(run(async () => (await import('./commands/bridge.js')).daemonBridge()));
  const hosts = program.command('hosts').description('remote machines with omni installed, reached over your ssh (docs/REMOTE.md)');
  hosts
    .command('add')
    .description('add a host: ssh://[user@]host[:port] (a ~/.ssh/config alias works) or unix:///path/omni.sock')
    .argument('<name>')
    .argument('<url>')
    .option('--omni <cmd>', 'the omni command on that host (default: omni)')
    .option('--home <dir>', 'OMNI_HOME on that host (default: its own default)')
    .option('--json', 'JSON output')
    .action(run(async (name: string, url: string, opts) => (await import('./commands/hosts.js')).hostsAdd(name, url, opts)));
  hosts
    .command('ls')
    .description('the hosts added')
    .option('--json', 'JSON output')
    .action(run(async (opts) => (await import('./commands/hosts.js')).hostsLs(opts)));
  hosts
    .command('rm')
    .description('forget a host (its sessions keep running there)')
    .argument('<name>')
    .action(run(async (name: string) => (await import('./commands/hosts.js')).hostsRm(name)));
  hosts
    .command('test')
    .description("one request to the host's daemon over the transport: version, latency")
    .argument('<name>')
    .option('--json', 'JSON output')
    .action(run(async (name: string, opts) => (await import('./commands/hosts.js')).hostsTest(name, opts)));

  // The hook client's fallback when curl is missing (see bin/omni-hook). Not for people.
  program
    .command('hook-post', { hidden: true })
    .argument('<socket>')
    .argument('<event>')
    .argument('[mode]')
    .option('--timeout <ms>', 'give up an attempt after this long')
    .option('--no-retry', 'one attempt, no daemon start')
    .action(run(async (sock: string, event: string, mode: string | undefined, opts) => (await import('./commands/hook-post.js')).hookPost(sock, event, mode, opts)));

  omniErrors(program);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage; // already printed, in omni's form (omniErrors)
    }
    return omniError(err);
  }
}

/** An OmniError is one line on stderr and its exit code; anything else is a bug, thrown on. */
function omniError(err: unknown): number {
  if (err instanceof OmniError) {
    process.stderr.write(`omni: ${err.message}\n`);
    return err.exitCode;
  }
  throw err;
}

/**
 * The reader of omni's output went away (`omni events s | head -3`): stop there, quietly and
 * with status 0, as any Unix tool does, whatever the command. (Node ignores SIGPIPE, so the
 * broken pipe arrives as an EPIPE error on the stream, which unhandled would crash with a stack.)
 */
function exitQuietlyOnEpipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}

/**
 * Commander's own errors (unknown command or option, missing argument, bad choice) in omni's
 * documented form: one line, `omni: …`, with where to look; they exit 2 (see main's catch).
 */
function omniErrors(cmd: Command, path: string[] = []): void {
  const where = ['omni', ...path].join(' ');
  cmd.configureOutput({
    outputError: (str, write) => {
      const text = str
        .replace(/^error: /, '')
        .replace(/\(Did you mean/g, '(did you mean')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .join(' ');
      write(`omni: ${text}${/\bsee omni\b/.test(text) ? '' : ` (see ${where} --help)`}\n`);
    },
  });
  for (const sub of cmd.commands) omniErrors(sub, [...path, sub.name()]);
}

/** `omni lss`: plain `omni` is the dashboard, so an unknown word reaches it as an argument. */
async function unknownCommand(word: string, program: Command): Promise<string> {
  const { suggest } = await import('../core/yaml.js'); // only on this error path: `omni ls` stays light
  const names = program.commands.filter((c) => c.name() !== 'hook-post').flatMap((c) => [c.name(), ...c.aliases()]);
  const near = suggest(word, names);
  return `unknown command '${word}'${near ? ` (did you mean ${near}?)` : ''} (see omni --help)`;
}
