import fs from 'node:fs';
import type { SandboxNeeds } from '../types.js';
import { userGeminiDir } from './home.js';

/** The Gemini API, unless the user points Gemini CLI elsewhere (a gateway, the fake model). */
export const GEMINI_API = 'https://generativelanguage.googleapis.com';

/**
 * What Gemini CLI needs inside omni's sandbox. It writes its chats, history and trust to the
 * user's `~/.gemini` (linked from omni's GEMINI_CLI_HOME), and reaches the model through
 * HTTPS_PROXY: with a proxy set it installs undici's EnvHttpProxyAgent as the global dispatcher
 * (0.61.0), so its fetch goes through omni's proxy. The API key travels as `x-goog-api-key`.
 */
export function geminiSandboxNeeds(env: Record<string, string>): SandboxNeeds {
  const dir = userGeminiDir(env);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const endpoints = [env.GOOGLE_GEMINI_BASE_URL || GEMINI_API];
  return {
    env: ['GEMINI_*', 'GOOGLE_GEMINI_BASE_URL', 'GOOGLE_API_KEY', 'GOOGLE_GENAI_*', 'GOOGLE_CLOUD_PROJECT', 'GOOGLE_CLOUD_LOCATION', 'NO_BROWSER'],
    writable: [dir],
    readable: [],
    modelEndpoints: endpoints,
    modelCredentials: [
      { env: 'GEMINI_API_KEY', header: 'x-goog-api-key', value: '${secret}' },
      { env: 'GOOGLE_API_KEY', header: 'x-goog-api-key', value: '${secret}' },
    ],
  };
}
