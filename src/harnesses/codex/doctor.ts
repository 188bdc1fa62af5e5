import fs from 'node:fs';
import path from 'node:path';
import { readJsonFile } from '../../core/fsutil.js';
import type { CredentialFinding, HarnessDoctor } from '../doctor-types.js';

export const codexDoctor: HarnessDoctor = {
  testedVersion: '0.169.0',
  minVersion: '0.160.0',
  credentialHint: 'export OPENAI_API_KEY, or run `codex login`',
  async credentials(env) {
    const out: CredentialFinding[] = [];
    if (env.OPENAI_API_KEY) out.push({ source: 'OPENAI_API_KEY', detail: 'set in the environment' });
    const home = env.CODEX_HOME || path.join(env.HOME ?? '', '.codex');
    const authFile = path.join(home, 'auth.json');
    try {
      const auth = readJsonFile<{ OPENAI_API_KEY?: string | null; tokens?: unknown; auth_mode?: string }>(authFile);
      if (auth?.tokens) out.push({ source: authFile, detail: 'logged in (ChatGPT)' });
      else if (auth?.OPENAI_API_KEY) out.push({ source: authFile, detail: 'API key stored by codex login' });
    } catch {
      if (fs.existsSync(authFile)) out.push({ source: authFile, detail: 'present (unreadable)' });
    }
    // A custom provider names the variable that holds its key (`env_key`).
    try {
      const toml = fs.readFileSync(path.join(home, 'config.toml'), 'utf8');
      const provider = /^\s*model_provider\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
      if (provider) {
        const section = new RegExp(`\\[model_providers\\.(?:"${provider}"|${provider})\\]([\\s\\S]*?)(?:\\n\\[|$)`).exec(toml)?.[1] ?? '';
        const envKey = /^\s*env_key\s*=\s*"([^"]+)"/m.exec(section)?.[1];
        const baseUrl = /^\s*base_url\s*=\s*"([^"]+)"/m.exec(section)?.[1];
        out.push({
          source: path.join(home, 'config.toml'),
          detail: `provider ${provider}${baseUrl ? ` → ${baseUrl}` : ''}${envKey ? `, key from ${envKey} (${env[envKey] ? 'set' : 'NOT set'})` : ''}`,
        });
      }
    } catch {
      /* no config */
    }
    return out;
  },
};
