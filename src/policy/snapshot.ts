import { loadPolicyRef, parsePolicyText } from './rules.js';
import type { Level, LoadedPolicy } from './types.js';

/** A policy as a session was started with it: the text is kept, so edits to the file later
 * do not change a running session, and a restarted daemon loads exactly the same rules. */
export interface PolicySnapshot {
  source: string;
  text?: string;
  ref?: string;
  level: Level;
}

export interface CompileOptions {
  /** Relative file refs resolve against this. */
  cwd: string;
  configDir: string;
  /** For `~` in globs and paths (default: os.homedir()). */
  home?: string;
}

/**
 * Compile a snapshot into policies: its kept text, or else its ref (a builtin, a name in
 * `<configDir>/policies`, a file), whose text and source are then filled in so it can be kept.
 * Shared by the daemon (sessions) and `omni policy test`. Throws YamlError (file:line:col)
 * or Error (an unknown ref).
 */
export function compileSnapshot(s: PolicySnapshot, opts: CompileOptions): LoadedPolicy[] {
  if (s.text !== undefined) return parsePolicyText(s.text, s.source, s.level, { home: opts.home });
  const loaded = loadPolicyRef(s.ref ?? s.source, { cwd: opts.cwd, configDir: opts.configDir, level: s.level, home: opts.home });
  s.text = loaded.text;
  s.source = loaded.source;
  return loaded.policies;
}
