import path from 'node:path';
import type { SessionRecord } from '../../core/session.js';
import { client } from '../context.js';
import { printJson, sessionLine } from '../output.js';
import { policyRefInput } from '../policy-refs.js';
import { checkHarnesses } from './doctor.js';
import { attachSession } from './attach.js';

export interface StartOptions {
  name?: string;
  cwd?: string;
  model?: string;
  detach?: boolean;
  json?: boolean;
  bin?: string;
  policy?: string[];
  /** commander's `--sandbox` / `--no-sandbox`: undefined when neither was given. */
  sandbox?: boolean;
  /** `--tag`, repeatable. */
  tag?: string[];
}

/** The flag as the top sandbox layer (config.yaml and an agent spec lie below it). */
export function sandboxFlagLayer(flag: boolean | undefined): Array<{ enabled: boolean }> {
  return flag === undefined ? [] : [{ enabled: flag }];
}

/** `omni <harness>`: create the session in the daemon (with this shell's environment), then attach. */
export function callerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

export async function startCommand(harness: string, args: string[], opts: StartOptions): Promise<number> {
  const api = await client();
  // On a remote host this machine's cwd and environment mean nothing (docs/REMOTE.md).
  const remote = await (await import('./remote-attach.js')).sshHost();
  const env = remote ? undefined : callerEnv();
  // First-run help: say so now, not at a login screen in a detached pane, when nothing is set up.
  const health = env && (await checkHarnesses(env, harness).catch(() => [])).find((h) => h.harness === harness);
  const { session } = await api.request<{ session: SessionRecord }>('/v1/sessions', {
    body: {
      harness,
      name: opts.name,
      cwd: remote ? remoteCwd(opts.cwd) : path.resolve(opts.cwd ?? process.cwd()),
      model: opts.model,
      args,
      env,
      binary: opts.bin,
      policies: (opts.policy ?? []).map((p) => policyRefInput(p)),
      sandbox: sandboxFlagLayer(opts.sandbox),
      tags: opts.tag ?? [],
    },
  });
  if (health?.installed && health.credentials.length === 0) {
    const hint = health.todo.find((t) => t.startsWith('credentials:'))?.slice('credentials: '.length) ?? '';
    process.stderr.write(`omni: no credentials found for ${health.displayName}: ${hint} (omni doctor shows more); it may stop at a login screen\n`);
  }
  if (remote && !(opts.detach || opts.json || !process.stdin.isTTY || !process.stdout.isTTY)) {
    return (await import('./remote-attach.js')).remoteTty(remote, ['attach', session.id]);
  }
  return afterStart(session, opts, 'started');
}

/**
 * A remote session's directory: `--cwd` as given when absolute, else under the remote user's
 * home (`~`, which the remote daemon expands); never this machine's cwd.
 */
export function remoteCwd(cwd: string | undefined): string {
  if (!cwd || cwd === '.' || cwd === '~') return '~';
  if (cwd.startsWith('/') || cwd.startsWith('~/')) return cwd;
  return `~/${cwd}`;
}

/** `omni resume`: the harness's own resume, with this shell's environment, then attach. */
export async function resumeCommand(ref: string, args: string[], opts: { detach?: boolean; json?: boolean }): Promise<number> {
  const api = await client();
  const remote = await (await import('./remote-attach.js')).sshHost();
  const { session } = await api.request<{ session: SessionRecord }>(`/v1/sessions/${encodeURIComponent(ref)}/resume`, { body: { env: remote ? undefined : callerEnv(), args } });
  if (remote && !(opts.detach || opts.json || !process.stdin.isTTY || !process.stdout.isTTY)) {
    return (await import('./remote-attach.js')).remoteTty(remote, ['attach', session.id]);
  }
  return afterStart(session, opts, 'resumed');
}

export async function afterStart(session: SessionRecord, opts: { detach?: boolean; json?: boolean }, verb: string): Promise<number> {
  const detach = opts.detach || opts.json || !process.stdin.isTTY || !process.stdout.isTTY;
  if (opts.json) {
    printJson(session);
    return 0;
  }
  if (detach) {
    process.stdout.write(`${verb} ${sessionLine(session)}\n`);
    if (!opts.detach) process.stderr.write(`not a terminal, so not attaching; attach later with: omni attach ${session.name}\n`);
    return 0;
  }
  return attachSession(session);
}
