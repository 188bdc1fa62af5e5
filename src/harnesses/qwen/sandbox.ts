import fs from 'node:fs';
import path from 'node:path';
import type { SandboxNeeds } from '../types.js';
import { qwenHome } from './doctor.js';
import { parseJsonc } from '../../core/jsonc.js';

/** Providers Qwen Code reaches without a base URL of the user's (its OpenAI mode's default, DashScope). */
const DEFAULT_ENDPOINTS = ['https://api.openai.com/v1', 'https://dashscope.aliyuncs.com/compatible-mode/v1', 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1'];

interface QwenSettingsFile {
  security?: { auth?: { baseUrl?: unknown } };
  modelProviders?: Record<string, unknown>;
}

/** Base URLs a settings file names: `security.auth.baseUrl` and each `modelProviders` model's `baseUrl`. */
export function settingsBaseUrls(file: string): string[] {
  let s: QwenSettingsFile;
  try {
    s = parseJsonc(fs.readFileSync(file, 'utf8')) as QwenSettingsFile;
  } catch {
    return []; // absent or unreadable: Qwen will say so itself
  }
  const out: string[] = [];
  if (typeof s?.security?.auth?.baseUrl === 'string') out.push(s.security.auth.baseUrl);
  for (const models of Object.values(s?.modelProviders ?? {})) {
    for (const m of Array.isArray(models) ? models : []) {
      const url = (m as { baseUrl?: unknown } | null)?.baseUrl;
      if (typeof url === 'string') out.push(url);
    }
  }
  return out;
}

/**
 * What Qwen Code needs inside omni's sandbox: its home (~/.qwen: chats, settings, the auto mode
 * acknowledgement, usage stats) writable, its variables, and its model endpoints: OPENAI_BASE_URL
 * and the base URLs of the user's and the workspace's settings (else its defaults), with the
 * keys the proxy adds (OPENAI_API_KEY and DASHSCOPE_API_KEY as Bearer tokens). A key written
 * in settings.json stays where it is, in Qwen's own state.
 */
export function qwenSandboxNeeds(env: Record<string, string>, cwd: string): SandboxNeeds {
  const home = qwenHome(env);
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const named = [
    ...(env.OPENAI_BASE_URL ? [env.OPENAI_BASE_URL] : []),
    ...settingsBaseUrls(path.join(home, 'settings.json')),
    ...settingsBaseUrls(path.join(cwd, '.qwen', 'settings.json')),
  ];
  return {
    env: ['OPENAI_*', 'QWEN_*', 'DASHSCOPE_*', 'NO_BROWSER', 'DEBUG'],
    writable: [home],
    readable: [],
    modelEndpoints: named.length ? [...new Set(named)] : DEFAULT_ENDPOINTS,
    modelCredentials: [
      { env: 'OPENAI_API_KEY', header: 'authorization', value: 'Bearer ${secret}' },
      { env: 'DASHSCOPE_API_KEY', header: 'authorization', value: 'Bearer ${secret}' },
    ],
  };
}
