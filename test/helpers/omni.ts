import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OMNI_JS = path.join(ROOT, 'bin', 'omni.js');
/**
 * The agent CLIs under test: the pinned ones (`npm run test:setup` installs them), or the folder
 * `OMNI_TEST_HARNESS_BIN` names (`npm run test:latest` points it at the newest releases).
 */
export const HARNESS_BIN = process.env.OMNI_TEST_HARNESS_BIN || path.join(ROOT, 'test', 'harness-clis', 'node_modules', '.bin');

/**
 * Whether a pinned agent CLI (`name` in test/harness-clis, or a path) is installed, for
 * `describe.skipIf`. On a developer's machine its tests skip when it is not; under CI (CI set,
 * as CI runners and .ci/run do) a missing one throws, failing the run instead of passing it
 * green with the harness untested.
 */
export function pinnedCli(nameOrPath: string, env: Record<string, string | undefined> = process.env): boolean {
  const bin = nameOrPath.includes('/') ? nameOrPath : path.join(HARNESS_BIN, nameOrPath);
  if (fs.existsSync(bin)) return true;
  const ci = env.CI;
  if (ci && ci !== 'false' && ci !== '0') throw new Error(`the pinned agent CLI ${bin} is missing and CI is set, so its tests fail instead of skipping: run \`npm run test:setup\``);
  return false;
}

export interface TestEnv {
  dir: string;
  home: string;
  omniHome: string;
  work: string;
  env: Record<string, string>;
  omni(args: string[], opts?: { input?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<Result>;
  omniJson<T>(args: string[]): Promise<T>;
  tmux(args: string[]): Promise<Result>;
  cleanup(): Promise<void>;
}

/**
 * A private world per test: its own HOME (so the real CLIs' configs are isolated), OMNI_HOME
 * (daemon, sockets, state), a work dir, and the pinned harness CLIs first on PATH. Paths stay
 * short because Unix socket paths are capped at ~108 bytes.
 */
export function makeTestEnv(extraEnv: Record<string, string> = {}): TestEnv {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omt-'));
  const home = path.join(dir, 'home');
  const omniHome = path.join(dir, 'o');
  const work = path.join(dir, 'work');
  for (const d of [home, omniHome, work]) fs.mkdirSync(d, { recursive: true });
  const env: Record<string, string> = {
    PATH: `${HARNESS_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: home,
    OMNI_HOME: omniHome,
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
    DISABLE_AUTOUPDATER: '1',
    ...extraEnv,
  };
  const omni: TestEnv['omni'] = (args, opts = {}) =>
    execa(process.execPath, [OMNI_JS, ...args], {
      env: { ...env, ...(opts.env ?? {}) },
      extendEnv: false,
      reject: false,
      cwd: work,
      input: opts.input,
      stdin: opts.input === undefined ? 'ignore' : undefined,
      timeout: opts.timeoutMs ?? 120_000,
    });
  return {
    dir,
    home,
    omniHome,
    work,
    env,
    omni,
    async omniJson<T>(args: string[]) {
      // --json belongs to omni, so it goes before any `--` (what follows is the harness's).
      const dd = args.indexOf('--');
      const r = await omni(dd === -1 ? [...args, '--json'] : [...args.slice(0, dd), '--json', ...args.slice(dd)]);
      if (r.exitCode !== 0) throw new Error(`omni ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
      return JSON.parse(String(r.stdout)) as T;
    },
    tmux: (args) => execa('tmux', ['-S', path.join(omniHome, 'run', 'tmux.sock'), ...args], { reject: false, extendEnv: true }),
    async cleanup() {
      // tmux first: the agents' last hooks (SessionEnd) still find a daemon, instead of
      // starting a new one after it was stopped.
      await execa('tmux', ['-S', path.join(omniHome, 'run', 'tmux.sock'), 'kill-server'], { reject: false });
      await new Promise((r) => setTimeout(r, 300));
      await omni(['daemon', 'stop'], { timeoutMs: 15_000 }).catch(() => {});
      // A daemon that a late gate hook started again must not outlive the test.
      for (let i = 0; i < 3; i++) {
        try {
          const pid = Number(fs.readFileSync(path.join(omniHome, 'run', 'omnid.pid'), 'utf8'));
          if (pid > 0) process.kill(pid, 'SIGKILL');
        } catch {
          /* no daemon left */
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      if (!process.env.OMNI_KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function claudeEnv(modelUrl: string): Record<string, string> {
  return { ANTHROPIC_BASE_URL: modelUrl, ANTHROPIC_AUTH_TOKEN: 'test-token' };
}

export async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
