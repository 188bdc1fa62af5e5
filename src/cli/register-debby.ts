import type { Command } from 'commander';
import type { RunAction } from './register-types.js';

/**
 * `omni debby` and its verbs (docs/DEBBY.md). Actions import their modules lazily, as main.ts
 * does: `omni ls` must not load them. The program parses options past a verb, so `omni debby`
 * itself takes a verb's `--json`/`--synth`: each verb reads its options with its parent's
 * (`optsWithGlobals`).
 */
export function registerDebby(program: Command, run: RunAction): void {
  const cmd = async () => import('./commands/debby.js');
  const debby = program
    .command('debby')
    .description('two or more heads (claude, codex, pi…) side by side: ask them all, let them debate, read a synthesis (docs/DEBBY.md)')
    .option('--heads <list>', 'the heads, comma-separated harness names (a repeat is another head)', 'claude,codex')
    .option('--synth <label>', "the head that writes a debate's synthesis (default: the first)")
    .option('-d, --detach', 'do not open the view; print the run id')
    .option('--json', 'print {run} as JSON (implies --detach)')
    .action(run(async (opts) => (await cmd()).debbyStartCommand(opts)));
  debby
    .command('ask')
    .description('a question to every head at once; prints each answer (exit 1 if a head failed, 124 on timeout)')
    .argument('<run>', 'the run id (d_…), or latest')
    .argument('<question...>', 'the question')
    .option('--timeout <seconds>', 'give up waiting after this long (default 600)')
    .option('--json', 'print the exchange as JSON')
    .action(run(async (ref: string, words: string[], _o, c: Command) => (await cmd()).debbyAskCommand(ref, words, c.optsWithGlobals())));
  debby
    .command('debate')
    .description("each head critiques the others' latest answers and revises its own, for N rounds; then one head's synthesis")
    .argument('<run>', 'the run id (d_…), or latest')
    .option('-r, --rounds <n>', 'debate rounds', '1')
    .option('--synth <label>', "the head that writes the synthesis (default: the run's)")
    .option('--timeout <seconds>', 'the longest each round and the synthesis may take (default 600)')
    .option('--json', 'print {exchanges} as JSON')
    .action(run(async (ref: string, _o, c: Command) => (await cmd()).debbyDebateCommand(ref, c.optsWithGlobals())));
  debby
    .command('show')
    .description('a run: its heads, costs and every exchange')
    .argument('<run>', 'the run id (d_…), or latest')
    .option('--json', 'print the run as JSON (GET /v1/debby/:run)')
    .action(run(async (ref: string, _o, c: Command) => (await cmd()).debbyShowCommand(ref, c.optsWithGlobals())));
  debby
    .command('view')
    .description('the Debby view in this terminal: the heads side by side, live; type a question or /debate [N]')
    .argument('[run]', 'the run id (d_…), or latest (default)')
    .action(run(async (ref: string | undefined) => (await import('./commands/debby-view.js')).debbyViewCommand(ref, {})));
  debby
    .command('stop')
    .description("stop a run's heads (their logs stay)")
    .argument('<run>', 'the run id (d_…), or latest')
    .option('--json', 'print {run} as JSON')
    .action(run(async (ref: string, _o, c: Command) => (await cmd()).debbyStopCommand(ref, c.optsWithGlobals())));
  debby
    .command('ls')
    .description('every debby run, newest first: status, heads, exchanges, cost')
    .option('--json', 'print the runs as a JSON array')
    .action(run(async (_o, c: Command) => (await cmd()).debbyLsCommand(c.optsWithGlobals())));
}
