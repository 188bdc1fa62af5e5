import { readTextFile } from '../core/fsutil.js';
import type { Provider } from '@pydantic/genai-prices';
import { YamlSource, type YVal } from '../core/yaml.js';

/**
 * `<configDir>/prices.yaml`: the user's own prices (contract rates, models the data does not
 * know yet), in USD per million tokens. They win over the price data. Errors name
 * file:line:column (YamlError), like every other omni YAML file.
 *
 * ```yaml
 * models:
 *   claude-sonnet-4-5:        # a model name; "*" matches any run of characters
 *     provider: anthropic     # optional: only for this provider
 *     input: 2.70
 *     output: 13.50
 *     cacheRead: 0.27
 *     cacheWrite: 3.375       # 5-minute writes (and 1-hour ones without cacheWrite1h)
 *     cacheWrite1h: 5.40
 * ```
 */
export interface PriceOverride {
  /** The key as written. */
  model: string;
  /** Set when the key has a `*`. */
  glob?: RegExp;
  provider?: string;
  rates: OverrideRates;
  /** file:line:column of the entry, for `omni prices`. */
  at: string;
  /** The override as genai-prices provider data, so the same engine prices it. */
  asProvider: Provider;
}

/** USD per million tokens; flat (an override has no tiers), so it is also a pricebook `Rates`. */
export interface OverrideRates {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
}

const TOP_KEYS = ['models'] as const;
const MODEL_KEYS = ['provider', 'input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h'] as const;
const PRICE_KEYS: Record<string, string> = {
  input: 'input_mtok',
  output: 'output_mtok',
  cacheRead: 'cache_read_mtok',
  cacheWrite: 'cache_write_mtok',
  cacheWrite1h: 'cache_write_1h_mtok',
};

/** Read the overrides file; undefined when there is none. Throws YamlError when it is wrong. */
export function loadOverrides(file: string): PriceOverride[] | undefined {
  const text = readTextFile(file);
  return text === undefined ? undefined : parseOverrides(text, file);
}

export function parseOverrides(text: string, file: string): PriceOverride[] {
  const src = new YamlSource(file, text);
  const root = src.root();
  if (root.kind() === 'null') return [];
  const top = root.map('prices.yaml', TOP_KEYS);
  const models = top.find((e) => e.key === 'models');
  if (!models || models.value.kind() === 'null') return [];
  const out: PriceOverride[] = [];
  for (const entry of models.value.map('models')) {
    const model = entry.key.trim();
    if (!model) entry.keyVal.fail('a model name must not be empty');
    const where = `models.${model}`;
    const fields = entry.value.map(where, MODEL_KEYS);
    const get = (k: string) => fields.find((f) => f.key === k)?.value;
    const rate = (k: string): number | undefined => {
      const v = get(k);
      if (!v) return undefined;
      const n = v.number(`${where}.${k} (USD per million tokens)`);
      if (!Number.isFinite(n) || n < 0) v.fail(`${where}.${k} must be a price of 0 or more (USD per million tokens), not ${n}`);
      return n;
    };
    const input = rate('input');
    const output = rate('output');
    if (input === undefined || output === undefined) {
      return entry.value.fail(`${where} needs "input" and "output" (USD per million tokens)${input === undefined && output === undefined ? '' : `; "${input === undefined ? 'input' : 'output'}" is missing`}`);
    }
    const rates: PriceOverride['rates'] = { input, output };
    for (const k of ['cacheRead', 'cacheWrite', 'cacheWrite1h'] as const) {
      const v = rate(k);
      if (v !== undefined) rates[k] = v;
    }
    if (rates.cacheWrite1h !== undefined && rates.cacheWrite === undefined) {
      (get('cacheWrite1h') as YVal).fail(`${where}.cacheWrite1h needs cacheWrite too (the 5-minute rate)`);
    }
    const pv = get('provider');
    const provider = pv ? pv.string(`${where}.provider`).trim().toLowerCase() : undefined;
    const prices: Record<string, number> = {};
    for (const [k, v] of Object.entries(rates)) prices[PRICE_KEYS[k]!] = v as number;
    const p = src.pos(entry.keyVal.start);
    out.push({
      model,
      ...(model.includes('*') ? { glob: globToRegExp(model) } : {}),
      ...(provider ? { provider } : {}),
      rates,
      at: `${file}:${p.line}:${p.col}`,
      asProvider: { id: 'omni-override', name: 'omni prices.yaml', api_pattern: '', models: [{ id: model, match: { starts_with: '' }, prices }] },
    });
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .toLowerCase()
    .split('*')
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}
