import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HookWiring } from '../types.js';

/**
 * How omni configures Codex for one session: with `-c key=value` overrides on the command line,
 * never by writing files. Codex keeps using the user's own `$CODEX_HOME` (default `~/.codex`):
 * their login (`auth.json`, refreshed in place), `config.toml`, providers, skills, trust
 * decisions and session history all keep working, and omni's sessions show up in their own
 * `codex resume` list. Measured on codex-cli 0.169.0 (test/fixtures/codex/FINDINGS.md):
 *
 * - `-c` values are parsed as TOML and deep-merged over config.toml (a `projects={…}` override
 *   keeps the user's other projects), and Codex never writes them back to config.toml.
 * - Hooks given with `-c hooks.<Event>=[…]` form their own config layer ("session flags"): they
 *   run in addition to the user's hooks (hooks.json and inline [hooks]), never instead of them.
 * - Any `-c` makes the TUI run embedded, without the shared background app-server, so nothing
 *   outlives the pane; `features.daemon_auto_start=false` says so explicitly.
 * - Hooks run only once trusted, and trust is written by Codex's TUI into the user's
 *   config.toml; `--dangerously-bypass-hook-trust` trusts them for this invocation only.
 */

/**
 * Codex kills a hook at its timeout and then goes ahead (fails open), so a gate hook that may
 * hold a human approval gets a day (86400 s was accepted without a clamp warning).
 */
const GATE_TIMEOUT_S = 86_400;

/** Hook events omni wires, and whether each gates (waits for a decision, fails closed). */
export const CODEX_HOOKS: ReadonlyArray<{ event: string; mode: 'gate' | 'observe'; matcher?: string; timeout: number }> = [
  // SessionStart fires with the first prompt (source startup|resume|clear), not at launch.
  { event: 'SessionStart', mode: 'observe', timeout: 30 },
  { event: 'UserPromptSubmit', mode: 'gate', timeout: GATE_TIMEOUT_S },
  { event: 'PreToolUse', mode: 'gate', matcher: '*', timeout: GATE_TIMEOUT_S },
  { event: 'PermissionRequest', mode: 'observe', matcher: '*', timeout: 30 },
  { event: 'PostToolUse', mode: 'observe', matcher: '*', timeout: 30 },
  { event: 'Stop', mode: 'observe', timeout: 30 },
  // Codex clamps these two to 3 s (and warns at startup when asked for more).
  { event: 'Interrupt', mode: 'observe', timeout: 3 },
  { event: 'SessionEnd', mode: 'observe', timeout: 3 },
];

/**
 * Model-migration notices Codex 0.169 shows before the prompt ("Meet GPT-6 Sol"), as Codex
 * records them once answered: `[notice.model_migrations] "<from>" = "<to>"`. Deep-merged, so
 * whatever the user answered for other models stays.
 */
export const KNOWN_MODEL_MIGRATIONS: Readonly<Record<string, string>> = { 'gpt-5.5': 'gpt-6-sol' };

/** A TOML basic string (JSON's escapes are a subset TOML accepts). */
export function tomlString(s: string): string {
  return JSON.stringify(s);
}

/** A TOML inline value: strings, numbers, booleans, arrays and inline tables. */
export function tomlValue(v: unknown): string {
  if (typeof v === 'string') return tomlString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(',')}]`;
  if (v && typeof v === 'object') {
    const parts = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${tomlKey(k)}=${tomlValue(x)}`);
    return `{${parts.join(',')}}`;
  }
  throw new Error(`cannot write ${String(v)} as TOML`);
}

function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k);
}

/** The `-c` arguments for one session (each `-c` followed by `key=value`). */
export function codexOverrides(hooks: HookWiring, cwd: string): string[] {
  const kv: string[] = [
    'features.daemon_auto_start=false',
    `projects=${tomlValue({ [cwd]: { trust_level: 'trusted' } })}`,
    `notice.model_migrations=${tomlValue(KNOWN_MODEL_MIGRATIONS)}`,
  ];
  for (const h of CODEX_HOOKS) {
    const group = { ...(h.matcher ? { matcher: h.matcher } : {}), hooks: [{ type: 'command', command: hooks.command(h.event, h.mode), timeout: h.timeout }] };
    kv.push(`hooks.${h.event}=${tomlValue([group])}`);
  }
  return kv.flatMap((x) => ['-c', x]);
}

/**
 * The model provider config.toml selects (`model_provider` and its `[model_providers.X]`
 * section): its base URL and the variable holding its key. A plain text read, like the doctor's.
 */
export function codexProvider(env: Record<string, string>): { name?: string; baseUrl?: string; envKey?: string; file: string } {
  const file = path.join(codexHome(env), 'config.toml');
  let toml: string;
  try {
    toml = fs.readFileSync(file, 'utf8');
  } catch {
    return { file };
  }
  const name = /^\s*model_provider\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!name) return { file };
  const section = new RegExp(`\\[model_providers\\.(?:"${name}"|${name})\\]([\\s\\S]*?)(?:\\n\\[|$)`).exec(toml)?.[1] ?? '';
  return { file, name, baseUrl: /^\s*base_url\s*=\s*"([^"]+)"/m.exec(section)?.[1], envKey: /^\s*env_key\s*=\s*"([^"]+)"/m.exec(section)?.[1] };
}

/**
 * The model endpoints Codex talks to: the custom provider's base URL, else the OpenAI API (a
 * key) and ChatGPT's backend (a login).
 */
export function codexModelEndpoints(env: Record<string, string>): string[] {
  const provider = codexProvider(env);
  return provider.baseUrl ? [provider.baseUrl] : ['https://api.openai.com/v1', 'https://chatgpt.com/backend-api'];
}

/**
 * Hosts Codex 0.169 itself contacts at every start besides the model, none of which a setting
 * stops short of turning plugins off: the TUI's "announcement tip" (a GET to
 * raw.githubusercontent.com with a 2 s timeout; tui/src/tooltips.rs), and the curated plugin
 * marketplace, synced by running `git` on https://github.com/openai/plugins.git (no timeout) and,
 * when that fails, from chatgpt.com/backend-api/plugins/export/curated. NO_PROXY entries, so
 * subdomains (ab.chatgpt.com, api.github.com) are included.
 */
export const CODEX_SELF_HOSTS: readonly string[] = ['raw.githubusercontent.com', 'github.com', 'chatgpt.com'];

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return undefined;
  }
}

function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.includes(host) || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * What Codex needs in omni's sandbox (docs/harnesses/codex.md, "In omni's sandbox"), measured on
 * codex-cli 0.169.0 behind the session's egress proxy:
 *
 * - its own sandbox is off (it needs a new user namespace, which omni's forbids);
 * - no update check: the installation is read-only inside, and the check (api.github.com) has no
 *   timeout, so it would sit as an egress ask for the whole session;
 * - Codex's own process (and the `git` it runs) goes around the proxy for CODEX_SELF_HOSTS, so
 *   that housekeeping fails at once (there is no network but the proxy) instead of holding an
 *   egress ask at every start; a host that is one of its model endpoints stays on the proxy;
 * - and, unless a model endpoint is on loopback, around it for loopback: the TUI serves its
 *   thread tools as an MCP server on the sandbox's 127.0.0.1 (`codex_tui`) and reaches it over
 *   HTTP, which through the proxy would leave the network namespace and be refused;
 * - the commands Codex runs get the sandbox's own NO_PROXY back (`shell_environment_policy.set`),
 *   so what the agent does is decided by the proxy as in any sandboxed session.
 *
 * `sandboxNoProxy` is the NO_PROXY every other process in the sandbox has.
 */
export function codexSandboxLaunch(env: Record<string, string>, sandboxNoProxy: string): { args: string[]; env: Record<string, string> } {
  const models = codexModelEndpoints(env)
    .map(hostOf)
    .filter((h): h is string => h !== undefined);
  const bypass = CODEX_SELF_HOSTS.filter((d) => !models.some((h) => h === d || h.endsWith(`.${d}`)));
  if (!models.some(isLoopbackHost)) bypass.push(...LOOPBACK_NAMES);
  const noProxy = [...sandboxNoProxy.split(',').filter(Boolean), ...bypass].join(',');
  const kv = [
    'sandbox_mode="danger-full-access"',
    'check_for_update_on_startup=false',
    `shell_environment_policy.set.NO_PROXY=${tomlString(sandboxNoProxy)}`,
    `shell_environment_policy.set.no_proxy=${tomlString(sandboxNoProxy)}`,
  ];
  return { args: kv.flatMap((x) => ['-c', x]), env: { NO_PROXY: noProxy, no_proxy: noProxy } };
}

/** `$CODEX_HOME`, else `~/.codex`, as Codex resolves it. */
export function codexHome(env: Record<string, string>): string {
  return env.CODEX_HOME || path.join(env.HOME || os.homedir(), '.codex');
}

/**
 * What to tell the user about their Codex home before the session starts. Codex refuses to
 * install its sandbox helpers under the temporary directory, after which every sandboxed
 * command fails ("bwrap: execvp codex-linux-sandbox: No such file or directory").
 */
export function codexHomeNotes(env: Record<string, string>): string[] {
  const home = codexHome(env);
  const notes: string[] = [];
  if (env.CODEX_HOME && !fs.existsSync(env.CODEX_HOME)) notes.push(`CODEX_HOME=${env.CODEX_HOME} does not exist; Codex will not start until it does`);
  const tmp = path.resolve(env.TMPDIR || '/tmp');
  const rel = path.relative(tmp, path.resolve(home));
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
    notes.push(`Codex home ${home} is under the temporary directory ${tmp}: Codex will not set up its sandbox helpers there, so sandboxed commands fail`);
  }
  return notes;
}
