import type { Command } from 'commander';
import type { RunAction } from './register-types.js';

/**
 * `omni share` (docs/COLLABORATION.md, "Sharing with other users"): `omni share SESSION --user U
 * --role R`, `omni share ls`, `omni share rm SESSION --user U`. A verb's options may be parsed by
 * the parent: each verb reads its options with its parent's (`optsWithGlobals`).
 */
export function registerShare(program: Command, run: RunAction): void {
  const cmd = async () => import('./commands/share.js');
  const share = program
    .command('share')
    .description('let another Unix user of this machine watch, drive or approve one session (ls, rm: the grants)')
    .argument('[session]', 'session id or name')
    .option('-u, --user <name>', 'the Unix user')
    .option('-r, --role <role>', 'watch (read), drive (+ send, interrupt, attach), approve (+ answer its asks)', 'watch')
    .option('--json', 'JSON output')
    .action(run(async (ref: string | undefined, opts) => (await cmd()).shareCommand(ref, opts)));
  share
    .command('ls')
    .description('the grants: session, user, role')
    .option('--json', 'JSON output')
    .action(run(async (_opts, c: Command) => (await cmd()).shareLsCommand(c.optsWithGlobals())));
  share
    .command('rm')
    .description("take a user's grant back: its streams end and its tmux clients are detached at once")
    .argument('<session>', 'session id or name')
    .option('-u, --user <name>', 'the Unix user')
    .option('--json', 'JSON output')
    .action(run(async (ref: string, _opts, c: Command) => (await cmd()).shareRmCommand(ref, c.optsWithGlobals())));
}
