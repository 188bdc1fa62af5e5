import type { Command } from 'commander';
import type { RunAction } from './register-types.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * `omni polly "goal"`, `omni polly board|merge|stop|ls` (docs/POLLY.md, docs/CLI.md). Actions
 * import their modules lazily, as main.ts does: `omni ls` must not load them. A goal that is
 * exactly a subcommand's name is taken as that subcommand (`omni polly start board` starts it).
 */
export function registerPolly(program: Command, run: RunAction): void {
  const polly = program
    .command('polly')
    .description('Polly: a lead plans, workers code in worktrees, a reviewer of another vendor reviews each diff, a person merges (docs/POLLY.md)');

  // The default subcommand, so that `omni polly "goal"` starts a run and each subcommand keeps
  // its own --json (options on `polly` itself would take them).
  polly
    .command('start', { isDefault: true })
    .description('start a run: omni polly "goal" (the same as omni polly start "goal"); on a terminal, open its board')
    .argument('<goal>', 'what to build, in words')
    .option('--workers <harnesses>', 'worker harnesses, comma-separated (default: claude,codex)')
    .option('--reviewers <harnesses>', 'reviewer harnesses, comma-separated (default: claude,codex; each task goes to one of another vendor than its worker)')
    .option('--check <cmd>', 'a shell command the merge queue runs after each task (e.g. "npm test")')
    .option('--parallel <n>', 'at most this many workers at a time (default: 2)')
    .option('--rounds <n>', 'review rounds before a task waits for a person (default: 2)')
    .option('--lead <harness>', "the lead's harness (default: agents/polly.yaml's)")
    .option('-d, --detach', 'do not open the board; print the run id')
    .option('--json', 'print {run} as JSON (implies --detach)')
    .action(run(async (goal: string, opts) => (await import('./commands/polly.js')).pollyStartCommand(goal, opts)));

  polly
    .command('board')
    .description("a run's tasks live: worker, status, branch, diffstat, review, cost; keys to attach, diff, review, approve, send back, merge")
    .argument('[run]', 'a run id (default: the newest run of this repository)')
    .option('--json', 'print {run, rows} once as JSON')
    .action(run(async (ref: string | undefined, opts) => (await import('./commands/polly-board.js')).pollyBoardCommand(ref, opts)));

  polly
    .command('merge')
    .description("hand a run's approved tasks, in plan order, to the merge queue into the run's base branch (exit as omni merge: 0, 1, 8)")
    .argument('[run]', 'a run id (default: the newest run of this repository)')
    .option('--task <id>', 'only this task (repeatable); it must be approved', collect, [])
    .option('--check <cmd>', "run this after each task instead of the run's --check")
    .option('-y, --yes', 'update the target without asking (needed without a terminal)')
    .option('--json', 'JSON output')
    .action(run(async (ref: string | undefined, opts) => (await import('./commands/polly-merge.js')).pollyMergeCommand(ref, opts)));

  polly
    .command('stop')
    .description("stop a run: every live session of it (deepest first); unfinished tasks become stopped")
    .argument('[run]', 'a run id (default: the newest run of this repository)')
    .option('--json', 'JSON output')
    .action(run(async (ref: string | undefined, opts) => (await import('./commands/polly.js')).pollyStopCommand(ref, opts)));

  polly
    .command('ls')
    .description('Polly runs, newest first: id, status, tasks by status, cost, age, goal')
    .option('--json', 'JSON output (an array of runs)')
    .action(run(async (opts) => (await import('./commands/polly.js')).pollyLsCommand(opts)));
}
