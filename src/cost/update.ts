import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Provider } from '@pydantic/genai-prices';
import { OmniError } from '../core/errors.js';
import { ensurePrivateDir, writeFileAtomic } from '../core/fsutil.js';
import { CACHE_FILE_NAME, PRICE_PACKAGE, PriceBook, bundledPriceVersion, compareVersions, validProviders, type PriceCacheFile } from './pricebook.js';

/**
 * `omni prices update`: fetch the latest release of the price package from the npm registry
 * (its version, tarball and integrity from the registry's metadata), check the tarball's
 * integrity, read the provider data out of it without running any of its code, and write it to
 * `$OMNI_HOME/cache/genai-prices.json`. Nothing is changed unless every step succeeds, so
 * offline (or on any failure) the bundled snapshot, or the previous cache, stays in use.
 */
export interface UpdateOptions {
  cacheDir: string;
  /** Default: $OMNI_PRICES_REGISTRY, $npm_config_registry, https://registry.npmjs.org. */
  registry?: string;
  timeoutMs?: number;
  now?: () => Date;
  /** Fetch and cache even when the release is not newer than the data in use. */
  force?: boolean;
}

export interface UpdateResult {
  updated: boolean;
  version: string;
  bundledVersion: string;
  previousVersion?: string;
  providers: number;
  models: number;
  file?: string;
  message: string;
}

export function defaultRegistry(env: NodeJS.ProcessEnv = process.env): string {
  return (env.OMNI_PRICES_REGISTRY || env.npm_config_registry || env.NPM_CONFIG_REGISTRY || 'https://registry.npmjs.org').replace(/\/+$/, '');
}

export async function updatePriceCache(opts: UpdateOptions): Promise<UpdateResult> {
  const registry = (opts.registry ?? defaultRegistry()).replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const bundled = bundledPriceVersion();
  const file = path.join(opts.cacheDir, CACHE_FILE_NAME);
  const previous = readCachedVersion(file);
  const inUse = previous && compareVersions(previous, bundled) >= 0 ? `the cached ${PRICE_PACKAGE} ${previous}` : `the bundled ${PRICE_PACKAGE} ${bundled}`;

  const metaUrl = `${registry}/${PRICE_PACKAGE.replace('/', '%2F')}/latest`;
  const meta = await fetchOrFail(metaUrl, registry, timeoutMs, inUse);
  let info: { version?: string; dist?: { tarball?: string; integrity?: string; shasum?: string } };
  try {
    info = JSON.parse(meta.toString('utf8')) as typeof info;
  } catch {
    throw fail(`the npm registry (${registry}) answered ${metaUrl} with something that is not JSON`, inUse);
  }
  const version = info.version;
  const tarball = info.dist?.tarball;
  if (!version || !tarball) throw fail(`the npm registry (${registry}) has no version or tarball for ${PRICE_PACKAGE}`, inUse);

  const newest = [bundled, previous].filter((v): v is string => !!v).sort(compareVersions).pop()!;
  if (!opts.force && compareVersions(version, newest) <= 0) {
    return { updated: false, version, bundledVersion: bundled, previousVersion: previous, providers: 0, models: 0, message: `prices are current: ${PRICE_PACKAGE} ${version} is the latest release; ${inUse} is in use` };
  }

  const tgz = await fetchOrFail(tarball, registry, timeoutMs, inUse);
  checkIntegrity(tgz, info.dist ?? {}, tarball, inUse);
  let providers: Provider[];
  try {
    providers = providersFromTarball(tgz);
  } catch (err) {
    throw fail(`${PRICE_PACKAGE} ${version}: ${(err as Error).message}`, inUse);
  }
  // The new data must price a well-known model through the pinned engine before it replaces anything.
  try {
    const book = new PriceBook({ source: 'cache', version, providers });
    const probe = book.cost({ model: 'claude-sonnet-4-5', inputTokens: 1000, outputTokens: 1000, cacheReadTokens: 0, cacheWriteTokens: 0 }, { provider: 'anthropic' });
    if (!probe.usd || probe.usd <= 0) throw new Error(probe.reason ?? 'it prices claude-sonnet-4-5 at $0');
  } catch (err) {
    throw fail(`${PRICE_PACKAGE} ${version}: its data does not work with the pinned engine (${(err as Error).message})`, inUse);
  }
  const out: PriceCacheFile = {
    format: 1,
    package: PRICE_PACKAGE,
    version,
    fetchedAt: (opts.now?.() ?? new Date()).toISOString(),
    tarball,
    ...(info.dist?.integrity ? { integrity: info.dist.integrity } : {}),
    providers,
  };
  ensurePrivateDir(opts.cacheDir);
  writeFileAtomic(file, JSON.stringify(out) + '\n', 0o644);
  const models = providers.reduce((n, p) => n + p.models.length, 0);
  return {
    updated: true,
    version,
    bundledVersion: bundled,
    previousVersion: previous,
    providers: providers.length,
    models,
    file,
    message: `prices updated to ${PRICE_PACKAGE} ${version} (${providers.length} providers, ${models} models; bundled: ${bundled})`,
  };
}

function readCachedVersion(file: string): string | undefined {
  try {
    const v = (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `inUse` names the prices that stay in force (the bundled release or the cached one). */
function fail(why: string, inUse: string): OmniError {
  return new OmniError(`cannot update prices: ${why}; keeping ${inUse} prices`, 'prices_update_failed');
}

async function fetchOrFail(url: string, registry: string, timeoutMs: number, inUse: string): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json, application/octet-stream' } });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${Math.round(timeoutMs / 1000)}s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw fail(`the npm registry (${registry}) is unreachable (${why}; offline?)`, inUse);
  }
  if (!res.ok) throw fail(`the npm registry (${registry}) answered ${res.status} for ${url}`, inUse);
  return Buffer.from(await res.arrayBuffer());
}

function checkIntegrity(data: Buffer, dist: { integrity?: string; shasum?: string }, url: string, inUse: string): void {
  const sri = dist.integrity?.split(/\s+/).find((s) => /^sha(256|384|512)-/.test(s));
  if (sri) {
    const [algo, want] = [sri.slice(0, sri.indexOf('-')), sri.slice(sri.indexOf('-') + 1)];
    const got = crypto.createHash(algo).update(data).digest('base64');
    if (got !== want) throw fail(`the tarball ${url} does not match its ${algo} integrity`, inUse);
    return;
  }
  if (dist.shasum) {
    if (crypto.createHash('sha1').update(data).digest('hex') !== dist.shasum) throw fail(`the tarball ${url} does not match its shasum`, inUse);
    return;
  }
  throw fail(`the registry gave no integrity for ${url}`, inUse);
}

// ---- reading the tarball ----

/** The provider data inside a genai-prices release tarball (.tgz). */
export function providersFromTarball(tgz: Buffer): Provider[] {
  const files = untar(zlib.gunzipSync(tgz));
  // A release that ships the data as JSON is read as JSON.
  for (const [name, body] of files) {
    if (!name.endsWith('.json') || name.endsWith('package.json')) continue;
    try {
      const v = JSON.parse(body.toString('utf8')) as unknown;
      if (validProviders(v)) return v;
    } catch {
      /* not the data */
    }
  }
  const js = files.get('package/dist/index.js');
  if (!js) throw new Error('no dist/index.js in the tarball');
  return providersFromBundle(js.toString('utf8'));
}

/**
 * The data array in the package's ES module bundle: the first array literal bound by a
 * declaration (`const E = [ {id: "anthropic", …}, … ]`), read as a literal, never evaluated.
 */
export function providersFromBundle(js: string): Provider[] {
  const re = /(?:const|let|var)\s+[A-Za-z_$][\w$]*\s*=\s*\[/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(js))) {
    const start = m.index + m[0].length - 1;
    let value: unknown;
    try {
      value = new LiteralReader(js, start).read();
    } catch {
      continue;
    }
    if (validProviders(value)) return value;
  }
  throw new Error('no provider data found in dist/index.js (the package layout changed; omni needs an update)');
}

/** A reader for the JSON-like literals a bundler emits: objects, arrays, strings, numbers, !0/!1. */
class LiteralReader {
  constructor(
    private readonly s: string,
    private i: number,
  ) {}

  read(): unknown {
    const v = this.value();
    return v;
  }

  private ws(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\n' || c === '\r' || c === '\t') this.i++;
      else if (c === '/' && this.s[this.i + 1] === '*') {
        const end = this.s.indexOf('*/', this.i + 2);
        if (end < 0) throw new Error('unterminated comment');
        this.i = end + 2;
      } else if (c === '/' && this.s[this.i + 1] === '/') {
        const end = this.s.indexOf('\n', this.i);
        this.i = end < 0 ? this.s.length : end + 1;
      } else return;
    }
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '[') return this.array();
    if (c === '{') return this.object();
    if (c === '"' || c === "'" || c === '`') return this.string();
    if (c === '!') {
      const d = this.s[this.i + 1];
      if (d === '0' || d === '1') {
        this.i += 2;
        return d === '0';
      }
    }
    for (const [word, v] of [['true', true], ['false', false], ['null', null], ['void 0', undefined]] as const) {
      if (this.s.startsWith(word, this.i) && !/[\w$]/.test(this.s[this.i + word.length] ?? '')) {
        this.i += word.length;
        return v;
      }
    }
    const num = /^-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/i.exec(this.s.slice(this.i, this.i + 40));
    if (num) {
      this.i += num[0].length;
      return Number(num[0]);
    }
    throw new Error(`unexpected ${JSON.stringify(c)} at ${this.i}`);
  }

  private array(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === ']') {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== ']') throw new Error(`expected , or ] at ${this.i}`);
    }
  }

  private object(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      let key: string;
      const c = this.s[this.i];
      if (c === '"' || c === "'" || c === '`') key = this.string();
      else {
        const id = /^[A-Za-z_$][\w$]*|^\d+/.exec(this.s.slice(this.i, this.i + 200));
        if (!id) throw new Error(`expected a key at ${this.i}`);
        key = id[0];
        this.i += key.length;
      }
      this.ws();
      if (this.s[this.i] !== ':') throw new Error(`expected : at ${this.i}`);
      this.i++;
      const v = this.value();
      if (key !== '__proto__') out[key] = v;
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') throw new Error(`expected , or } at ${this.i}`);
    }
  }

  private string(): string {
    const q = this.s[this.i]!;
    this.i++;
    let out = '';
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) throw new Error('unterminated string');
      this.i++;
      if (c === q) return out;
      if (q === '`' && c === '$' && this.s[this.i] === '{') throw new Error('template expression in data');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case '0':
          out += '\0';
          break;
        case 'u': {
          if (this.s[this.i] === '{') {
            const end = this.s.indexOf('}', this.i);
            out += String.fromCodePoint(Number.parseInt(this.s.slice(this.i + 1, end), 16));
            this.i = end + 1;
          } else {
            out += String.fromCharCode(Number.parseInt(this.s.slice(this.i, this.i + 4), 16));
            this.i += 4;
          }
          break;
        }
        case 'x':
          out += String.fromCharCode(Number.parseInt(this.s.slice(this.i, this.i + 2), 16));
          this.i += 2;
          break;
        case '\n':
          break; // a line continuation
        case '\r':
          if (this.s[this.i] === '\n') this.i++;
          break;
        default:
          out += e ?? '';
      }
    }
  }
}

/** The regular files of a tar archive (ustar, with pax / GNU long names), by path. */
export function untar(buf: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, b: number) => {
      const s = h.subarray(a, b);
      const z = s.indexOf(0);
      return s.subarray(0, z < 0 ? s.length : z).toString('utf8');
    };
    const size = Number.parseInt(str(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(h[156] ?? 48);
    const prefix = str(257, 263) === 'ustar' ? str(345, 500) : ''; // POSIX only: old GNU keeps times there
    let name = prefix ? `${prefix}/${str(0, 100)}` : str(0, 100);
    const body = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (m) longName = m[1];
      continue;
    }
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (type === 'g') continue;
    if (longName) {
      name = longName;
      longName = undefined;
    }
    if (type === '0' || type === '\0') files.set(name, Buffer.from(body));
  }
  return files;
}
