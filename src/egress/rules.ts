import net from 'node:net';
import picomatch from 'picomatch';
import type { EgressRequest } from './types.js';

/**
 * Host rules for `sandbox.network.allow` / `deny` (docs/SANDBOX.md), and the host matching the
 * proxy reuses for secret bindings. A rule is
 *
 *   host                 exactly this host, any port
 *   *.host               any subdomain of host, at any depth, NOT host itself
 *   *                    any host
 *   host:port            this host on this port only ([v6]:port for an IPv6 literal)
 *   host/path-glob       … and a path matching the glob
 *   METHOD host…         … and this method; `GET|HEAD` for several, `*` for any
 *
 * Hosts compare case-insensitively, a trailing dot ignored. Path globs (picomatch, `dot: true`)
 * match the URL path without its query, case-sensitively: `*` is one segment (never a `/`),
 * `**` any number of segments including none (`/repos/**` matches `/repos`, `/repos/a/b`, not
 * `/reposx`), `?` one character, `{a,b}` alternatives. The path is matched as sent (percent-
 * encoding not decoded); the proxy refuses paths with dot segments, so `/a/../b` cannot slip
 * past `/a/**`.
 */
export interface CompiledRule {
  /** The rule as written, for messages. */
  text: string;
  /** Upper-case methods; undefined: any. */
  methods?: string[];
  /** Lower case, no trailing dot; for `*.x.com` this is `x.com`; `*` for any host. */
  host: string;
  subdomains: boolean;
  port?: number;
  pathGlob?: string;
  path?: (p: string) => boolean;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/** A host as rules and the proxy compare it: lower case, no brackets, no trailing dot. */
export function normalizeHost(host: string): string {
  return host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
}

function hostError(host: string): string | undefined {
  if (host === '') return 'no host';
  if (net.isIP(host)) return undefined;
  if (host.includes('*')) return 'a wildcard is only allowed as a leading `*.` (e.g. `*.example.com`) or as `*` alone';
  if (host.length > 253 || !host.split('.').every((l) => l.length <= 63 && LABEL.test(l))) return `"${host}" is not a valid host name`;
  return undefined;
}

/** Why the host pattern (`host`, `*.host` or `*`) is invalid, or undefined. */
export function hostPatternError(pattern: string): string | undefined {
  const p = normalizeHost(pattern);
  if (p === '*') return undefined;
  if (p.startsWith('*.')) {
    const rest = p.slice(2);
    if (net.isIP(rest)) return 'a wildcard does not apply to an IP address';
    return hostError(rest);
  }
  return hostError(p);
}

/**
 * Whether `host` matches a host pattern: exact (case-insensitive), `*.example.com` (any
 * subdomain at any depth, not the apex), or `*` (anything).
 */
export function hostMatches(pattern: string, host: string): boolean {
  const p = normalizeHost(pattern);
  const h = normalizeHost(host);
  if (p === '*') return true;
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return p === h;
}

/** A compiled path glob (the syntax above); throws on an invalid glob. */
export function pathMatcher(glob: string): (p: string) => boolean {
  if (!glob.startsWith('/')) throw new Error(`a path glob must start with "/", got "${glob}"`);
  return picomatch(glob, { dot: true, strictBrackets: true });
}

/**
 * Path globs compiled once for their owner (one per proxy): secret bindings carry their globs
 * as configuration text, and a request should not compile them again.
 */
export class PathMatchers {
  private readonly byGlob = new Map<string, (p: string) => boolean>();

  get(glob: string): (p: string) => boolean {
    let m = this.byGlob.get(glob);
    if (!m) {
      m = pathMatcher(glob);
      this.byGlob.set(glob, m);
    }
    return m;
  }
}

function parseRule(text: string): CompiledRule {
  const bad = (why: string): never => {
    throw new Error(`invalid network rule "${text}": ${why}`);
  };
  let s = text.trim();
  if (s === '') bad('the rule is empty');
  const parts = s.split(/\s+/);
  let methods: string[] | undefined;
  if (parts.length > 2) bad('expected `host`, `host/path` or `METHOD host/path`');
  if (parts.length === 2) {
    const m = parts[0]!;
    if (m !== '*') {
      methods = m.split('|').map((x) => x.toUpperCase());
      if (!methods.every((x) => /^[A-Z][A-Z-]*$/.test(x))) bad(`"${m}" is not a method (GET, POST, GET|HEAD or *)`);
    }
    s = parts[1]!;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) bad('no scheme: write `host`, `host:port` or `host/path`');

  // IPv6 literals have colons but never a slash, so the first slash starts the path.
  const slash = s.indexOf('/');
  const hostPort = slash >= 0 ? s.slice(0, slash) : s;
  const pathGlob = slash >= 0 ? s.slice(slash) : undefined;

  let host = hostPort;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    if (end < 0) bad('unclosed "[" in an IPv6 address');
    host = hostPort.slice(1, end);
    const rest = hostPort.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) bad(`unexpected "${rest}" after "]"`);
    if (!net.isIPv6(host)) bad(`"${host}" is not an IPv6 address`);
    portText = rest ? rest.slice(1) : undefined;
  } else if (net.isIPv6(hostPort)) {
    host = hostPort; // a bare IPv6 literal, no port possible
  } else if (hostPort.includes(':')) {
    const i = hostPort.lastIndexOf(':');
    host = hostPort.slice(0, i);
    portText = hostPort.slice(i + 1);
  }
  let port: number | undefined;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) bad(`"${portText}" is not a port (1-65535)`);
  }
  const norm = normalizeHost(host);
  const herr = hostPatternError(norm);
  if (herr) bad(herr);
  const subdomains = norm.startsWith('*.');

  let path: ((p: string) => boolean) | undefined;
  if (pathGlob !== undefined) {
    try {
      path = pathMatcher(pathGlob);
    } catch (err) {
      bad(`bad path glob: ${(err as Error).message}`);
    }
  }
  return { text, methods, host: subdomains ? norm.slice(2) : norm, subdomains, port, pathGlob, path };
}

/** Compiles rules; throws an Error naming the first bad rule and why it is bad. */
export function compileRules(list: readonly string[]): CompiledRule[] {
  return list.map(parseRule);
}

/** Whether one compiled rule matches a request. */
export function matchRule(rule: CompiledRule, req: EgressRequest): boolean {
  if (rule.methods && !rule.methods.includes(req.method.toUpperCase())) return false;
  if (rule.port !== undefined && rule.port !== req.port) return false;
  const h = normalizeHost(req.host);
  if (rule.host !== '*') {
    if (rule.subdomains ? !(h.endsWith(`.${rule.host}`) && h.length > rule.host.length + 1) : h !== rule.host) return false;
  }
  return rule.path ? rule.path(req.path) : true;
}

/** The first rule of `rules` that matches, if any. */
export function firstMatchingRule(rules: readonly CompiledRule[], req: EgressRequest): CompiledRule | undefined {
  return rules.find((r) => matchRule(r, req));
}

/** `deny` if any deny rule matches (deny wins), else `allow` if an allow rule does, else undefined. */
export function evaluateNetwork(settings: { allow: readonly CompiledRule[]; deny: readonly CompiledRule[] }, req: EgressRequest): 'allow' | 'deny' | undefined {
  if (firstMatchingRule(settings.deny, req)) return 'deny';
  if (firstMatchingRule(settings.allow, req)) return 'allow';
  return undefined;
}
