import fs from 'node:fs';
import type { SandboxNeeds } from '../types.js';
import { opencodeCacheDir, opencodeConfigDir, opencodeDataDir, opencodeStateDir, readUserConfig } from './paths.js';

/** Providers OpenCode reaches without a baseURL of the user's (its built-in ones most used). */
const BUILTIN_ENDPOINTS = ['https://api.anthropic.com', 'https://api.openai.com', 'https://generativelanguage.googleapis.com', 'https://openrouter.ai', 'https://api.groq.com', 'https://api.x.ai', 'https://api.mistral.ai', 'https://opencode.ai'];
const PROVIDER_VARS = ['ANTHROPIC_*', 'OPENAI_*', 'GEMINI_API_KEY', 'GOOGLE_GENERATIVE_AI_API_KEY', 'OPENROUTER_API_KEY', 'GROQ_API_KEY', 'XAI_API_KEY', 'MISTRAL_API_KEY'];

/**
 * What OpenCode needs inside omni's sandbox: its state (DB, snapshots, logs), cache, XDG state and
 * config folder written. A read-only config folder makes 1.18.33 exit with code 1 at start
 * (measured: it writes a .gitignore there before loading plugins). A folder OpenCode has not
 * used yet gets its `npm install @opencode-ai/plugin`, which in the sandbox is an egress ask.
 */
export function opencodeSandboxNeeds(env: Record<string, string>): SandboxNeeds {
  const writable = [opencodeDataDir(env), opencodeStateDir(env), opencodeCacheDir(env)];
  for (const d of writable) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  const endpoints = new Set(BUILTIN_ENDPOINTS);
  for (const p of Object.values(readUserConfig(env).config?.provider ?? {})) {
    const base = p?.options?.baseURL;
    if (typeof base === 'string' && /^https?:\/\//.test(base)) endpoints.add(base);
  }
  return {
    env: ['OPENCODE_*', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME', 'XDG_CACHE_HOME', ...PROVIDER_VARS],
    writable: [...writable, opencodeConfigDir(env)],
    readable: [],
    modelEndpoints: [...endpoints],
    // Provider keys pass as they are: which header each provider wants is OpenCode's knowledge.
    modelCredentials: [],
  };
}
