import fs from 'node:fs';
import path from 'node:path';
import { readJsonFile } from '../../core/fsutil.js';

/** What the extension records at every session_start (`<sessionDir>/pi-session.json`). */
export interface PiSessionState {
  sessionId?: string;
  sessionFile?: string;
  cwd?: string;
}

export const STATE_FILE = 'pi-session.json';

/** Pi's session directory for this environment (`--session-dir` aside). */
export function piSessionsDir(env: Record<string, string>): string {
  if (env.PI_CODING_AGENT_SESSION_DIR) return env.PI_CODING_AGENT_SESSION_DIR;
  const agentDir = env.PI_CODING_AGENT_DIR || path.join(env.HOME ?? '', '.pi', 'agent');
  return path.join(agentDir, 'sessions');
}

/**
 * The exact session file to resume for Pi session `id`: the one the extension recorded, else a
 * `<timestamp>_<id>.jsonl` in Pi's session directory (one folder per project). `--session` with
 * a path opens exactly that file; with a bare id Pi searches by prefix and, for a session of
 * another project, asks on stdin whether to fork — so a path is always preferred.
 */
export function resolvePiSessionFile(id: string, stateFile: string, env: Record<string, string>): string | undefined {
  if (id.includes('/') || id.endsWith('.jsonl')) return id;
  let state: PiSessionState | undefined;
  try {
    state = readJsonFile<PiSessionState>(stateFile);
  } catch {
    state = undefined;
  }
  if (state?.sessionId === id && state.sessionFile && path.isAbsolute(state.sessionFile)) return state.sessionFile;
  const root = piSessionsDir(env);
  let dirs: string[];
  try {
    dirs = fs.readdirSync(root);
  } catch {
    return undefined;
  }
  for (const d of dirs) {
    let files: string[];
    try {
      files = fs.readdirSync(path.join(root, d));
    } catch {
      continue;
    }
    const hit = files.find((f) => f.endsWith(`_${id}.jsonl`));
    if (hit) return path.join(root, d, hit);
  }
  return undefined;
}
