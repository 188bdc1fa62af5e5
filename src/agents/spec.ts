import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { YamlError, YamlSource } from '../core/yaml.js';
import { parseSandboxBlock, parseSecretsBlock, type SandboxLayer } from '../sandbox/settings.js';

/**
 * A minimal agent spec (docs/AGENTS.md): who the agent is, what it is told, which harness runs
 * it, and the policies it runs under. The same spec runs on any harness: `executor.harness`
 * (or `omni run --harness`) is the only thing that changes.
 */
export interface AgentSpec {
  file: string;
  name: string;
  prompt?: string;
  executor: { harness: string; model?: string };
  /** Policy files (resolved against the spec's folder) or names (builtins, config policies). */
  policies: Array<{ ref: string; file?: string }>;
  /**
   * The agent's layer of the sandbox settings (docs/SANDBOX.md): top-level `sandbox:` and
   * `secrets:` (inside, as `secrets`); absent when the spec has neither. A `sandbox:` mapping
   * means enabled unless it says `enabled: false`. Paths resolved against the spec's folder.
   */
  sandbox?: SandboxLayer;
}

const TOP_KEYS = ['name', 'description', 'prompt', 'executor', 'policies', 'sandbox', 'secrets'] as const;
const EXECUTOR_KEYS = ['harness', 'model'] as const;

/** Parse and validate; every error names file, line and column and says what is valid. */
export function parseAgentSpec(text: string, file: string, harnesses: readonly string[], opts: { home?: string } = {}): AgentSpec {
  const src = new YamlSource(file, text);
  const root = src.root();
  if (root.kind() === 'null') root.fail('the agent spec is empty; it needs at least name and executor.harness');
  const entries = root.map('an agent spec', TOP_KEYS);
  const get = (k: string) => entries.find((e) => e.key === k);
  const nameE = get('name');
  if (!nameE) return root.fail('an agent spec needs a "name"');
  const name = nameE.value.string('name');
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) nameE.value.fail(`name "${name}" must use letters, digits, "-" and "_"`);
  const exE = get('executor');
  if (!exE) return root.fail('an agent spec needs "executor: { harness: … }"');
  const ex = exE.value.map('executor', EXECUTOR_KEYS);
  const hE = ex.find((e) => e.key === 'harness');
  if (!hE) return exE.value.fail(`executor needs a "harness" (one of ${harnesses.join(', ')})`);
  const harness = hE.value.oneOf('executor.harness', harnesses);
  const mE = ex.find((e) => e.key === 'model');
  const model = mE ? mE.value.string('executor.model') : undefined;
  const pE = get('prompt');
  const prompt = pE ? pE.value.string('prompt') : undefined;
  get('description')?.value.string('description');
  const policies: AgentSpec['policies'] = [];
  const polE = get('policies');
  if (polE && polE.value.kind() !== 'null') {
    for (const item of polE.value.list('policies')) {
      const ref = item.string('each item of policies (a policy file or a builtin name)');
      if (/[/\\]|\.ya?ml$/.test(ref)) {
        const f = path.resolve(path.dirname(file), ref);
        if (!fs.existsSync(f)) item.fail(`policy file ${ref} not found (looked for ${f})`);
        policies.push({ ref, file: f });
      } else {
        policies.push({ ref });
      }
    }
  }
  const settingsOpts = { baseDir: path.dirname(file), home: opts.home ?? os.homedir(), inAgentSpec: true };
  const sbE = get('sandbox');
  const secE = get('secrets');
  let sandbox: SandboxLayer | undefined;
  if (sbE || secE) {
    sandbox = sbE ? parseSandboxBlock(sbE.value, settingsOpts) : {};
    if (secE) sandbox.secrets = parseSecretsBlock(secE.value, settingsOpts);
  }
  return { file, name, prompt, executor: { harness, ...(model ? { model } : {}) }, policies, ...(sandbox ? { sandbox } : {}) };
}

export function loadAgentSpec(file: string, harnesses: readonly string[], opts: { home?: string } = {}): AgentSpec {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    throw new YamlError(abs, 1, 1, `cannot read the agent spec: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseAgentSpec(text, abs, harnesses, opts);
}
