import { parseJsonc } from '../../core/jsonc.js';
import fs from 'node:fs';
import path from 'node:path';
import type { HookWiring, LaunchContext } from '../types.js';

/**
 * How omni gets its hooks into Gemini CLI (0.61.0) without touching the user's files.
 *
 * Gemini reads settings from four scopes: system defaults, user (`~/.gemini/settings.json`),
 * workspace (`<cwd>/.gemini/settings.json`) and system (`GEMINI_CLI_SYSTEM_SETTINGS_PATH`). The
 * system file is skipped unless it and every folder above it are owned by root and writable by
 * nobody else (measured: "Skipping system settings file … Parent directory '/tmp' is insecure"),
 * so it is no place for a per-session file. Instead omni points `GEMINI_CLI_HOME` (the folder
 * Gemini takes for the home directory) at a folder of its own (`~/.gemini/omni/<session id>`) whose `.gemini/` holds a copy of
 * the user's settings.json with omni's hooks added, and links to everything else of the user's
 * `~/.gemini` (login, chats, history, trusted folders, policies, extensions, GEMINI.md), so
 * sessions, logins and trust land where they always do.
 *
 * Gemini asks before shell commands and file writes through its policy engine, and a BeforeTool
 * hook's "allow" does not skip that question. omni's own policy file (user tier, priority 1: the
 * user's own rules with any higher priority still win) allows every tool in the default and
 * auto-edit modes, so the BeforeTool hook, which holds the call while omni decides, is the gate.
 */

/** Gemini kills a hook at its timeout and then runs the tool (fails open): a gate hook that may hold a human approval gets a day. */
const GATE_TIMEOUT_MS = 86_400_000;
const OBSERVE_TIMEOUT_MS = 30_000;

/** Hook events omni wires and whether each gates (waits for a decision, fails closed). */
export const GEMINI_HOOKS: ReadonlyArray<{ event: string; mode: 'gate' | 'observe'; matcher: string }> = [
  { event: 'SessionStart', mode: 'observe', matcher: '' },
  { event: 'BeforeAgent', mode: 'gate', matcher: '' },
  { event: 'BeforeTool', mode: 'gate', matcher: '*' },
  { event: 'AfterTool', mode: 'gate', matcher: '*' },
  { event: 'AfterAgent', mode: 'observe', matcher: '' },
  { event: 'Notification', mode: 'observe', matcher: '' },
  { event: 'SessionEnd', mode: 'observe', matcher: '' },
];

/** Entries Gemini creates in `~/.gemini` on first use: linked even before they exist, so they land in the user's folder. */
const STATE_DIRS = ['tmp', 'history'];
const STATE_FILES = ['projects.json', 'trustedFolders.json', 'installation_id', 'state.json', 'oauth_creds.json', 'google_accounts.json'];

/** The user's own Gemini folder: `$GEMINI_CLI_HOME/.gemini`, else `~/.gemini`. */
export function userGeminiDir(env: Record<string, string | undefined>): string {
  const cliHome = env.GEMINI_CLI_HOME;
  // Called from inside an omni session (an agent starting another): that home is omni's, not the user's.
  const nested = cliHome ? /^(.*\/\.gemini)\/omni\/[^/]+\/?$/.exec(cliHome) : null;
  if (nested) return nested[1]!;
  return path.join(cliHome || env.HOME || '/', '.gemini');
}


type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** The user's settings.json ({} when absent; an unreadable one is an error: omni must not drop what it says). */
export function readUserSettings(dir: string): Obj {
  const file = path.join(dir, 'settings.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const parsed = parseJsonc(text);
  return isObj(parsed) ? parsed : {};
}

/** The user's settings with omni's hooks (after theirs), policy file, MCP server and quiet updates. */
export function mergedSettings(
  user: Obj,
  opts: { hooks: HookWiring; policyDir: string; userPoliciesDir: string; mcp?: LaunchContext['mcp']; sandboxed?: boolean },
): Obj {
  const out: Obj = { ...user };
  const hooksConfig = isObj(user.hooksConfig) ? user.hooksConfig : {};
  // Hooks switched off by the user stay off for their hooks; omni's must run.
  const userHooks = hooksConfig.enabled === false ? {} : isObj(user.hooks) ? user.hooks : {};
  const hooks: Obj = { ...userHooks };
  for (const h of GEMINI_HOOKS) {
    const def = {
      ...(h.matcher ? { matcher: h.matcher } : {}),
      hooks: [{ type: 'command', name: 'omni', command: opts.hooks.command(h.event, h.mode), timeout: h.mode === 'gate' ? GATE_TIMEOUT_MS : OBSERVE_TIMEOUT_MS }],
    };
    const theirs = Array.isArray(hooks[h.event]) ? (hooks[h.event] as unknown[]) : [];
    hooks[h.event] = [...theirs, def];
  }
  out.hooks = hooks;
  out.hooksConfig = { ...hooksConfig, enabled: true, disabled: (Array.isArray(hooksConfig.disabled) ? hooksConfig.disabled : []).filter((n) => n !== 'omni') };
  // A policyPaths list replaces the default user policy folder: name it, so the user's rules still load.
  const theirPaths = Array.isArray(user.policyPaths) && user.policyPaths.length ? (user.policyPaths as unknown[]) : [opts.userPoliciesDir];
  out.policyPaths = [opts.policyDir, ...theirPaths];
  const general = isObj(user.general) ? user.general : {};
  out.general = { enableAutoUpdate: false, enableAutoUpdateNotification: false, ...general };
  // In omni's sandbox Gemini's usage statistics (play.googleapis.com) would stop the session on an
  // egress ask at start-up (measured): off there, for this session only.
  if (opts.sandboxed) out.privacy = { ...(isObj(user.privacy) ? user.privacy : {}), usageStatisticsEnabled: false };
  if (opts.mcp) {
    const servers = isObj(user.mcpServers) ? user.mcpServers : {};
    out.mcpServers = { ...servers, omni: { command: opts.mcp.command, args: opts.mcp.args, env: opts.mcp.env, trust: false } };
  }
  return out;
}

/** omni's policy: every tool allowed in the default and auto-edit modes (plan and YOLO keep theirs); omni's hook decides. */
export const OMNI_POLICY = `# Written by omni for one session: omni's BeforeTool hook decides, so Gemini does not ask again.
[[rule]]
toolName = "*"
decision = "allow"
priority = 1
modes = ["default", "autoEdit"]
allowRedirection = true

# Gemini's question tool stays a question.
[[rule]]
toolName = "ask_user"
decision = "ask_user"
priority = 2
`;

export interface GeminiHome {
  /** GEMINI_CLI_HOME for the session. */
  cliHome: string;
  settingsFile: string;
  policyFile: string;
  notes: string[];
}

/**
 * Where the sessions' homes live: `~/.gemini/omni/<session id>/`. Inside the user's Gemini folder,
 * not omni's session folder, because Gemini writes there too (projects.json, replaced through a
 * temporary file and a rename) and that folder is the one omni's sandbox lets it write.
 */
const HOMES_DIR = 'omni';
/** A home untouched this long belongs to a session long gone (each launch rebuilds its own). */
const HOME_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

function pruneHomes(dir: string): void {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const p = path.join(dir, n);
    try {
      if (Date.now() - fs.statSync(p).mtimeMs > HOME_MAX_AGE_MS) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      /* gone meanwhile */
    }
  }
}

/** Builds `~/.gemini/omni/<session id>/.gemini` (fresh each launch) and omni's policy file in the session folder. */
export function prepareGeminiHome(ctx: Pick<LaunchContext, 'session' | 'sessionDir' | 'env' | 'hooks' | 'mcp' | 'sandboxed'>): GeminiHome {
  const userDir = userGeminiDir(ctx.env);
  fs.mkdirSync(userDir, { recursive: true, mode: 0o700 });
  for (const d of STATE_DIRS) fs.mkdirSync(path.join(userDir, d), { recursive: true, mode: 0o700 });
  const homes = path.join(userDir, HOMES_DIR);
  pruneHomes(homes);
  const cliHome = path.join(homes, ctx.session.id);
  const dot = path.join(cliHome, '.gemini');
  fs.rmSync(dot, { recursive: true, force: true });
  fs.mkdirSync(dot, { recursive: true, mode: 0o700 });
  const entries = new Set([...fs.readdirSync(userDir), ...STATE_DIRS, ...STATE_FILES]);
  entries.delete('settings.json');
  entries.delete(HOMES_DIR);
  for (const e of entries) fs.symlinkSync(path.join(userDir, e), path.join(dot, e));

  const policyDir = path.join(ctx.sessionDir, 'gemini-policies');
  fs.mkdirSync(policyDir, { recursive: true, mode: 0o700 });
  const policyFile = path.join(policyDir, 'omni.toml');
  fs.writeFileSync(policyFile, OMNI_POLICY, { mode: 0o600 });

  const settings = mergedSettings(readUserSettings(userDir), { hooks: ctx.hooks, policyDir, userPoliciesDir: path.join(dot, 'policies'), mcp: ctx.mcp, sandboxed: ctx.sandboxed });
  const settingsFile = path.join(dot, 'settings.json');
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600 });
  return {
    cliHome,
    settingsFile,
    policyFile,
    notes: [
      `Gemini CLI runs with GEMINI_CLI_HOME=${cliHome}: your ${userDir} linked in, settings.json copied with omni's hooks added (yours untouched)`,
      `omni's policy ${policyFile} lets omni's BeforeTool hook decide instead of Gemini's own confirmation`,
      ...(ctx.mcp ? [`omni's MCP server wired in as mcpServers.omni`] : []),
    ],
  };
}
