import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
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
}

export const DEFAULT_CONFIG: OmniConfig = { approvals: { popup: true } };

const KNOWN: Record<string, string[]> = { '': ['approvals'], approvals: ['popup'] };

export function loadConfig(configDir: string): OmniConfig {
  const file = path.join(configDir, 'config.yaml');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return structuredClone(DEFAULT_CONFIG);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const at = (offset: number | undefined) => {
    const p = lc.linePos(offset ?? 0);
    return `${file}:${p.line}:${p.col}`;
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new OmniError(`${at(e.pos[0])}: ${e.message.split('\n')[0]}`, 'config_invalid');
  }
  const cfg = structuredClone(DEFAULT_CONFIG);
  const root = doc.contents as unknown as { items?: Array<{ key: { value: unknown; range?: number[] }; value: unknown }> } | null;
  if (!root) return cfg;
  const walk = (node: typeof root, prefix: string) => {
    for (const item of node?.items ?? []) {
      const key = String(item.key.value);
      const allowed = KNOWN[prefix] ?? [];
      if (!allowed.includes(key)) {
        throw new OmniError(`${at(item.key.range?.[0])}: unknown setting "${prefix ? `${prefix}.` : ''}${key}"; valid: ${allowed.map((k) => (prefix ? `${prefix}.${k}` : k)).join(', ')}`, 'config_invalid');
      }
      const full = prefix ? `${prefix}.${key}` : key;
      if (KNOWN[full]) walk(item.value as typeof root, full);
      else if (full === 'approvals.popup') {
        const v = (item.value as { value?: unknown })?.value;
        if (typeof v !== 'boolean') throw new OmniError(`${at(item.key.range?.[0])}: approvals.popup must be true or false`, 'config_invalid');
        cfg.approvals.popup = v;
      }
    }
  };
  walk(root, '');
  return cfg;
}
