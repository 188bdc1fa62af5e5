import os from 'node:os';
import path from 'node:path';
import { APPROVALS_CONFIG_KEY, DEFAULT_APPROVALS_CONFIG, parseApprovalsConfig, type ApprovalsConfig } from '../approvals/config.js';
import { configEntries, loadConfigFile } from '../core/config.js';
import { DEFAULT_NOTIFY_CONFIG, NOTIFY_CONFIG_KEY, parseNotifyConfig, type NotifyConfig } from './notify-config.js';
import { SANDBOX_CONFIG_KEYS, sandboxConfigEntry } from '../sandbox/config.js';
import type { SandboxLayer } from '../sandbox/settings.js';
import { DEFAULT_TMUX_SETTINGS, parseTmuxSettings, TMUX_CONFIG_KEY, type TmuxSettings } from '../tmux/config.js';

/**
 * `<configDir>/config.yaml`: omni's settings (docs/CONFIG.md), assembled from the sections each
 * feature parses. Global policies live beside it in `policies.yaml`. Unknown keys are errors,
 * with file, line and column.
 */
export interface OmniConfig {
  approvals: ApprovalsConfig;
  /**
   * The config layer of the sandbox settings (docs/SANDBOX.md): `sandbox:` and `secrets:` as
   * written (secrets inside, as `secrets`), to merge with `mergeSandbox` under the agent spec's
   * and the CLI's layers. Paths are absolute (`~` and relative paths resolved).
   */
  sandbox: SandboxLayer;
  /** omni's tmux server (src/tmux/config.ts). */
  tmux: TmuxSettings;
  /** Which notifications go where (`notify:`; src/daemon/notifier.ts). */
  notify: NotifyConfig;
}

export const DEFAULT_CONFIG: OmniConfig = { approvals: DEFAULT_APPROVALS_CONFIG, sandbox: {}, tmux: DEFAULT_TMUX_SETTINGS, notify: DEFAULT_NOTIFY_CONFIG };

const TOP_KEYS = [APPROVALS_CONFIG_KEY, NOTIFY_CONFIG_KEY, ...SANDBOX_CONFIG_KEYS, TMUX_CONFIG_KEY];

/**
 * Missing file: the defaults. Anything wrong: OmniError `config_invalid` with
 * `file:line:column: message`. `home` (what `~` expands to) defaults to the user's.
 */
export function loadConfig(configDir: string, opts: { home?: string } = {}): OmniConfig {
  const home = opts.home ?? os.homedir();
  return loadConfigFile(configDir, (text, file) => parseConfig(text, file, { home }), () => structuredClone(DEFAULT_CONFIG));
}

/** Parse config.yaml's text; throws YamlError (file:line:column) on anything invalid. */
export function parseConfig(text: string, file: string, opts: { home: string }): OmniConfig {
  const cfg = structuredClone(DEFAULT_CONFIG);
  const sectionOpts = { baseDir: path.dirname(file), home: opts.home };
  // In file order, so the first wrong line is the one reported.
  for (const e of configEntries(text, file, TOP_KEYS)) {
    if (e.key === APPROVALS_CONFIG_KEY) cfg.approvals = parseApprovalsConfig(e.value);
    else if (e.key === TMUX_CONFIG_KEY) cfg.tmux = parseTmuxSettings(e.value);
    else if (e.key === NOTIFY_CONFIG_KEY) cfg.notify = parseNotifyConfig(e.value);
    else cfg.sandbox = sandboxConfigEntry(cfg.sandbox, e, sectionOpts);
  }
  return cfg;
}
