import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../../core/fsutil.js';
import type { HookWiring } from '../types.js';

/**
 * How omni configures GitHub Copilot CLI (1.0.102) for one session, measured against the real
 * CLI (docs/harnesses/copilot.md):
 *
 * - Hooks come from a plugin of omni's own, written in the session dir and loaded with
 *   `--plugin-dir` (its `hooks/hooks.json`): plugin hooks run in addition to the user's
 *   (~/.copilot/hooks, settings.json, the repo's .github/hooks), and nothing is written into
 *   the user's repo or ~/.copilot for them. A `--plugin-dir` plugin is not recorded as installed.
 * - A hook that runs longer than its `timeoutSec` (default 30) is abandoned and Copilot falls
 *   back to its own permission prompt; exit 1 or 2 from preToolUse denies the call. So a gate
 *   that may hold a human approval gets a day.
 * - Folder trust ("Confirm folder trust", before anything else) is kept in `trustedFolders` of
 *   the automatically managed `$COPILOT_HOME/config.json`: omni adds the session's folder there
 *   when neither it nor a parent is trusted, as the Claude adapter does for .claude.json.
 */

export const GATE_TIMEOUT_S = 86_400;

/** Hook events omni wires, and whether each gates (waits for a decision, fails closed). */
export const COPILOT_HOOKS: ReadonlyArray<{ event: string; mode: 'gate' | 'observe'; timeout: number }> = [
  // A new session's sessionStart fires with its first prompt (source "new"); a resumed one's at launch.
  { event: 'sessionStart', mode: 'observe', timeout: 30 },
  { event: 'userPromptSubmitted', mode: 'gate', timeout: GATE_TIMEOUT_S },
  { event: 'preToolUse', mode: 'gate', timeout: GATE_TIMEOUT_S },
  // Copilot's own permission prompt is about to show: omni answers it for a call it allowed.
  { event: 'permissionRequest', mode: 'observe', timeout: 30 },
  { event: 'postToolUse', mode: 'observe', timeout: 30 },
  { event: 'postToolUseFailure', mode: 'observe', timeout: 30 },
  { event: 'agentStop', mode: 'observe', timeout: 30 },
  { event: 'errorOccurred', mode: 'observe', timeout: 30 },
  { event: 'sessionEnd', mode: 'observe', timeout: 30 },
];

export const PLUGIN_DIR = 'copilot-plugin';

/** `$COPILOT_HOME`, else `~/.copilot`, as Copilot resolves it. */
export function copilotHome(env: Record<string, string>): string {
  return env.COPILOT_HOME || path.join(env.HOME || os.homedir(), '.copilot');
}

/** The session's event log: `$COPILOT_HOME/session-state/<id>/events.jsonl` (the agentStop hook's `transcriptPath`). */
export function copilotEventsFile(env: Record<string, string>, sessionId: string): string {
  return path.join(copilotHome(env), 'session-state', sessionId, 'events.jsonl');
}

/** Writes omni's plugin (manifest + hooks) under `sessionDir`; returns its directory and files. */
export function writeCopilotPlugin(sessionDir: string, hooks: HookWiring): { dir: string; files: string[] } {
  const dir = path.join(sessionDir, PLUGIN_DIR);
  fs.mkdirSync(path.join(dir, '.plugin'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(dir, 'hooks'), { recursive: true, mode: 0o700 });
  const manifest = { name: 'omni', description: "omni's hooks for this session (policy, events)", version: '1.0.0', hooks: 'hooks/hooks.json' };
  const table: Record<string, unknown[]> = {};
  for (const h of COPILOT_HOOKS) table[h.event] = [{ type: 'command', bash: hooks.command(h.event, h.mode), timeoutSec: h.timeout }];
  const files = [path.join(dir, '.plugin', 'plugin.json'), path.join(dir, 'hooks', 'hooks.json')];
  writeFileAtomic(files[0]!, JSON.stringify(manifest, null, 2) + '\n', 0o600);
  writeFileAtomic(files[1]!, JSON.stringify({ version: 1, hooks: table }, null, 2) + '\n', 0o600);
  return { dir, files };
}

/** config.json is JSON with `//` comment lines at the top ("This file is managed automatically"). */
function parseManaged(text: string): Record<string, unknown> {
  const body = text
    .split('\n')
    .filter((l) => !/^\s*\/\//.test(l))
    .join('\n');
  const v: unknown = body.trim() ? JSON.parse(body) : {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
  return v as Record<string, unknown>;
}

function isInside(dir: string, parent: string): boolean {
  const rel = path.relative(parent, dir);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Trust `cwd` in Copilot's config.json unless it (or a parent) is trusted already. Everything
 * else in the file is kept; a file that does not parse is left alone (the dialog then shows and
 * the session reports it as waiting).
 */
export function trustCopilotFolder(env: Record<string, string>, cwd: string): string[] {
  const file = path.join(copilotHome(env), 'config.json');
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    /* first run: a new file */
  }
  let cfg: Record<string, unknown>;
  try {
    cfg = parseManaged(text);
  } catch (err) {
    return [`left ${file} alone: it does not parse (${(err as Error).message}); Copilot may ask to trust ${cwd}`];
  }
  const trusted = Array.isArray(cfg.trustedFolders) ? cfg.trustedFolders.filter((x): x is string => typeof x === 'string') : [];
  if (trusted.some((t) => isInside(cwd, t))) return [];
  cfg.trustedFolders = [...trusted, cwd];
  const header = text.split('\n').filter((l) => /^\s*\/\//.test(l));
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let mode = 0o600;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch {
    /* new file */
  }
  writeFileAtomic(file, [...header, JSON.stringify(cfg, null, 2)].join('\n') + '\n', mode);
  return [`trusted ${cwd} for Copilot (trustedFolders in ${file})`];
}

/** The custom model provider (BYOK) the caller's environment selects, if any. */
export function copilotProvider(env: Record<string, string>): { baseUrl?: string; type: string; keyVar?: string } {
  const keyVar = ['COPILOT_PROVIDER_BEARER_TOKEN', 'COPILOT_PROVIDER_API_KEY'].find((k) => env[k]);
  return { baseUrl: env.COPILOT_PROVIDER_BASE_URL || undefined, type: env.COPILOT_PROVIDER_TYPE || 'openai', keyVar };
}
