import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_FILE_NAME, PriceBook, bundledPriceData } from '../../src/cost/pricebook.js';
import { providersFromBundle, providersFromTarball, untar, updatePriceCache } from '../../src/cost/update.js';
import { ROOT } from '../helpers/omni.js';

const PKG = path.join(ROOT, 'node_modules', '@pydantic', 'genai-prices');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-pupd-'));

/** A release tarball built from the installed package: a new version, one extra model. */
function makeRelease(version: string): Buffer {
  const root = path.join(dir, `rel-${version}`);
  fs.cpSync(PKG, path.join(root, 'package'), { recursive: true });
  const pj = path.join(root, 'package', 'package.json');
  fs.writeFileSync(pj, fs.readFileSync(pj, 'utf8').replace(/"version": "[^"]+"/, `"version": "${version}"`));
  const js = path.join(root, 'package', 'dist', 'index.js');
  const src = fs.readFileSync(js, 'utf8');
  const at = src.indexOf('models: [') + 'models: ['.length; // the first provider (anthropic)
  fs.writeFileSync(js, `${src.slice(0, at)}\n      { id: "claude-next", match: { equals: "claude-next" }, prices: { input_mtok: 9, output_mtok: 45 } },${src.slice(at)}`);
  const tgz = path.join(dir, `rel-${version}.tgz`);
  execFileSync('tar', ['czf', tgz, '-C', root, 'package']);
  return fs.readFileSync(tgz);
}

let server: http.Server;
let registry: string;
const served: { version: string; tgz: Buffer; integrity: string } = { version: '', tgz: Buffer.alloc(0), integrity: '' };
const hits: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    if (/^\/@pydantic%2[fF]genai-prices\/latest$/.test(req.url ?? '')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: '@pydantic/genai-prices', version: served.version, dist: { tarball: `${registry}/t/${served.version}.tgz`, integrity: served.integrity } }));
    } else if (req.url === `/t/${served.version}.tgz`) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(served.tgz);
    } else {
      res.writeHead(404);
      res.end('{}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

function serve(version: string, tamper = false): void {
  const tgz = makeRelease(version);
  served.version = version;
  served.tgz = tgz;
  served.integrity = `sha512-${crypto.createHash('sha512').update(tamper ? Buffer.from('other') : tgz).digest('base64')}`;
}

describe('reading a release', () => {
  it('reads the bundled data out of the ES module without running it', () => {
    const js = fs.readFileSync(path.join(PKG, 'dist', 'index.js'), 'utf8');
    expect(JSON.parse(JSON.stringify(providersFromBundle(js)))).toEqual(JSON.parse(JSON.stringify(bundledPriceData().providers)));
    expect(() => providersFromBundle('export const x = [1, 2];')).toThrow(/no provider data found/);
  });

  it('untars a release', () => {
    const tgz = makeRelease('0.0.0-t');
    const files = untar(zlib.gunzipSync(tgz));
    expect(files.has('package/package.json')).toBe(true);
    expect(providersFromTarball(tgz).find((p) => p.id === 'anthropic')?.models[0]?.id).toBe('claude-next');
  });
});

describe('omni prices update (from an npm registry)', () => {
  it('caches a newer release, which the price book then uses', async () => {
    const cacheDir = path.join(dir, 'c1');
    serve('0.2.0');
    const r = await updatePriceCache({ cacheDir, registry });
    expect(r).toMatchObject({ updated: true, version: '0.2.0', bundledVersion: '0.1.8' });
    expect(r.message).toMatch(/^prices updated to @pydantic\/genai-prices 0\.2\.0 \(\d+ providers, \d+ models; bundled: 0\.1\.8\)$/);
    const cached = JSON.parse(fs.readFileSync(path.join(cacheDir, CACHE_FILE_NAME), 'utf8')) as { version: string; integrity: string };
    expect(cached).toMatchObject({ version: '0.2.0', integrity: served.integrity });
    const book = PriceBook.load({ configDir: path.join(dir, 'nocfg'), cacheDir });
    expect(book.data).toMatchObject({ source: 'cache', version: '0.2.0' });
    expect(book.cost({ model: 'claude-next', inputTokens: 100_000, outputTokens: 10_000, cacheReadTokens: 0, cacheWriteTokens: 0 }, { harness: 'claude' })).toMatchObject({
      usd: 0.9 + 0.45,
      source: 'cache',
    });
    // Asked again: nothing newer, nothing downloaded.
    hits.length = 0;
    const again = await updatePriceCache({ cacheDir, registry });
    expect(again.updated).toBe(false);
    expect(again.message).toMatch(/prices are current: @pydantic\/genai-prices 0\.2\.0 is the latest release; the cached @pydantic\/genai-prices 0\.2\.0 is in use/);
    expect(hits.some((h) => h.endsWith('.tgz'))).toBe(false);
  });

  it('refuses a tarball that does not match its integrity, and changes nothing', async () => {
    const cacheDir = path.join(dir, 'c2');
    serve('0.3.0', true);
    await expect(updatePriceCache({ cacheDir, registry })).rejects.toThrow(/cannot update prices: the tarball .* does not match its sha512 integrity; keeping the bundled @pydantic\/genai-prices 0\.1\.8 prices/);
    expect(fs.existsSync(path.join(cacheDir, CACHE_FILE_NAME))).toBe(false);
  });

  it('offline: one clear line, and the bundled prices keep working', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const cacheDir = path.join(dir, 'c3');
    const err = await updatePriceCache({ cacheDir, registry: `http://127.0.0.1:${port}` }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      `cannot update prices: the npm registry (http://127.0.0.1:${port}) is unreachable (ECONNREFUSED; offline?); keeping the bundled @pydantic/genai-prices 0.1.8 prices`,
    );
    expect((err as Error).message).not.toContain('\n');
    expect(fs.existsSync(path.join(cacheDir, CACHE_FILE_NAME))).toBe(false);
    expect(PriceBook.load({ configDir: path.join(dir, 'nocfg'), cacheDir }).cost({ model: 'claude-sonnet-4-5', inputTokens: 100_000, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, { harness: 'claude' })).toMatchObject({ usd: 0.3, source: 'bundled' });
  });
});
