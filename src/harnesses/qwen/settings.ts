import { parseJsonc } from '../../core/jsonc.js';
import fs from 'node:fs';
import path from 'node:path';
import type { LaunchContext } from '../types.js';

/**
 * How omni configures Qwen Code for one session without touching the user's files: Qwen reads a
 * "system" settings file whose path `QWEN_CODE_SYSTEM_SETTINGS_PATH` may name (default
 * /etc/qwen-code/settings.json). omni points it at a file of its own in the session dir that
 * holds whatever the machine's system file held plus omni's hooks (and its MCP server).
 * Measured on 0.24.4: hook lists are concatenated across the system, user and workspace
 * scopes, so the user's own hooks keep running; other keys of the system scope outrank the
 * user's, which is why omni adds nothing else. The system *defaults* file is looked up next to
 * the system settings file unless `QWEN_CODE_SYSTEM_DEFAULTS_PATH` says where: omni pins it to
 * where it was.
 */
export const SYSTEM_SETTINGS_ENV = 'QWEN_CODE_SYSTEM_SETTINGS_PATH';
export const SYSTEM_DEFAULTS_ENV = 'QWEN_CODE_SYSTEM_DEFAULTS_PATH';
const DEFAULT_SYSTEM_SETTINGS = '/etc/qwen-code/settings.json';

/**
 * Qwen reads a command hook's `timeout` in seconds, except that 1000 or more is read as
 * milliseconds (its legacy form). It kills a hook at the timeout and then goes on as if the hook
 * said nothing (fails open), so a gate that may hold a human approval gets a day, in ms.
 */
export const GATE_TIMEOUT = 86_400_000;
const OBSERVE_TIMEOUT_S = 30;

/** Hook events omni wires, and whether each gates (waits for a decision, fails closed). */
export const QWEN_HOOKS: ReadonlyArray<{ event: string; mode: 'gate' | 'observe'; matcher?: string }> = [
  { event: 'SessionStart', mode: 'observe' },
  { event: 'UserPromptSubmit', mode: 'gate' },
  // Fires before Qwen's own permission dialog (no call id); the hook answers it.
  { event: 'PermissionRequest', mode: 'gate', matcher: '*' },
  // Fires right before every tool runs (after any dialog), with the model's call id.
  { event: 'PreToolUse', mode: 'gate', matcher: '*' },
  { event: 'PostToolUse', mode: 'observe', matcher: '*' },
  { event: 'PostToolUseFailure', mode: 'observe', matcher: '*' },
  { event: 'Stop', mode: 'observe' },
  { event: 'StopFailure', mode: 'observe' },
  { event: 'Notification', mode: 'observe' },
  { event: 'SessionEnd', mode: 'observe' },
];

export function qwenHooks(hooks: LaunchContext['hooks']): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const h of QWEN_HOOKS) {
    const timeout = h.mode === 'gate' ? GATE_TIMEOUT : OBSERVE_TIMEOUT_S;
    out[h.event] = [{ ...(h.matcher ? { matcher: h.matcher } : {}), hooks: [{ type: 'command', command: hooks.command(h.event, h.mode), timeout }] }];
  }
  return out;
}


export interface SystemSettings {
  /** The settings object omni writes (the machine's system settings plus omni's hooks). */
  settings: Record<string, unknown>;
  /** Environment for Qwen: the path of omni's file, and the defaults file pinned. */
  env: Record<string, string>;
  notes: string[];
}

/**
 * The system settings for a session: the file the caller's Qwen would read as its system scope
 * (their own QWEN_CODE_SYSTEM_SETTINGS_PATH, else /etc/qwen-code/settings.json), kept whole,
 * with omni's hooks appended to its hook lists and `extra` keys (omni's MCP server) merged in.
 */
export function systemSettings(
  callerEnv: Record<string, string>,
  file: string,
  hooks: Record<string, unknown[]>,
  extra: { mcpServers?: Record<string, unknown> } = {},
): SystemSettings {
  const original = callerEnv[SYSTEM_SETTINGS_ENV] || DEFAULT_SYSTEM_SETTINGS;
  const notes: string[] = [];
  let base: Record<string, unknown> = {};
  if (fs.existsSync(original)) {
    try {
      const parsed = parseJsonc(fs.readFileSync(original, 'utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) base = parsed as Record<string, unknown>;
      notes.push(`kept the system settings of ${original} (omni's hooks are added to them)`);
    } catch (err) {
      notes.push(`could not read ${original} (${(err as Error).message}): Qwen Code runs without it in this session`);
    }
  }
  const own = (base.hooks && typeof base.hooks === 'object' ? base.hooks : {}) as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...own };
  for (const [event, list] of Object.entries(hooks)) merged[event] = [...(Array.isArray(own[event]) ? (own[event] as unknown[]) : []), ...list];
  const settings: Record<string, unknown> = { ...base, hooks: merged };
  if (extra.mcpServers) settings.mcpServers = { ...((base.mcpServers as Record<string, unknown> | undefined) ?? {}), ...extra.mcpServers };
  const env: Record<string, string> = { [SYSTEM_SETTINGS_ENV]: file };
  if (!callerEnv[SYSTEM_DEFAULTS_ENV]) env[SYSTEM_DEFAULTS_ENV] = path.join(path.dirname(original), 'system-defaults.json');
  return { settings, env, notes };
}
