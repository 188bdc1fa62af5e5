import { execa } from 'execa';
import type { CheckResult } from './types.js';

/** The queue's `--check`: `sh -c CMD` in `cwd`, stdout and stderr captured together (never to the terminal). */
export async function shellCheck(command: string, cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<CheckResult> {
  const r = await execa('sh', ['-c', command], { cwd, env, all: true, reject: false, stdin: 'ignore' });
  return { exitCode: r.exitCode ?? 1, output: String(r.all ?? '') };
}
