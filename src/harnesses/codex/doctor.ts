import fs from 'node:fs';
import path from 'node:path';
import { readJsonFile } from '../../core/fsutil.js';
import type { CredentialFinding, HarnessDoctor } from '../doctor-types.js';
import { codexProvider } from './config.js';

export const codexDoctor: HarnessDoctor = {
  testedVersion: '0.171.0',
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
    const p = codexProvider(env);
    if (p.name) {
      out.push({
        source: p.file,
        detail: `provider ${p.name}${p.baseUrl ? ` → ${p.baseUrl}` : ''}${p.envKey ? `, key from ${p.envKey} (${env[p.envKey] ? 'set' : 'NOT set'})` : ''}`,
      });
    }
    return out;
  },
};
