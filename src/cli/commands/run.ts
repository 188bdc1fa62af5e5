import path from 'node:path';
import { agentPolicies, grantFromSpec } from '../../agents/grant.js';
import { loadAgentSpec } from '../../agents/spec.js';
import { OmniError } from '../../core/errors.js';
import type { SessionRecord } from '../../core/session.js';
import { YamlError } from '../../core/yaml.js';
import { client } from '../context.js';
import { afterStart, callerEnv, sandboxFlagLayer } from './start.js';

export interface RunOptions {
  harness?: string;
  model?: string;
  name?: string;
  cwd?: string;
  detach?: boolean;
  json?: boolean;
  sandbox?: boolean;
  tag?: string[];
}

/** `omni run agent.yaml`: the spec's harness (or --harness), prompt, policies and spawn grant, in a new session. */
export async function runCommand(file: string, args: string[], opts: RunOptions): Promise<number> {
  const api = await client();
  const { harnesses } = await api.request<{ harnesses: Array<{ name: string }> }>('/v1/harnesses');
  const names = harnesses.map((h) => h.name);
  let spec;
  try {
    spec = loadAgentSpec(file, names);
  } catch (err) {
    if (err instanceof YamlError) throw new OmniError(err.message, 'bad_request');
    throw err;
  }
  const harness = opts.harness ?? spec.executor.harness;
  if (!names.includes(harness)) throw new OmniError(`unknown harness "${harness}"; known harnesses: ${names.join(', ')}`, 'unknown_harness');
  const policies = agentPolicies(spec);
  // spawn: true → the grant (sub-agents, limits) goes with it, resolved here: the daemon keeps it as spawn.json.
  const spawn = spec.spawn ? grantFromSpec(spec) : undefined;
  const { session } = await api.request<{ session: SessionRecord }>('/v1/sessions', {
    body: {
      harness,
      name: opts.name ?? spec.name,
      cwd: path.resolve(opts.cwd ?? process.cwd()),
      model: opts.model ?? (opts.harness && opts.harness !== spec.executor.harness ? undefined : spec.executor.model),
      args,
      env: callerEnv(),
      policies,
      prompt: spec.prompt,
      agent: { name: spec.name, file: spec.file },
      // The spec's sandbox:/secrets: over config.yaml's, then the flag over both.
      sandbox: [...(spec.sandbox ? [spec.sandbox] : []), ...sandboxFlagLayer(opts.sandbox)],
      tags: opts.tag ?? [],
      ...(spawn ? { spawn } : {}),
    },
  });
  return afterStart(session, opts, 'started');
}
