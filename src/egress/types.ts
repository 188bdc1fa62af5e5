import type { SecretInjection } from '../sandbox/types.js';

/**
 * The per-session egress proxy (docs/SANDBOX.md). The sandbox has no network; its only way
 * out is this proxy, on a Unix socket in the session's agent directory. The listener is the
 * session's identity. It speaks HTTP CONNECT (TLS is terminated with the session's CA, so every
 * request is seen by method and path) and plain absolute-URI HTTP.
 */

/** One request as the policy sees it (after TLS termination, so method and path are known). */
export interface EgressRequest {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  method: string;
  /** The URL path, without the query string (queries may carry data; they are never logged). */
  path: string;
}

export interface EgressDecision {
  verdict: 'allow' | 'deny';
  reason?: string;
}

/** A secret as the proxy holds it: the real value lives only in the daemon's memory. */
export interface ResolvedSecret {
  name: string;
  value: string;
  /** What the sandbox sees instead. */
  placeholder: string;
  inject: SecretInjection[];
  push: string[];
  /**
   * Also inject over plain HTTP when the upstream address is loopback (a model gateway on
   * 127.0.0.1, the fake model in tests): nothing crosses a network in the clear there.
   */
  loopbackHttp?: boolean;
}

/** What the proxy reports for each request; the daemon logs it as an event. Never header values. */
export interface EgressEvent {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  method: string;
  path: string;
  /** allow: forwarded; deny: refused by policy or by the proxy's own rules. */
  verdict: 'allow' | 'deny';
  reason?: string;
  /** Upstream status (or the proxy's own, e.g. 403, 502). */
  status?: number;
  /** Names of secrets injected into this request. */
  secrets?: string[];
  ms?: number;
}

/** The session CA: its certificate is given to the sandbox; the key never is. */
export interface SessionCaPems {
  certPem: string;
  keyPem: string;
}
