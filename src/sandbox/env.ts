/**
 * The environment a sandboxed harness gets: an allow-list, never the caller's whole env. The
 * pane's env (and so omni's) typically holds tokens for gh, cloud CLIs, npm…; the agent gets
 * placeholders for the ones a secret binding covers (the egress proxy swaps in the real value)
 * and nothing for the rest.
 */

/** Always passed (names or `PREFIX_*`): what a shell and a TUI need to behave normally. */
export const BASE_ENV_PASS: readonly string[] = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'LC_*', 'TZ',
  'TERM', 'COLORTERM', 'NO_COLOR', 'FORCE_COLOR', 'EDITOR', 'VISUAL', 'PAGER', 'TMPDIR',
];

/**
 * Never passed, even when a harness or the user names them: credentials whose holder can act as
 * the user (forge, registry, cloud, agent sockets). `PREFIX_*` covers a family. A binding that
 * needs one of them sets a placeholder through `set`, which is omni's own choice.
 */
export const KNOWN_SECRET_VARS: readonly string[] = [
  'GH_TOKEN', 'GITHUB_TOKEN', 'GH_ENTERPRISE_TOKEN', 'GITHUB_ENTERPRISE_TOKEN', 'GITLAB_TOKEN', 'CI_JOB_TOKEN',
  'NPM_TOKEN', 'NODE_AUTH_TOKEN', 'AWS_*', 'AZURE_*', 'GOOGLE_APPLICATION_CREDENTIALS',
  'DOCKER_AUTH_CONFIG', 'SSH_AUTH_SOCK', 'GPG_AGENT_INFO', 'KUBECONFIG', 'VAULT_TOKEN',
  'HEROKU_API_KEY', 'DIGITALOCEAN_ACCESS_TOKEN', 'SLACK_TOKEN', 'OP_SERVICE_ACCOUNT_TOKEN',
];

/** Names that look like a credential; they pass only when named exactly (no `PREFIX_*`). */
const SECRET_SHAPED = [/(^|_)(SECRET|PASSWORD|PASSWD|PRIVATE_KEY)(_|$)/, /_TOKEN$/];

/** A portable variable name; anything else (`BASH_FUNC_x%%`, `A=B`) is dropped. */
const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function matches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** On the hard deny list (exact name or family). */
export function isKnownSecret(name: string): boolean {
  return KNOWN_SECRET_VARS.some((p) => matches(p, name));
}

/** Shaped like a credential (`*_TOKEN`, `*_SECRET_*`, `*PASSWORD*`…). */
export function looksLikeSecret(name: string): boolean {
  const upper = name.toUpperCase();
  return SECRET_SHAPED.some((re) => re.test(upper));
}

export interface SandboxEnvOptions {
  /** Names or `PREFIX_*` the harness and the user want passed through (model keys, `CLAUDE_CONFIG_DIR`…). */
  pass: string[];
  /** Set by omni after filtering (placeholders, proxy variables, HOME…); these win over everything. */
  set: Record<string, string>;
}

export interface SandboxEnv {
  env: Record<string, string>;
  /** Caller variables whose value did not pass (names only, sorted), whether or not `set` replaced them. */
  dropped: string[];
}

/** Filter `caller` down to what the sandbox may see. */
export function sandboxEnv(caller: Record<string, string | undefined>, opts: SandboxEnvOptions): SandboxEnv {
  const env: Record<string, string> = {};
  const dropped: string[] = [];
  const exact = new Set(opts.pass.filter((p) => !p.endsWith('*')));
  const patterns = [...BASE_ENV_PASS, ...opts.pass];
  for (const [name, value] of Object.entries(caller)) {
    if (value === undefined) continue;
    const ok =
      VALID_NAME.test(name) &&
      !isKnownSecret(name) &&
      patterns.some((p) => matches(p, name)) &&
      (!looksLikeSecret(name) || exact.has(name));
    if (ok) env[name] = value;
    else dropped.push(name);
  }
  // The sandbox has its own private /tmp; the host's TMPDIR would not exist (or be someone else's).
  env.TMPDIR = '/tmp';
  for (const [name, value] of Object.entries(opts.set)) {
    if (!VALID_NAME.test(name)) throw new Error(`sandboxEnv: invalid variable name ${JSON.stringify(name)}`);
    env[name] = value;
  }
  return { env, dropped: dropped.sort() };
}

/**
 * Variables that send every CLI through the forwarder to the session's egress proxy and make it
 * trust the session CA. `caFile` is the CA alone (NODE_EXTRA_CA_CERTS adds to Node's roots);
 * `bundleFile` is CA + system roots, for the variables that replace the trust store instead.
 * NO_PROXY is empty on purpose: nothing, not even loopback, goes around the proxy.
 */
export function proxyEnv(port: number, caFile: string, bundleFile: string): Record<string, string> {
  const url = `http://127.0.0.1:${port}`;
  return {
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    http_proxy: url,
    https_proxy: url,
    ALL_PROXY: url,
    all_proxy: url,
    NO_PROXY: '',
    no_proxy: '',
    NODE_EXTRA_CA_CERTS: caFile,
    SSL_CERT_FILE: bundleFile,
    CURL_CA_BUNDLE: bundleFile,
    REQUESTS_CA_BUNDLE: bundleFile,
    GIT_SSL_CAINFO: bundleFile,
    PIP_CERT: bundleFile,
  };
}
