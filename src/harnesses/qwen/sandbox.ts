import fs from 'node:fs';
import type { SandboxNeeds } from '../types.js';
import { qwenHome } from './doctor.js';

/** Providers Qwen Code reaches without a base URL of the user's (its OpenAI mode's default, DashScope). */
const DEFAULT_ENDPOINTS = ['https://api.openai.com/v1', 'https://dashscope.aliyuncs.com/compatible-mode/v1', 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1'];

/**
 * What Qwen Code needs inside omni's sandbox: its home (~/.qwen: chats, settings, the auto mode
 * acknowledgement, usage stats) writable, its variables, and the model endpoint with the key the
 * proxy adds (OPENAI_API_KEY as a Bearer token, DASHSCOPE_API_KEY likewise).
 */
export function qwenSandboxNeeds(env: Record<string, string>): SandboxNeeds {
  const home = qwenHome(env);
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const endpoints = env.OPENAI_BASE_URL ? [env.OPENAI_BASE_URL] : DEFAULT_ENDPOINTS;
  return {
    env: ['OPENAI_*', 'QWEN_*', 'DASHSCOPE_*', 'NO_BROWSER', 'DEBUG'],
    writable: [home],
    readable: [],
    modelEndpoints: endpoints,
    modelCredentials: [
      { env: 'OPENAI_API_KEY', header: 'authorization', value: 'Bearer ${secret}' },
      { env: 'DASHSCOPE_API_KEY', header: 'authorization', value: 'Bearer ${secret}' },
    ],
  };
}
