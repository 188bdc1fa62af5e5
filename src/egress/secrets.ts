import type http from 'node:http';
import net from 'node:net';
import type { SecretInjection } from '../sandbox/types.js';
import { isLoopbackAddress } from './addresses.js';
import { hostMatches, normalizeHost, pathMatcher, type PathMatchers } from './rules.js';
import type { EgressRequest, ResolvedSecret } from './types.js';

/**
 * Secrets on the wire: the sandbox holds placeholders; the proxy puts the real value into the
 * bound header of a request to the bound host, after TLS termination, so the real value exists
 * only in the daemon and on the TLS connection to the real host.
 */

/** Methods that never get a secret: TRACE echoes the request (headers included) back; CONNECT has no path. */
const NO_SECRET_METHODS = new Set(['TRACE', 'TRACK', 'CONNECT']);

/** An injection's host pattern split into host pattern and optional port (`host:8443`, `[::1]:8443`). */
function splitHostPort(pattern: string): { host: string; port?: number } {
  const p = pattern.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(p);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : undefined };
  if (net.isIPv6(p)) return { host: p };
  const m = /^(.*):(\d+)$/.exec(p);
  return m ? { host: m[1]!, port: Number(m[2]) } : { host: p };
}

/**
 * Whether an injection applies to a request by host, port and path. The host is `host`,
 * `*.host` or `*` (rules.ts `hostMatches`); without a `:port` any port matches (a model
 * endpoint may be on 8443); `paths` are path globs as in rules.ts (default: every path),
 * compiled once in `paths` when the caller keeps one.
 */
export function injectionMatches(inj: SecretInjection, req: EgressRequest, paths?: PathMatchers): boolean {
  const { host, port } = splitHostPort(inj.host);
  if (!hostMatches(host, req.host)) return false;
  if (port !== undefined && port !== req.port) return false;
  if (inj.paths && inj.paths.length > 0 && !inj.paths.some((g) => (paths ? paths.get(g) : pathMatcher(g))(req.path))) return false;
  return true;
}

/** The header value for an injection: `${secret}` replaced, or `basic:USER` → `Basic base64(USER:secret)`. */
export function headerValue(inj: SecretInjection, secret: string): string {
  if (inj.value.startsWith('basic:')) return `Basic ${Buffer.from(`${inj.value.slice(6)}:${secret}`).toString('base64')}`;
  return inj.value.split('${secret}').join(secret);
}

/**
 * Puts the bound secrets into `headers` (a mutable copy of the client's headers), overwriting
 * whatever the client sent under that header name (the placeholder). Returns the names of the
 * secrets injected. The first matching injection per header wins (secrets in order).
 *
 * Only over https: over plain http the secret would cross the network in the clear, to anyone
 * on the path, so the request goes out with the placeholder. The exception is a secret marked
 * `loopbackHttp` when the proxy connects to a loopback address (`upstreamAddress`): nothing
 * leaves the machine there (a model gateway on 127.0.0.1). Never for TRACE/CONNECT. The URL,
 * query and body are never touched: a secret is only ever a header.
 */
export function injectSecrets(req: EgressRequest, headers: http.OutgoingHttpHeaders, secrets: readonly ResolvedSecret[], opts: { upstreamAddress?: string; paths?: PathMatchers } = {}): string[] {
  if (NO_SECRET_METHODS.has(req.method.toUpperCase())) return [];
  const loopback = req.scheme === 'http' && opts.upstreamAddress !== undefined && isLoopbackAddress(opts.upstreamAddress);
  const names: string[] = [];
  const done = new Set<string>();
  for (const s of secrets) {
    if (!s.value) continue;
    if (req.scheme !== 'https' && !(loopback && s.loopbackHttp)) continue;
    for (const inj of s.inject) {
      const header = (inj.header || 'authorization').toLowerCase();
      if (done.has(header) || !injectionMatches(inj, req, opts.paths)) continue;
      for (const k of Object.keys(headers)) if (k.toLowerCase() === header) delete headers[k];
      headers[header] = headerValue(inj, s.value);
      done.add(header);
      if (!names.includes(s.name)) names.push(s.name);
    }
  }
  return names;
}

/**
 * The repository a git push over smart HTTP goes to: `POST …/REPO(.git)/git-receive-pack` (the
 * push itself) or `GET …/REPO(.git)/info/refs?service=git-receive-pack` (its first step).
 * `repo` is the path before that, without the leading slash and `.git`: `owner/repo` on GitHub,
 * `group/sub/repo` on GitLab. The path is percent-decoded first, and any method on a
 * `git-receive-pack` path counts, so an odd spelling is treated as a push rather than missed.
 */
export function gitPush(req: EgressRequest, query: string): { repo: string } | undefined {
  let p = req.path;
  try {
    p = decodeURIComponent(p);
  } catch {
    /* malformed escapes: match as sent */
  }
  const repoOf = (prefix: string) => ({ repo: prefix.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\.git$/i, '') });
  const rp = /^(.*)\/git-receive-pack\/?$/i.exec(p);
  if (rp) return repoOf(rp[1]!);
  const refs = /^(.*)\/info\/refs\/?$/i.exec(p);
  if (refs) {
    const q = query.startsWith('?') ? query.slice(1) : query;
    const services = new URLSearchParams(q).getAll('service');
    if (services.some((s) => s.toLowerCase() === 'git-receive-pack')) return repoOf(refs[1]!);
  }
  return undefined;
}

const normRepo = (r: string) => r.trim().replace(/^\/+|\/+$/g, '').replace(/\.git$/i, '').toLowerCase();

/**
 * A push to a host a secret is bound to (host, port and paths as for injection, whatever the
 * scheme) is allowed only if the repository is in the `push` list of every secret bound there:
 * a secret's credential may push only where the user said. Pushes to hosts no secret is bound
 * to are left to the network policy (the sandbox holds no credential for them).
 */
export function pushAllowed(secrets: readonly ResolvedSecret[], req: EgressRequest, query: string): { ok: true } | { ok: false; reason: string } {
  const push = gitPush(req, query);
  if (!push) return { ok: true };
  const repo = normRepo(push.repo);
  for (const s of secrets) {
    if (!s.inject.some((i) => injectionMatches(i, req))) continue;
    if (!s.push.some((r) => normRepo(r) === repo)) {
      const list = s.push.length ? `its push list: ${s.push.join(', ')}` : 'its push list is empty';
      return { ok: false, reason: `git push to ${push.repo || '(root)'} on ${normalizeHost(req.host)} is not allowed for secret ${s.name} (${list})` };
    }
  }
  return { ok: true };
}

/**
 * Every real secret value in `text` (and the `Basic` form of a `basic:USER` injection) replaced
 * by `[secret:NAME]`: a last line of defence for log lines and error messages.
 */
const SCRUB_MIN_LENGTH = 6;

export function scrub(text: string, secrets: readonly ResolvedSecret[]): string {
  const pairs: Array<[string, string]> = [];
  for (const s of secrets) {
    // A value this short (a test key like "k") would garble every message it happens to occur
    // in, and is no real credential to hide.
    if (s.value.length < SCRUB_MIN_LENGTH) continue;
    pairs.push([s.value, s.name]);
    for (const inj of s.inject) {
      if (inj.value.startsWith('basic:')) pairs.push([headerValue(inj, s.value).slice('Basic '.length), s.name]);
    }
  }
  // Longest first, so a value containing another is replaced whole.
  pairs.sort((a, b) => b[0].length - a[0].length);
  let out = text;
  for (const [value, name] of pairs) if (out.includes(value)) out = out.split(value).join(`[secret:${name}]`);
  return out;
}
