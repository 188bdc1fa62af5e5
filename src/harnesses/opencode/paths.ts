import { parseJsonc } from '../../core/jsonc.js';
import fs from 'node:fs';
import path from 'node:path';

/** OpenCode follows XDG: config in ~/.config/opencode, state in ~/.local/share/opencode (its DB, snapshots, logs). */
export function opencodeConfigDir(env: Record<string, string>): string {
  return path.join(env.XDG_CONFIG_HOME || path.join(env.HOME ?? '', '.config'), 'opencode');
}

export function opencodeDataDir(env: Record<string, string>): string {
  return path.join(env.XDG_DATA_HOME || path.join(env.HOME ?? '', '.local', 'share'), 'opencode');
}

export function opencodeStateDir(env: Record<string, string>): string {
  return path.join(env.XDG_STATE_HOME || path.join(env.HOME ?? '', '.local', 'state'), 'opencode');
}

export function opencodeCacheDir(env: Record<string, string>): string {
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME ?? '', '.cache'), 'opencode');
}

export interface OpenCodeProviderConfig {
  npm?: string;
  options?: { baseURL?: string; apiKey?: string };
}

export interface OpenCodeUserConfig {
  provider?: Record<string, OpenCodeProviderConfig | undefined>;
}

/** The user's global config (opencode.json, else opencode.jsonc with comments stripped). */
export function readUserConfig(env: Record<string, string>): { file: string; config?: OpenCodeUserConfig; error?: string } {
  const dir = opencodeConfigDir(env);
  for (const name of ['opencode.json', 'opencode.jsonc', 'config.json']) {
    const file = path.join(dir, name);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    try {
      return { file, config: parseJsonc(text) as OpenCodeUserConfig };
    } catch {
      return { file, error: 'present but not valid JSON' };
    }
  }
  return { file: path.join(dir, 'opencode.json') };
}

