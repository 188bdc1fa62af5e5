import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { YVal } from '../core/yaml.js';
import { DEFAULT_SANDBOX, type NetworkSettings, type SandboxSettings, type SecretBinding, type SecretInjection, type SecretSource } from './types.js';

/**
 * Parsing the `sandbox:` and `secrets:` blocks of config.yaml and of an agent YAML
 * (docs/SANDBOX.md), and merging the layers (config.yaml, agent spec, `--sandbox`) into one
 * SandboxSettings. Every error names file:line:column and what is valid (YamlError via
 * YVal.fail; config.ts converts it to its own error).
 */

/**
 * One layer: only what was written, so layers merge (a `network.unknown` left out does not
 * override an earlier layer's). `Partial<SandboxSettings>` is assignable to it.
 */
export type SandboxLayer = Omit<Partial<SandboxSettings>, 'network'> & { network?: Partial<NetworkSettings> };

export interface SettingsParseOptions {
  /** Relative paths resolve against this folder (the folder of the file being parsed). */
  baseDir: string;
  /** What `~` expands to. */
  home: string;
  /** In an agent spec a `sandbox:` mapping means enabled unless it says `enabled: false`. */
  inAgentSpec: boolean;
}

const SANDBOX_KEYS = ['enabled', 'network', 'write', 'read', 'env'] as const;
const NETWORK_KEYS = ['allow', 'deny', 'unknown', 'resolve', 'upstream_ca'] as const;
const SECRET_KEYS = ['preset', 'from', 'env', 'inject', 'push'] as const;
const FROM_KEYS = ['env', 'file', 'command'] as const;
const INJECT_KEYS = ['host', 'header', 'value', 'paths'] as const;
const UNKNOWN_VALUES = ['ask', 'deny'] as const;

/** Presets fill `env` and `inject`; keys written beside `preset:` replace the preset's. */
export const SECRET_PRESETS: Record<string, { env: string[]; inject: SecretInjection[] }> = {
  github: {
    env: ['GH_TOKEN', 'GITHUB_TOKEN'],
    inject: [
      { host: 'api.github.com', header: 'authorization', value: 'Bearer ${secret}' },
      { host: 'github.com', header: 'authorization', value: 'basic:x-access-token' },
    ],
  },
};

const DEFAULT_HEADER = 'authorization';
const DEFAULT_VALUE = 'Bearer ${secret}';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_PREFIX = /^[A-Za-z_][A-Za-z0-9_]*\*$/;
const SECRET_NAME = /^[A-Za-z0-9_-]+$/;
const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?';
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);
const METHOD = /^(?:\*|[A-Za-z]+(?:\|[A-Za-z]+)*)$/;

// ---------------------------------------------------------------------------------------------
// Shapes (exported: the CLI and the matcher may reuse them)
// ---------------------------------------------------------------------------------------------

/**
 * Why `host` is not a host name (or, with `wildcard`, `*.host`); undefined when it is. No
 * scheme, no port, no path.
 */
export function validateHost(host: string, opts: { wildcard?: boolean } = {}): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) return `"${host}" has a scheme; write just the host (e.g. ${host.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0]})`;
  if (host.includes('/')) return `"${host}" has a path; write just the host`;
  let h = host;
  if (h.startsWith('*.')) {
    if (!opts.wildcard) return `"${host}": a wildcard is not allowed here; write an exact host`;
    h = h.slice(2);
  }
  if (h.includes('*')) return `"${host}": "*" is only allowed as a leading "*." (e.g. *.example.com)`;
  if (net.isIP(h.replace(/^\[(.*)\]$/, '$1'))) return undefined;
  if (h.includes(':')) return `"${host}" has a port; write just the host`;
  if (!HOST_NAME.test(h)) return `"${host}" is not a host name (letters, digits, "-", "_" and dots, e.g. api.example.com)`;
  return undefined;
}

/**
 * Why a network rule is malformed; undefined when it is well formed. A rule is an optional
 * method (`GET`, `*`, `GET|HEAD`) and a space, then `host`, `*.host` or `host:port` (`[v6]:port`),
 * then an optional path glob starting with `/`. Only the syntax is checked here.
 */
export function validateNetworkRule(rule: string): string | undefined {
  const parts = rule.trim().split(/\s+/);
  if (parts.length === 0 || parts[0] === '') return 'a network rule must not be empty';
  if (parts.length > 2) return `"${rule}" is not a rule: write [METHOD ]host[:port][/path], e.g. "GET api.example.com/v1/**"`;
  let target = parts[parts.length - 1]!;
  if (parts.length === 2) {
    const method = parts[0]!;
    if (!METHOD.test(method) && /[./:]/.test(method)) return `"${rule}": write [METHOD ]host[:port][/path], with no spaces in the host or path`;
    if (!METHOD.test(method)) return `"${method}" in "${rule}" is not a method: write letters (GET), "*", or several joined by "|" (GET|HEAD)`;
  }
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(target);
  if (scheme) return `"${rule}" has a scheme (${scheme[0]}); write [METHOD ]host[:port][/path] without it`;
  let pathPart = '';
  const slash = target.indexOf('/');
  if (slash >= 0) {
    pathPart = target.slice(slash);
    target = target.slice(0, slash);
  }
  if (pathPart && /[#\s]/.test(pathPart)) return `the path in "${rule}" must not contain "#" or spaces`;
  let host = target;
  let port: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(target);
  if (v6) {
    if (net.isIPv6(v6[1]!) === false) return `"${target}" in "${rule}" is not an IPv6 address`;
    host = v6[1]!;
    port = v6[2];
  } else {
    const colon = target.lastIndexOf(':');
    if (colon >= 0) {
      host = target.slice(0, colon);
      port = target.slice(colon + 1);
    }
  }
  if (host === '') return `"${rule}" has no host: write [METHOD ]host[:port][/path]`;
  if (port !== undefined && !validPort(port)) return `the port in "${rule}" must be a number from 1 to 65535`;
  if (!v6) {
    const err = validateHost(host, { wildcard: true });
    if (err) return `${err} (in the rule "${rule}")`;
  }
  return undefined;
}

function validPort(p: string): boolean {
  if (!/^\d{1,5}$/.test(p)) return false;
  const n = Number(p);
  return n >= 1 && n <= 65535;
}

/** Why `addr` is not `ip`, `ip:port` or `[ipv6]:port`; undefined when it is. */
export function validateResolveAddress(addr: string): string | undefined {
  if (net.isIP(addr)) return undefined;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(addr);
  if (v6) {
    if (!net.isIPv6(v6[1]!)) return `"${v6[1]}" is not an IPv6 address`;
    if (!validPort(v6[2]!)) return `the port in "${addr}" must be a number from 1 to 65535`;
    return undefined;
  }
  const colon = addr.lastIndexOf(':');
  if (colon > 0 && net.isIPv4(addr.slice(0, colon))) {
    if (!validPort(addr.slice(colon + 1))) return `the port in "${addr}" must be a number from 1 to 65535`;
    return undefined;
  }
  return `"${addr}" is not an IP address: write an IPv4 or IPv6 literal, optionally with a port (127.0.0.1:8443, [::1]:8443)`;
}

/** `~` and `~/x` against `home`; a relative path against `baseDir`; normalized. */
export function resolveUserPath(p: string, baseDir: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return path.resolve(baseDir, p);
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** Nothing, one string, or a list of strings (an empty list is fine). */
function stringList(v: YVal, what: string): Array<{ value: string; at: YVal }> {
  const k = v.kind();
  if (k === 'null') return [];
  if (k === 'string') return [{ value: v.string(what), at: v }];
  if (k !== 'list') v.fail(`${what} must be a string or a list of strings, not ${k === 'map' ? 'a mapping' : `a ${k}`}`);
  return v.list(what).map((item) => ({ value: item.string(`each item of ${what}`), at: item }));
}

function pathValue(at: YVal, p: string, what: string, opts: SettingsParseOptions): string {
  if (p.startsWith('~') && p !== '~' && !p.startsWith('~/')) at.fail(`${what} "${p}": only "~" and "~/…" are expanded (to ${opts.home}); write an absolute path`);
  if (p.includes('\0')) at.fail(`${what} must not contain a NUL character`);
  return resolveUserPath(p, opts.baseDir, opts.home);
}

/** A bare `~` is YAML for nothing; in a path list it means the home folder, as in a shell. */
function isBareTilde(v: YVal): boolean {
  const r = (v.node as { range?: [number, number, number] } | null)?.range;
  return v.kind() === 'null' && r !== undefined && v.src.text.slice(r[0], r[1]) === '~';
}

function pathList(v: YVal, what: string, opts: SettingsParseOptions): string[] {
  if (isBareTilde(v)) return [opts.home];
  if (v.kind() === 'list') {
    return dedupe(v.list(what).map((item) => (isBareTilde(item) ? opts.home : pathValue(item, item.string(`each item of ${what}`), what, opts))));
  }
  return dedupe(stringList(v, what).map(({ value, at }) => pathValue(at, value, what, opts)));
}

function envName(at: YVal, name: string, what: string, allowPrefix: boolean): string {
  if (ENV_NAME.test(name)) return name;
  if (allowPrefix && ENV_PREFIX.test(name)) return name;
  return at.fail(
    allowPrefix
      ? `${what} "${name}" must be a variable name (letters, digits and "_", not starting with a digit) or a prefix ending in "*" (MYTOOL_*)`
      : `${what} "${name}" must be a variable name (letters, digits and "_", not starting with a digit)`,
  );
}

/**
 * The `sandbox:` block: `true`/`false`, or a mapping. Returns only what was written. In an agent
 * spec a mapping enables the sandbox unless it says `enabled: false`.
 */
export function parseSandboxBlock(v: YVal, opts: SettingsParseOptions): SandboxLayer {
  const k = v.kind();
  if (k === 'null') return {};
  if (k === 'boolean') return { enabled: v.boolean('sandbox') };
  if (k !== 'map') v.fail(`sandbox must be true, false or a mapping (keys: ${SANDBOX_KEYS.join(', ')}), not ${k === 'list' ? 'a list' : `a ${k}`}`);
  const out: SandboxLayer = {};
  if (opts.inAgentSpec) out.enabled = true;
  for (const e of v.map('sandbox', SANDBOX_KEYS)) {
    switch (e.key) {
      case 'enabled':
        out.enabled = e.value.boolean('sandbox.enabled');
        break;
      case 'network': {
        const n = parseNetwork(e.value, opts);
        if (Object.keys(n).length) out.network = n;
        break;
      }
      case 'write':
        out.write = pathList(e.value, 'sandbox.write', opts);
        break;
      case 'read':
        out.read = pathList(e.value, 'sandbox.read', opts);
        break;
      case 'env':
        out.env = dedupe(stringList(e.value, 'sandbox.env').map(({ value, at }) => envName(at, value, 'sandbox.env', true)));
        break;
    }
  }
  return out;
}

function parseNetwork(v: YVal, opts: SettingsParseOptions): Partial<NetworkSettings> {
  const out: Partial<NetworkSettings> = {};
  if (v.kind() === 'null') return out;
  for (const e of v.map('sandbox.network', NETWORK_KEYS)) {
    switch (e.key) {
      case 'allow':
      case 'deny': {
        const what = `sandbox.network.${e.key}`;
        out[e.key] = dedupe(
          stringList(e.value, what).map(({ value, at }) => {
            const err = validateNetworkRule(value);
            if (err) at.fail(`${what}: ${err}`);
            return value.trim().replace(/\s+/, ' ');
          }),
        );
        break;
      }
      case 'unknown':
        out.unknown = e.value.oneOf('sandbox.network.unknown', UNKNOWN_VALUES);
        break;
      case 'resolve': {
        const resolve: Record<string, string> = {};
        if (e.value.kind() !== 'null') {
          for (const r of e.value.map('sandbox.network.resolve (host: address)')) {
            const hostErr = validateHost(r.key);
            if (hostErr) r.keyVal.fail(`sandbox.network.resolve: ${hostErr}`);
            const addr = r.value.string(`sandbox.network.resolve."${r.key}"`).trim();
            const addrErr = validateResolveAddress(addr);
            if (addrErr) r.value.fail(`sandbox.network.resolve."${r.key}": ${addrErr}`);
            resolve[r.key.toLowerCase()] = addr;
          }
        }
        out.resolve = resolve;
        break;
      }
      case 'upstream_ca':
        out.upstreamCa = dedupe(
          stringList(e.value, 'sandbox.network.upstream_ca').map(({ value, at }) => {
            const f = pathValue(at, value, 'sandbox.network.upstream_ca', opts);
            let ok = false;
            try {
              ok = fs.statSync(f).isFile();
            } catch {
              ok = false;
            }
            if (!ok) at.fail(`sandbox.network.upstream_ca: ${value} is not a readable file (looked for ${f}); it must be a PEM certificate file`);
            return f;
          }),
        );
        break;
    }
  }
  return out;
}

/**
 * The `secrets:` block: name → binding. Every binding needs `from` (exactly one of env, file,
 * command) and, after its preset, at least one `inject`.
 */
export function parseSecretsBlock(v: YVal, opts: SettingsParseOptions): SecretBinding[] {
  if (v.kind() === 'null') return [];
  const out: SecretBinding[] = [];
  const envOwner = new Map<string, string>();
  for (const e of v.map('secrets (name: binding)')) {
    if (!SECRET_NAME.test(e.key)) e.keyVal.fail(`secret name "${e.key}" must use letters, digits, "-" and "_"`);
    const b = parseSecret(e.key, e.keyVal, e.value, opts);
    for (const name of b.env) {
      const other = envOwner.get(name);
      if (other) e.value.fail(`secrets.${e.key}: the variable ${name} is already bound to secret "${other}"; a variable holds one secret`);
      envOwner.set(name, e.key);
    }
    out.push(b);
  }
  return out;
}

function parseSecret(name: string, keyVal: YVal, v: YVal, opts: SettingsParseOptions): SecretBinding {
  const where = `secrets.${name}`;
  if (v.kind() === 'null') keyVal.fail(`${where} needs "from" (one of ${FROM_KEYS.join(', ')}) and "inject" (or a preset: ${Object.keys(SECRET_PRESETS).join(', ')})`);
  const entries = v.map(where, SECRET_KEYS);
  const get = (k: string) => entries.find((x) => x.key === k);
  let env: string[] = [];
  let inject: SecretInjection[] = [];
  const presetE = get('preset');
  if (presetE) {
    const preset = SECRET_PRESETS[presetE.value.oneOf(`${where}.preset`, Object.keys(SECRET_PRESETS))]!;
    env = [...preset.env];
    inject = preset.inject.map((i) => ({ ...i }));
  }
  const fromE = get('from');
  if (!fromE) return v.fail(`${where} needs "from": one of { env: VAR }, { file: PATH }, { command: CMD }`);
  const from = parseFrom(fromE.value, `${where}.from`, opts);
  const envE = get('env');
  if (envE) env = dedupe(stringList(envE.value, `${where}.env`).map(({ value, at }) => envName(at, value, `${where}.env`, false)));
  const injectE = get('inject');
  if (injectE) inject = parseInjects(injectE.value, `${where}.inject`);
  if (!inject.length) (injectE?.value ?? v).fail(`${where} needs at least one "inject" ({ host, header, value }), or a preset (${Object.keys(SECRET_PRESETS).join(', ')})`);
  const pushE = get('push');
  const push = pushE
    ? dedupe(
        stringList(pushE.value, `${where}.push`).map(({ value, at }) => {
          if (!REPO.test(value)) at.fail(`${where}.push "${value}" must be owner/repo (letters, digits, ".", "-", "_")`);
          return value;
        }),
      )
    : [];
  return { name, from, env, inject, push };
}

function parseFrom(v: YVal, where: string, opts: SettingsParseOptions): SecretSource {
  const entries = v.map(`${where} (one of ${FROM_KEYS.join(', ')})`, FROM_KEYS);
  if (entries.length === 0) v.fail(`${where} needs one of ${FROM_KEYS.join(', ')}`);
  if (entries.length > 1) entries[1]!.keyVal.fail(`${where} takes exactly one of ${FROM_KEYS.join(', ')}, not both "${entries[0]!.key}" and "${entries[1]!.key}"`);
  const e = entries[0]!;
  switch (e.key) {
    case 'env':
      return { env: envName(e.value, e.value.string(`${where}.env`), `${where}.env`, false) };
    case 'file':
      return { file: pathValue(e.value, e.value.string(`${where}.file`), `${where}.file`, opts) };
    default:
      return { command: e.value.string(`${where}.command`) };
  }
}

function parseInjects(v: YVal, where: string): SecretInjection[] {
  const k = v.kind();
  const items = k === 'map' ? [v] : v.list(`${where} (a list of { host, header, value, paths })`);
  return items.map((item, i) => {
    const w = k === 'map' ? where : `${where}[${i}]`;
    const entries = item.map(w, INJECT_KEYS);
    const get = (key: string) => entries.find((x) => x.key === key);
    const hostE = get('host');
    if (!hostE) return item.fail(`${w} needs a "host" (e.g. api.github.com or *.example.com)`);
    const host = hostE.value.string(`${w}.host`).trim();
    const hostErr = validateHost(host, { wildcard: true });
    if (hostErr) hostE.value.fail(`${w}.host: ${hostErr}`);
    let header = DEFAULT_HEADER;
    const headerE = get('header');
    if (headerE) {
      header = headerE.value.string(`${w}.header`).trim();
      if (!HEADER_NAME.test(header)) headerE.value.fail(`${w}.header "${header}" is not a header name (e.g. authorization, x-api-key)`);
      header = header.toLowerCase();
    }
    let value = DEFAULT_VALUE;
    const valueE = get('value');
    if (valueE) {
      value = valueE.value.string(`${w}.value`);
      if (value.startsWith('basic:')) {
        const user = value.slice('basic:'.length);
        if (!user || user.includes(':') || user.includes('${secret}')) valueE.value.fail(`${w}.value "${value}": basic:USER needs a user name without ":" (the secret is the password), e.g. basic:x-access-token`);
      } else if (!value.includes('${secret}')) {
        valueE.value.fail(`${w}.value "${value}" must contain \${secret} (e.g. "Bearer \${secret}"), or be basic:USER`);
      }
      if (/[\r\n]/.test(value)) valueE.value.fail(`${w}.value must be one line`);
    }
    const out: SecretInjection = { host: host.toLowerCase(), header, value };
    const pathsE = get('paths');
    if (pathsE) {
      const paths = stringList(pathsE.value, `${w}.paths`).map(({ value: p, at }) => {
        if (!p.startsWith('/')) at.fail(`${w}.paths "${p}" must start with "/" (a glob on the URL path, e.g. /repos/**)`);
        return p;
      });
      if (paths.length) out.paths = dedupe(paths);
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Merging
// ---------------------------------------------------------------------------------------------

function dedupe<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/**
 * Layers in order (config.yaml, agent spec, CLI flag), later winning: scalars (`enabled`,
 * `network.unknown`) are replaced, lists concatenate without duplicates, `resolve` merges by
 * host, secrets merge by name (a later binding replaces the whole earlier one).
 */
export function mergeSandbox(...layers: Array<SandboxLayer | undefined>): SandboxSettings {
  const out: SandboxSettings = structuredClone(DEFAULT_SANDBOX);
  for (const l of layers) {
    if (!l) continue;
    if (l.enabled !== undefined) out.enabled = l.enabled;
    const n = l.network;
    if (n) {
      if (n.allow) out.network.allow = dedupe([...out.network.allow, ...n.allow]);
      if (n.deny) out.network.deny = dedupe([...out.network.deny, ...n.deny]);
      if (n.unknown !== undefined) out.network.unknown = n.unknown;
      if (n.resolve) out.network.resolve = { ...out.network.resolve, ...n.resolve };
      if (n.upstreamCa) out.network.upstreamCa = dedupe([...out.network.upstreamCa, ...n.upstreamCa]);
    }
    if (l.write) out.write = dedupe([...out.write, ...l.write]);
    if (l.read) out.read = dedupe([...out.read, ...l.read]);
    if (l.env) out.env = dedupe([...out.env, ...l.env]);
    for (const s of l.secrets ?? []) {
      const copy = structuredClone(s);
      const i = out.secrets.findIndex((x) => x.name === s.name);
      if (i >= 0) out.secrets[i] = copy;
      else out.secrets.push(copy);
    }
  }
  return out;
}
