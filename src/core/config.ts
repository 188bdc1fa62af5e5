import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { YamlError, YamlSource } from './yaml.js';
import { parseSandboxBlock, parseSecretsBlock, type SandboxLayer } from '../sandbox/settings.js';
import { OmniError } from './errors.js';

/**
 * `<configDir>/config.yaml`: omni's settings (docs/CONFIG.md). Global policies live beside it
 * in `policies.yaml`. Unknown keys are errors, with file, line and column.
 */
export interface OmniConfig {
  approvals: {
    /** Pop the ask up over the agent's pane when a person is attached to it. */
    popup: boolean;
  };
  /**
   * The config layer of the sandbox settings (docs/SANDBOX.md): `sandbox:` and `secrets:` as
   * written (secrets inside, as `secrets`), to merge with `mergeSandbox` under the agent spec's
   * and the CLI's layers. Paths are absolute (`~` and relative paths resolved).
   */
  sandbox: SandboxLayer;
}

export const DEFAULT_CONFIG: OmniConfig = { approvals: { popup: true }, sandbox: {} };

const TOP_KEYS = ['approvals', 'sandbox', 'secrets'] as const;
const APPROVALS_KEYS = ['popup'] as const;

/**
 * Missing file: the defaults. Anything wrong: OmniError `config_invalid` with
 * `file:line:column: message`. `home` (what `~` expands to) defaults to the user's.
 */
export function loadConfig(configDir: string, opts: { home?: string } = {}): OmniConfig {
  const file = path.join(configDir, 'config.yaml');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return structuredClone(DEFAULT_CONFIG);
  }
  try {
    return parseConfig(text, file, { home: opts.home ?? os.homedir() });
  } catch (err) {
    if (err instanceof YamlError) throw new OmniError(err.message, 'config_invalid');
    throw err;
  }
}

/** Parse config.yaml's text; throws YamlError (file:line:column) on anything invalid. */
export function parseConfig(text: string, file: string, opts: { home: string }): OmniConfig {
  const cfg = structuredClone(DEFAULT_CONFIG);
  const root = new YamlSource(file, text).root();
  if (root.kind() === 'null') return cfg;
  const settingsOpts = { baseDir: path.dirname(file), home: opts.home, inAgentSpec: false };
  for (const e of root.map('config.yaml', TOP_KEYS)) {
    switch (e.key) {
      case 'approvals':
        if (e.value.kind() === 'null') break;
        for (const a of e.value.map('approvals', APPROVALS_KEYS)) {
          if (a.key === 'popup') cfg.approvals.popup = a.value.boolean('approvals.popup');
        }
        break;
      case 'sandbox':
        cfg.sandbox = { ...parseSandboxBlock(e.value, settingsOpts), ...(cfg.sandbox.secrets ? { secrets: cfg.sandbox.secrets } : {}) };
        break;
      case 'secrets':
        cfg.sandbox = { ...cfg.sandbox, secrets: parseSecretsBlock(e.value, settingsOpts) };
        break;
    }
  }
  return cfg;
}
