import fs from 'node:fs';
import path from 'node:path';
import { readJsonFile, writeFileAtomic } from '../../core/fsutil.js';

/**
 * Claude Code keeps onboarding, folder trust and API-key approvals in `.claude.json` (in
 * $CLAUDE_CONFIG_DIR, else $HOME). omni changes only what this session needs so no first-run
 * screen stops it: trust for the session's folder, onboarding when credentials come from the
 * environment (the login flow is then moot), and approval of the key the caller exported.
 * Everything else in the file is kept as it is.
 */
export function claudeConfigFile(env: Record<string, string>): string {
  const dir = env.CLAUDE_CONFIG_DIR || env.HOME || '';
  return path.join(dir, '.claude.json');
}

interface ClaudeJson {
  hasCompletedOnboarding?: boolean;
  projects?: Record<string, { hasTrustDialogAccepted?: boolean; [k: string]: unknown }>;
  customApiKeyResponses?: { approved?: string[]; rejected?: string[] };
  [k: string]: unknown;
}

export function prepareClaudeConfig(env: Record<string, string>, cwd: string): string[] {
  const file = claudeConfigFile(env);
  let cfg: ClaudeJson;
  try {
    cfg = readJsonFile<ClaudeJson>(file) ?? {};
  } catch (err) {
    // A file we cannot parse is the user's; never overwrite it.
    return [`left ${file} alone: it is not valid JSON (${(err as Error).message}); Claude Code may show first-run screens`];
  }
  const notes: string[] = [];
  let changed = false;
  const projects = (cfg.projects ??= {});
  if (!isTrusted(projects, cwd)) {
    projects[cwd] = { ...(projects[cwd] ?? {}), hasTrustDialogAccepted: true };
    notes.push(`trusted ${cwd} for Claude Code`);
    changed = true;
  }
  const apiKey = env.ANTHROPIC_API_KEY;
  const hasEnvCredentials = Boolean(apiKey || env.ANTHROPIC_AUTH_TOKEN);
  if (hasEnvCredentials && !cfg.hasCompletedOnboarding) {
    cfg.hasCompletedOnboarding = true;
    notes.push('marked onboarding done: credentials come from the environment');
    changed = true;
  }
  if (apiKey) {
    const tail = apiKey.slice(-20);
    const responses = (cfg.customApiKeyResponses ??= {});
    const approved = (responses.approved ??= []);
    const rejected = responses.rejected ?? [];
    if (!approved.includes(tail) && !rejected.includes(tail)) {
      approved.push(tail);
      notes.push('approved ANTHROPIC_API_KEY from the environment for Claude Code');
      changed = true;
    }
  }
  if (changed) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let mode = 0o600;
    try {
      mode = fs.statSync(file).mode & 0o777;
    } catch {
      /* new file */
    }
    writeFileAtomic(file, JSON.stringify(cfg, null, 2) + '\n', mode);
  }
  return notes;
}

/** Claude accepts trust granted to a parent folder. */
function isTrusted(projects: NonNullable<ClaudeJson['projects']>, cwd: string): boolean {
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    if (projects[dir]?.hasTrustDialogAccepted) return true;
    if (path.dirname(dir) === dir) return false;
  }
}

/** A `statusLine` entry of Claude's settings: `{type: "command", command, padding?, refreshInterval?, …}`. */
export interface ClaudeStatusLine {
  type?: string;
  command: string;
  [k: string]: unknown;
}

/**
 * The status line Claude would show without omni. omni's `--settings` outrank the user's and
 * project settings, so omni's own status line replaces theirs; it runs theirs in turn. Looked
 * up the way Claude ranks them (managed settings, which outrank `--settings` too, are not
 * read: there omni's status line never runs): `.claude/settings.local.json`, then
 * `.claude/settings.json` in the session's folder, then the user's `settings.json` in
 * $CLAUDE_CONFIG_DIR (else ~/.claude). Read once, at launch.
 */
export function userStatusLine(env: Record<string, string>, cwd: string): { statusLine?: ClaudeStatusLine; file?: string; notes: string[] } {
  const userDir = env.CLAUDE_CONFIG_DIR || path.join(env.HOME || '', '.claude');
  const files = [path.join(cwd, '.claude', 'settings.local.json'), path.join(cwd, '.claude', 'settings.json'), path.join(userDir, 'settings.json')];
  const notes: string[] = [];
  for (const file of files) {
    let s: { statusLine?: unknown } | undefined;
    try {
      s = readJsonFile<{ statusLine?: unknown }>(file);
    } catch (err) {
      notes.push(`could not read ${file} for your status line: ${(err as Error).message}`);
      continue;
    }
    const sl = s?.statusLine as Partial<ClaudeStatusLine> | undefined;
    if (sl && typeof sl === 'object' && typeof sl.command === 'string' && sl.command.trim()) {
      return { statusLine: sl as ClaudeStatusLine, file, notes: [...notes, `your status line (from ${file}) runs after omni's cost reader`] };
    }
  }
  return { notes };
}
