import fs from 'node:fs';
import path from 'node:path';
import type { SandboxNeeds } from '../types.js';
import { copilotHome, copilotProvider } from './config.js';

/**
 * What Copilot CLI needs inside omni's sandbox (docs/harnesses/copilot.md, "In omni's sandbox"):
 * its home (config, session state, logs), the cache its native binary unpacks its JavaScript
 * into on first run (`$XDG_CACHE_HOME/copilot`, else ~/.cache/copilot), and the model endpoint:
 * the user's own provider (COPILOT_PROVIDER_BASE_URL) or GitHub's Copilot API. Copilot honours
 * HTTP(S)_PROXY, so it reaches the model through omni's egress proxy.
 */
const GITHUB_ENDPOINTS = ['https://api.githubcopilot.com', 'https://api.individual.githubcopilot.com', 'https://api.business.githubcopilot.com', 'https://api.enterprise.githubcopilot.com', 'https://api.github.com'];

export function copilotCacheDir(env: Record<string, string>): string {
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || '', '.cache'), 'copilot');
}

export function copilotSandboxNeeds(env: Record<string, string>): SandboxNeeds {
  const home = copilotHome(env);
  const cache = copilotCacheDir(env);
  for (const d of [home, cache]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  const provider = copilotProvider(env);
  const endpoints = provider.baseUrl ? [provider.baseUrl] : GITHUB_ENDPOINTS;
  const credentials: SandboxNeeds['modelCredentials'] = [];
  if (provider.baseUrl && provider.keyVar) {
    // Copilot sends a provider key as a bearer token (OpenAI-style) or as x-api-key (anthropic).
    const header = provider.type === 'anthropic' && provider.keyVar === 'COPILOT_PROVIDER_API_KEY' ? 'x-api-key' : provider.type === 'azure' && provider.keyVar === 'COPILOT_PROVIDER_API_KEY' ? 'api-key' : 'authorization';
    credentials.push({ env: provider.keyVar, header, value: header === 'authorization' ? 'Bearer ${secret}' : '${secret}' });
  }
  return {
    env: ['COPILOT_*', 'GH_HOST', 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'XDG_STATE_HOME'],
    writable: [home, cache],
    readable: [],
    modelEndpoints: endpoints,
    modelCredentials: credentials,
  };
}

/**
 * A sandboxed launch: no self-update (the installation is read-only inside and the download
 * would sit as an egress ask). With the user's own provider, Copilot still calls api.github.com
 * at start (measured on 1.0.102), which would hold an egress ask before the first prompt; its
 * offline mode (COPILOT_OFFLINE, made for local providers) keeps it to the provider. That also
 * turns off its GitHub-backed tools (web fetch, the GitHub MCP server). A COPILOT_OFFLINE the user
 * set is kept as it is.
 */
export function copilotSandboxLaunch(env: Record<string, string>): { args: string[]; env: Record<string, string> } {
  const out: Record<string, string> = { COPILOT_AUTO_UPDATE: 'false' };
  if (env.COPILOT_PROVIDER_BASE_URL && env.COPILOT_OFFLINE === undefined) out.COPILOT_OFFLINE = 'true';
  return { args: [], env: out };
}
