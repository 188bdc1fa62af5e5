import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { calcPrice, waitForUpdate, type MatchLogic, type ModelPrice, type Provider, type Usage } from '@pydantic/genai-prices';
import { loadOverrides, type PriceOverride } from './overrides.js';

/**
 * The price book (docs/COST.md): what a model's tokens cost, from pydantic's maintained price
 * data (`@pydantic/genai-prices`, pinned; its bundled data is the offline snapshot), a newer
 * snapshot fetched by `omni prices update` into the cache, and the user's overrides in
 * `<configDir>/prices.yaml`, which win. A model none of them knows is *unpriced*, never $0.
 */

export const PRICE_PACKAGE = '@pydantic/genai-prices';
export const CACHE_FILE_NAME = 'genai-prices.json';
export const OVERRIDES_FILE_NAME = 'prices.yaml';

export type PriceSource = 'override' | 'cache' | 'bundled';

/** USD per million tokens; tiered when the price changes past an input size (long context). */
export type Rate = number | { base: number; tiers: Array<{ aboveInputTokens: number; price: number }> };

export interface Rates {
  input?: Rate;
  output?: Rate;
  cacheRead?: Rate;
  /** 5-minute cache writes (and 1-hour ones when there is no `cacheWrite1h`). */
  cacheWrite?: Rate;
  cacheWrite1h?: Rate;
}

/** The token counts of one model message, as in a `usage` event (docs/EVENTS.md). */
export interface CostUsage {
  model: string;
  /** Uncached input tokens (cache reads and writes are counted apart, as Anthropic reports them). */
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  /** All cache writes, 5-minute and 1-hour. */
  cacheWriteTokens: number;
  /** Of `cacheWriteTokens`, those written with the 1-hour TTL. */
  cacheWrite1hTokens?: number;
  provider?: string;
}

export interface CostContext {
  provider?: string;
  /**
   * Who bills a model when neither `provider` nor the usage says: the harness adapter's
   * `provider(model)`, passed in by the caller (src/cost names no harness).
   */
  defaultProvider?: (model: string) => string | undefined;
  /** When the tokens were spent (prices that changed on a date apply by it). Default: now. */
  at?: Date;
}

export interface CostResult {
  usd?: number;
  unpriced?: true;
  source: PriceSource | 'none';
  /** The provider the price is for (inferred when not given). */
  provider?: string;
  /** The model entry that priced it (a data id, or the override's key). */
  matched?: string;
  /** Why it is unpriced. */
  reason?: string;
}

export interface PriceQuote {
  /** The model asked about. */
  model: string;
  provider?: string;
  matched: string;
  name?: string;
  source: PriceSource;
  /** The genai-prices release of the data (bundled or cache). */
  dataVersion?: string;
  /** file:line:column of the override that priced it. */
  overrideAt?: string;
  rates: Rates;
  contextWindow?: number;
  comments?: string;
}

export interface PriceData {
  source: 'bundled' | 'cache';
  version: string;
  fetchedAt?: string;
  file?: string;
  providers: Provider[];
}

/** The shape `omni prices update` writes to `$OMNI_HOME/cache/genai-prices.json`. */
export interface PriceCacheFile {
  format: 1;
  package: string;
  version: string;
  fetchedAt: string;
  tarball: string;
  integrity?: string;
  providers: Provider[];
}

// ---- the bundled snapshot ----

/**
 * genai-prices holds its data in module state; before any update it is the bundled array. omni
 * never updates it: each PriceBook hands calcPrice its own provider (see PriceBook.calc).
 */
const BUNDLED_PROVIDERS = (await waitForUpdate()) ?? [];
const BUNDLED_VERSION = readBundledVersion();

function readBundledVersion(): string {
  try {
    const req = createRequire(import.meta.url);
    const main = req.resolve(PRICE_PACKAGE); // …/dist/index.cjs
    const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(main), '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function bundledPriceVersion(): string {
  return BUNDLED_VERSION;
}

export function bundledPriceData(): PriceData {
  return { source: 'bundled', version: bundledPriceVersion(), providers: BUNDLED_PROVIDERS };
}

// ---- the cache (`omni prices update`) ----

/** Numeric x.y.z comparison (pre-release tags ignored). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).slice(0, 3).map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split(/[.+-]/).slice(0, 3).map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** A structural check of provider data (from the cache or a downloaded release). */
export function validProviders(value: unknown): value is Provider[] {
  if (!Array.isArray(value) || value.length === 0) return false;
  return value.every(
    (p) =>
      p &&
      typeof p === 'object' &&
      typeof (p as Provider).id === 'string' &&
      typeof (p as Provider).api_pattern === 'string' &&
      Array.isArray((p as Provider).models) &&
      (p as Provider).models.every((m) => m && typeof m.id === 'string' && m.match && typeof m.match === 'object' && m.prices && typeof m.prices === 'object'),
  );
}

/**
 * The cached snapshot, if there is a usable one no older than the bundled data. A cache from an
 * older release (omni was upgraded since) is ignored; so is a damaged one (with `warn`).
 */
export function loadCachedPriceData(cacheDir: string, warn: (msg: string) => void = () => {}): PriceData | undefined {
  const file = path.join(cacheDir, CACHE_FILE_NAME);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: Partial<PriceCacheFile>;
  try {
    parsed = JSON.parse(text) as Partial<PriceCacheFile>;
  } catch {
    warn(`${file}: not JSON; using the bundled prices (run omni prices update again)`);
    return undefined;
  }
  if (parsed.format !== 1 || typeof parsed.version !== 'string' || !validProviders(parsed.providers)) {
    warn(`${file}: not a price snapshot omni can read; using the bundled prices (run omni prices update again)`);
    return undefined;
  }
  if (compareVersions(parsed.version, bundledPriceVersion()) < 0) return undefined;
  return { source: 'cache', version: parsed.version, fetchedAt: parsed.fetchedAt, file, providers: parsed.providers };
}

// ---- provider inference ----

/** Provider names harnesses use (Pi's among them) → genai-prices provider ids. */
const PROVIDER_ALIASES: Record<string, string> = {
  'amazon-bedrock': 'aws',
  bedrock: 'aws',
  'google-vertex': 'google',
  'google-gemini-cli': 'google',
  'google-antigravity': 'google',
  'google-generative-ai': 'google',
  vertex: 'google',
  xai: 'x-ai',
  'openai-codex': 'openai',
  'openai-responses': 'openai',
  'azure-openai': 'azure',
  'azure-openai-responses': 'azure',
  moonshot: 'moonshotai',
  'mistral-ai': 'mistral',
};

/** Which provider bills a model: the one named, else the harness's default for it; else unknown (a provider/ prefix may still say). */
export function inferProvider(model: string, explicit?: string, defaultProvider?: (model: string) => string | undefined): string | undefined {
  const p = explicit || defaultProvider?.(model);
  return p ? normalizeProvider(p) : undefined;
}

export function normalizeProvider(p: string): string {
  const k = p.trim().toLowerCase();
  return PROVIDER_ALIASES[k] ?? k;
}

// ---- the book ----

const round = (usd: number) => Math.round(usd * 1e10) / 1e10;

export class PriceBook {
  private readonly providerIds: Set<string>;
  /** provider + model name → the provider cut to the one model that matched (null: none did). */
  private readonly matched = new Map<string, Provider | null>();

  constructor(
    readonly data: PriceData,
    readonly overrides: PriceOverride[] = [],
    /** The overrides file, when there is one. */
    readonly overridesFile?: string,
  ) {
    this.providerIds = new Set(data.providers.map((p) => p.id));
  }

  static bundled(): PriceBook {
    return new PriceBook(bundledPriceData());
  }

  /** Bundled data (or the newer cached snapshot) plus `<configDir>/prices.yaml`; a bad file throws YamlError (file:line:column). */
  static load(opts: { configDir: string; cacheDir: string; warn?: (msg: string) => void }): PriceBook {
    const data = loadCachedPriceData(opts.cacheDir, opts.warn) ?? bundledPriceData();
    const file = path.join(opts.configDir, OVERRIDES_FILE_NAME);
    const overrides = loadOverrides(file);
    return new PriceBook(data, overrides ?? [], overrides ? file : undefined);
  }

  /** Resolve the provider and the model name to look up. */
  private resolve(model: string, ctx: CostContext, usageProvider?: string): { provider?: string; model: string; known: boolean } {
    let provider = inferProvider(model, ctx.provider ?? usageProvider, ctx.defaultProvider);
    let name = model.trim();
    const slash = name.indexOf('/');
    if (slash > 0) {
      const prefix = normalizeProvider(name.slice(0, slash));
      if (this.providerIds.has(prefix) && (!provider || provider === prefix)) {
        provider = prefix;
        name = name.slice(slash + 1);
      }
    }
    return { provider, model: name, known: provider !== undefined && this.providerIds.has(provider) };
  }

  private override(model: string, bare: string, provider: string | undefined): PriceOverride | undefined {
    const fits = (o: PriceOverride) => !o.provider || o.provider === provider;
    const names = [model.toLowerCase(), bare.toLowerCase()];
    return (
      this.overrides.find((o) => !o.glob && fits(o) && names.includes(o.model.toLowerCase())) ??
      this.overrides.find((o) => o.glob && fits(o) && names.some((n) => o.glob!.test(n)))
    );
  }

  /** What a model costs and where the price comes from; undefined when nothing prices it. */
  quote(model: string, ctx: CostContext = {}): PriceQuote | undefined {
    const r = this.resolve(model, ctx);
    const o = this.override(model, r.model, r.provider);
    if (o) return { model, provider: o.provider ?? r.provider, matched: o.model, source: 'override', overrideAt: o.at, rates: o.rates };
    const res = this.calc({ input_tokens: 0, output_tokens: 0 }, r, ctx.at);
    if (!res) return undefined;
    return {
      model,
      provider: res.provider.id,
      matched: res.model.id,
      ...(res.model.name ? { name: res.model.name } : {}),
      source: this.data.source,
      dataVersion: this.data.version,
      rates: ratesOf(res.model_price),
      ...(res.model.context_window ? { contextWindow: res.model.context_window } : {}),
      ...(res.model.price_comments ? { comments: res.model.price_comments } : {}),
    };
  }

  /** The computed cost of one message's tokens. Unknown models are unpriced (never $0). */
  cost(usage: CostUsage, ctx: CostContext = {}): CostResult {
    const r = this.resolve(usage.model, ctx, usage.provider);
    const u = toGenaiUsage(usage);
    if (!u) return { unpriced: true, source: 'none', provider: r.provider, reason: 'token counts are not valid numbers' };
    const o = this.override(usage.model, r.model, r.provider);
    try {
      if (o) {
        const res = calcPrice(u, 'override', { provider: o.asProvider });
        if (res) return { usd: round(res.total_price), source: 'override', provider: o.provider ?? r.provider, matched: o.model };
      }
      const res = this.calc(u, r, ctx.at);
      if (res) return { usd: round(res.total_price), source: this.data.source, provider: res.provider.id, matched: res.model.id };
    } catch (err) {
      return { unpriced: true, source: 'none', provider: r.provider, reason: `the price data could not price it: ${(err as Error).message}` };
    }
    const where = r.provider ? `provider ${r.provider}` : 'any provider';
    return { unpriced: true, source: 'none', provider: r.provider, reason: `no price for ${usage.model} (${where}) in genai-prices ${this.data.version} or the overrides` };
  }

  /**
   * calcPrice with this book's own provider, so the library's process-wide data is never read
   * or swapped. The provider is found as the library would find it: by id when known, else by
   * the model name (a custom Pi provider, say); `litellm/<provider>/<model>` names the provider.
   */
  private calc(u: Usage, r: { provider?: string; model: string; known: boolean }, at?: Date) {
    let model = r.model.toLowerCase().trim();
    let provider = r.known ? this.providerById(r.provider!) : this.data.providers.find((p) => p.model_match && matches(p.model_match, model));
    const slash = model.indexOf('/');
    if (provider?.id === 'litellm' && slash > 0) {
      const inner = this.providerById(model.slice(0, slash));
      if (inner && model.slice(slash + 1)) [provider, model] = [inner, model.slice(slash + 1)];
    }
    if (!provider) return null;
    const opts = at ? { timestamp: at } : {};
    // calcPrice normalizes the whole provider it is given on every call: after the first lookup
    // it gets just the model that matched (the date decides the price, not the match).
    const key = `${provider.id}\n${model}`;
    const known = this.matched.get(key);
    if (known !== undefined) return known && calcPrice(u, model, { ...opts, provider: known });
    const res = calcPrice(u, model, { ...opts, provider: withFallbacks(provider, this.data.providers) });
    this.matched.set(key, res && { ...provider, models: [res.model], fallback_model_providers: undefined });
    return res;
  }

  private providerById(id: string): Provider | undefined {
    const key = id.toLowerCase().trim();
    return this.data.providers.find((p) => p.id === key) ?? this.data.providers.find((p) => p.provider_match && matches(p.provider_match, key));
  }

}

/** omni's counts → genai-prices usage, whose `input_tokens` includes cache reads and writes. */
function toGenaiUsage(u: CostUsage): Usage | undefined {
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  const input = n(u.inputTokens);
  const output = n(u.outputTokens);
  const read = n(u.cacheReadTokens ?? 0);
  const write = n(u.cacheWriteTokens ?? 0);
  const oneHour = n(u.cacheWrite1hTokens ?? 0);
  if (input === undefined || output === undefined || read === undefined || write === undefined || oneHour === undefined) return undefined;
  return {
    input_tokens: input + read + write,
    output_tokens: output,
    cache_read_tokens: read,
    cache_write_tokens: write,
    ...(oneHour > 0 ? { cache_write_1h_tokens: Math.min(oneHour, write) } : {}),
  };
}

function rateOf(v: ModelPrice[string]): Rate | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  return { base: v.base, tiers: v.tiers.map((t) => ({ aboveInputTokens: t.start, price: t.price })) };
}

export function ratesOf(p: ModelPrice): Rates {
  const out: Rates = {};
  const set = (k: keyof Rates, key: string) => {
    const r = rateOf(p[key]);
    if (r !== undefined) out[k] = r;
  };
  set('input', 'input_mtok');
  set('output', 'output_mtok');
  set('cacheRead', 'cache_read_mtok');
  set('cacheWrite', 'cache_write_mtok');
  set('cacheWrite1h', 'cache_write_1h_mtok');
  return out;
}

/** The cost of one usage record with a book (the bundled one by default). Pure given the book. */
export function computeCost(usage: CostUsage, ctx: CostContext = {}, book: PriceBook = PriceBook.bundled()): CostResult {
  return book.cost(usage, ctx);
}

/** The library looks a model up in the provider, then in each fallback provider in order (one level). */
function withFallbacks(p: Provider, all: Provider[]): Provider {
  const fallbacks = (p.fallback_model_providers ?? []).flatMap((id) => all.find((f) => f.id === id)?.models ?? []);
  return { ...p, models: [...p.models, ...fallbacks], fallback_model_providers: undefined };
}

/** genai-prices' match logic (its own is not exported). */
function matches(m: MatchLogic, text: string): boolean {
  const t = text.toLowerCase();
  if ('or' in m) return m.or.some((x) => matches(x, text));
  if ('and' in m) return m.and.every((x) => matches(x, text));
  if ('equals' in m) return t === m.equals.toLowerCase();
  if ('starts_with' in m) return t.startsWith(m.starts_with.toLowerCase());
  if ('ends_with' in m) return t.endsWith(m.ends_with.toLowerCase());
  if ('contains' in m) return t.includes(m.contains.toLowerCase());
  if ('regex' in m) return new RegExp(m.regex).test(text);
  return false;
}

