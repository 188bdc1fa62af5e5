import { client } from '../context.js';
import { afterStart, callerEnv } from './start.js';

/** `omni fork`: a new session with the source's history (the harness's own fork), with this shell's environment, then attach. */
export async function forkCommand(ref: string, args: string[], opts: { name?: string; worktree?: boolean; detach?: boolean; json?: boolean }): Promise<number> {
  const { session } = await (await client()).fork(ref, {
    env: callerEnv(),
    args,
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.worktree ? { worktree: true } : {}),
  });
  return afterStart(session, opts, `forked ${ref} into`);
}
