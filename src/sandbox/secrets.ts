import crypto from 'node:crypto';
import fs from 'node:fs';
import { execa } from 'execa';
import { OmniError } from '../core/errors.js';
import type { SecretSource } from './types.js';

/**
 * Resolve a secret's value outside the sandbox (docs/SANDBOX.md). Errors name the secret and
 * its source, never a value. `env` is the environment of the omni command that asked for the
 * session; a command runs with it too (so `gh auth token` finds the user's gh config).
 */
export async function resolveSecret(name: string, from: SecretSource, env: Record<string, string>): Promise<string> {
  let value: string;
  if ('env' in from) {
    value = env[from.env] ?? '';
    if (!value) throw new OmniError(`secret "${name}": $${from.env} is not set in the environment omni was started from`, 'secret_unavailable');
  } else if ('file' in from) {
    try {
      value = fs.readFileSync(from.file, 'utf8');
    } catch (err) {
      throw new OmniError(`secret "${name}": cannot read ${from.file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'secret_unavailable');
    }
  } else {
    const r = await execa('sh', ['-c', from.command], { env, extendEnv: false, reject: false, timeout: 15_000, stdin: 'ignore' });
    if (r.exitCode !== 0 || r.timedOut) {
      // stderr may echo part of a token; say only how it failed.
      throw new OmniError(`secret "${name}": \`${from.command}\` ${r.timedOut ? 'timed out after 15 s' : `exited ${r.exitCode}`}`, 'secret_unavailable');
    }
    value = String(r.stdout);
  }
  value = value.trim();
  if (!value) throw new OmniError(`secret "${name}" is empty`, 'secret_unavailable');
  if (/[\r\n]/.test(value)) throw new OmniError(`secret "${name}" spans several lines; a header value cannot`, 'secret_unavailable');
  return value;
}

/** What the sandbox sees instead of a secret: worthless anywhere, recognisable in a header. */
export function placeholderFor(name: string): string {
  return `omni-placeholder-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${crypto.randomBytes(8).toString('hex')}`;
}
