import type { YEntry } from '../core/yaml.js';
import { parseSandboxBlock, parseSecretsBlock, type SandboxLayer } from './settings.js';

/** config.yaml's top-level keys the sandbox reads (docs/SANDBOX.md). */
export const SANDBOX_CONFIG_KEYS = ['sandbox', 'secrets'] as const;

/**
 * One of config.yaml's `sandbox:`/`secrets:` entries folded into the config layer (secrets
 * inside it, as `secrets`). Relative paths resolve against config.yaml's folder; `~` is `home`.
 * Throws YamlError (file:line:column) when the entry is wrong.
 */
export function sandboxConfigEntry(layer: SandboxLayer, e: YEntry, opts: { baseDir: string; home: string }): SandboxLayer {
  const settingsOpts = { ...opts, inAgentSpec: false };
  if (e.key === 'secrets') return { ...layer, secrets: parseSecretsBlock(e.value, settingsOpts) };
  return { ...parseSandboxBlock(e.value, settingsOpts), ...(layer.secrets ? { secrets: layer.secrets } : {}) };
}
