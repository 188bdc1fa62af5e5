import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Environment for real git in tests: a fixed identity, no user/system config, no hooks from outside. */
export const TEST_GIT_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'))),
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** Run git synchronously in `cwd` and return its trimmed stdout (throws on failure). */
export function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: TEST_GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function write(dir: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
}

/** Write a file and commit it in `dir`; the new sha. */
export function commitFile(dir: string, rel: string, text: string, message = `edit ${rel}`): string {
  write(dir, rel, text);
  sh(dir, 'add', '-A');
  sh(dir, 'commit', '-q', '-m', message);
  return sh(dir, 'rev-parse', 'HEAD');
}

/** A new repository at `dir` on branch `main` with one commit (README). */
export function initRepo(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  sh(dir, 'init', '-q', '-b', 'main');
  return commitFile(dir, 'README', 'hello\n', 'initial');
}
