import path from 'node:path';
import { OmniError } from '../../core/errors.js';
import { CACHE_FILE_NAME, OVERRIDES_FILE_NAME, PRICE_PACKAGE, PriceBook, bundledPriceVersion, type PriceQuote, type Rate } from '../../cost/pricebook.js';
import { builtinHarnesses } from '../../harnesses/index.js';
import { YamlError } from '../../core/yaml.js';
import { paths } from '../context.js';
import { makeChalk, printJson, table, tildify } from '../output.js';

function loadBook(): PriceBook {
  const p = paths();
  try {
    return PriceBook.load({ configDir: p.configDir, cacheDir: p.cacheDir, warn: (m) => process.stderr.write(`omni: ${m}\n`) });
  } catch (err) {
    if (err instanceof YamlError) throw new OmniError(err.message, 'config_invalid');
    throw err;
  }
}

/** `omni prices [MODEL]`: what a model costs and where the price comes from; no daemon needed. */
export async function pricesCommand(model: string | undefined, opts: { json?: boolean; harness?: string; provider?: string }): Promise<number> {
  const book = loadBook();
  const p = paths();
  if (!model) return summary(book, p.configDir, p.cacheDir, Boolean(opts.json));
  // As the harness would price it: its adapter says who bills the model.
  const adapter = opts.harness ? builtinHarnesses().all().find((a) => a.name === opts.harness) : undefined;
  const ctx = { ...(adapter?.provider ? { defaultProvider: (m: string) => adapter.provider?.(m) } : {}), ...(opts.provider ? { provider: opts.provider } : {}) };
  const q = book.quote(model, ctx);
  if (!q) {
    const probe = book.cost({ model, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, ctx);
    const file = path.join(p.configDir, OVERRIDES_FILE_NAME);
    if (opts.json) printJson({ model, unpriced: true, provider: probe.provider, reason: probe.reason, overridesFile: file });
    else process.stderr.write(`omni: ${model} is unpriced: ${probe.reason ?? 'no price'}; usage of it is flagged, never counted as $0. Price it in ${tildify(file)} (docs/COST.md)\n`);
    return 3;
  }
  if (opts.json) {
    printJson(q);
    return 0;
  }
  process.stdout.write(describeQuote(q) + '\n');
  return 0;
}

export function describeQuote(q: PriceQuote): string {
  const c = makeChalk();
  const from =
    q.source === 'override' ? `override at ${tildify(q.overrideAt ?? '')}` : q.source === 'cache' ? `${PRICE_PACKAGE} ${q.dataVersion} (cache, from omni prices update)` : `${PRICE_PACKAGE} ${q.dataVersion} (bundled)`;
  const lines = [
    `${c.bold(q.model)}${q.matched.toLowerCase() !== q.model.toLowerCase() ? ` → ${q.matched}` : ''}${q.name ? ` (${q.name})` : ''}${q.provider ? `, provider ${q.provider}` : ''}`,
    `price from ${from}`,
    '',
  ];
  const rows = [['USD PER 1M TOKENS', 'RATE']];
  const add = (label: string, r: Rate | undefined, fallback?: string) => rows.push([label, r === undefined ? c.dim(fallback ?? '—') : fmtRate(r)]);
  add('input', q.rates.input);
  add('output', q.rates.output);
  add('cache read', q.rates.cacheRead, 'as input');
  add('cache write (5 min)', q.rates.cacheWrite, 'as input');
  add('cache write (1 h)', q.rates.cacheWrite1h, q.rates.cacheWrite !== undefined ? 'as 5 min' : 'as input');
  lines.push(table(rows, c));
  if (q.contextWindow) lines.push('', `context window ${q.contextWindow.toLocaleString('en-US')} tokens`);
  if (q.comments) lines.push(c.dim(q.comments));
  return lines.join('\n');
}

function fmtRate(r: Rate): string {
  // Cents always, sub-cent digits when a rate has them ($0.125, not $0.13).
  const usd = (n: number) => `$${n.toFixed(Math.max(2, Math.min(6, (String(n).split('.')[1] ?? '').length)))}`;
  if (typeof r === 'number') return usd(r);
  return [usd(r.base), ...r.tiers.map((t) => `${usd(t.price)} above ${t.aboveInputTokens.toLocaleString('en-US')} input tokens`)].join('; ');
}

function summary(book: PriceBook, configDir: string, cacheDir: string, json: boolean): number {
  const file = path.join(configDir, OVERRIDES_FILE_NAME);
  const cacheFile = path.join(cacheDir, CACHE_FILE_NAME);
  const d = book.data;
  const out = {
    data: { package: PRICE_PACKAGE, source: d.source, version: d.version, ...(d.fetchedAt ? { fetchedAt: d.fetchedAt } : {}), ...(d.file ? { file: d.file } : {}) },
    bundledVersion: bundledPriceVersion(),
    providers: d.providers.length,
    models: d.providers.reduce((n, p) => n + p.models.length, 0),
    overrides: { file, loaded: Boolean(book.overridesFile), models: book.overrides.map((o) => ({ model: o.model, ...(o.provider ? { provider: o.provider } : {}), rates: o.rates, at: o.at })) },
    cacheFile,
  };
  if (json) {
    printJson(out);
    return 0;
  }
  const c = makeChalk();
  const dataLine =
    d.source === 'cache'
      ? `${PRICE_PACKAGE} ${d.version} from omni prices update (${d.fetchedAt ?? '?'}; bundled ${out.bundledVersion})`
      : `${PRICE_PACKAGE} ${d.version}, bundled (omni prices update fetches a newer release)`;
  const rows = [
    ['price data', dataLine],
    ['coverage', `${out.providers} providers, ${out.models} models`],
    ['overrides', book.overridesFile ? `${tildify(file)}: ${book.overrides.length ? book.overrides.map((o) => o.model).join(', ') : 'none'}` : `none (${tildify(file)})`],
  ];
  process.stdout.write(rows.map(([k, v]) => `${c.bold(k!.padEnd(11))} ${v}`).join('\n') + '\n');
  process.stdout.write(c.dim('omni prices MODEL shows what a model costs and where the price comes from\n'));
  return 0;
}

/** `omni prices update`: the latest release's data into the cache; offline it fails in one line. */
export async function pricesUpdateCommand(opts: { json?: boolean; registry?: string; force?: boolean }): Promise<number> {
  const { updatePriceCache } = await import('../../cost/update.js');
  const r = await updatePriceCache({ cacheDir: paths().cacheDir, force: Boolean(opts.force), ...(opts.registry ? { registry: opts.registry } : {}) });
  if (opts.json) printJson(r);
  else process.stdout.write(`${r.message}\n`);
  return 0;
}
