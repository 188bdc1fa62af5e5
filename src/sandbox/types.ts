/**
 * What a user configures for sandboxed sessions (docs/SANDBOX.md): `sandbox:` and `secrets:`
 * in config.yaml and in an agent YAML, plus `--sandbox` / `--no-sandbox`. Plain JSON: the CLI
 * parses the agent YAML and sends this to the daemon, which merges it over config.yaml.
 */

/** Where a secret's value comes from. Resolved by the daemon, outside the sandbox, never logged. */
export type SecretSource = { env: string } | { file: string } | { command: string };

/** Where a secret is added: a request to `host` (and, if given, one of `paths`) gets `header`. */
export interface SecretInjection {
  /** Exact host (`api.github.com`) or a subdomain wildcard (`*.example.com`); any port unless `host:port`. */
  host: string;
  /** Globs on the URL path (`/repos/**`); default every path. */
  paths?: string[];
  /** Header name (lower case), default `authorization`. */
  header: string;
  /**
   * The header value: `${secret}` is replaced by the secret (`Bearer ${secret}`), or
   * `basic:USER` for `Basic base64(USER:secret)` (git over HTTPS).
   */
  value: string;
}

export interface SecretBinding {
  name: string;
  from: SecretSource;
  /** Variables the sandbox sees holding a placeholder (worthless anywhere else), e.g. GH_TOKEN. */
  env: string[];
  inject: SecretInjection[];
  /**
   * Repositories (`owner/repo`) this secret may push to (git-receive-pack) on its hosts.
   * Empty: a push to any repository on a bound host is refused.
   */
  push: string[];
}

export interface NetworkSettings {
  /** Host rules: `host`, `*.host`, or `METHOD host/path-glob` (e.g. `GET api.github.com/repos/**`). */
  allow: string[];
  deny: string[];
  /** A request that no rule allows: refused, or held as an ask for a person. */
  unknown: 'deny' | 'ask';
  /** Pinned addresses (`host` → `ip` or `ip:port`), trusted even when private (mirrors, tests). */
  resolve: Record<string, string>;
  /** Extra CA certificates (PEM files) the proxy trusts for upstream TLS (a corporate CA). */
  upstreamCa: string[];
}

export interface SandboxSettings {
  enabled: boolean;
  network: NetworkSettings;
  /** Extra writable paths (besides the cwd / worktree and the private /tmp). */
  write: string[];
  /** Extra readable paths inside otherwise hidden trees ($HOME). */
  read: string[];
  /** Extra environment variables (names or `PREFIX_*`) passed into the sandbox. Known secrets never pass. */
  env: string[];
  secrets: SecretBinding[];
}

export const DEFAULT_SANDBOX: SandboxSettings = {
  enabled: false,
  network: { allow: [], deny: [], unknown: 'ask', resolve: {}, upstreamCa: [] },
  write: [],
  read: [],
  env: [],
  secrets: [],
};
