import type { YVal } from '../core/yaml.js';

/** config.yaml's `approvals:` section (docs/CONFIG.md). */
export interface ApprovalsConfig {
  /** Pop the ask up over the agent's pane when a person is attached to it. */
  popup: boolean;
}

export const APPROVALS_CONFIG_KEY = 'approvals';
export const DEFAULT_APPROVALS_CONFIG: ApprovalsConfig = { popup: true };

const APPROVALS_KEYS = ['popup'] as const;

/** The section's value (null: the defaults); throws YamlError (file:line:column) when it is wrong. */
export function parseApprovalsConfig(value: YVal): ApprovalsConfig {
  const cfg = { ...DEFAULT_APPROVALS_CONFIG };
  if (value.kind() === 'null') return cfg;
  for (const a of value.map('approvals', APPROVALS_KEYS)) {
    if (a.key === 'popup') cfg.popup = a.value.boolean('approvals.popup');
  }
  return cfg;
}
