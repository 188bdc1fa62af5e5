import fs from 'node:fs';
import path from 'node:path';
import type { CredentialFinding, HarnessDoctor } from '../doctor-types.js';
import { opencodeDataDir, readUserConfig } from './paths.js';

/** Provider keys OpenCode reads from the environment (its built-in providers). */
const ENV_KEYS = ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_GENERATIVE_AI_API_KEY', 'OPENROUTER_API_KEY', 'GROQ_API_KEY', 'XAI_API_KEY', 'MISTRAL_API_KEY', 'OPENCODE_API_KEY'];

export const opencodeDoctor: HarnessDoctor = {
  testedVersion: '1.18.33',
  minVersion: '1.18.0',
  credentialHint: 'run `opencode auth login`, export a provider key (e.g. ANTHROPIC_API_KEY), or add a provider to ~/.config/opencode/opencode.json',
  async credentials(env) {
    const out: CredentialFinding[] = [];
    for (const k of ENV_KEYS) if (env[k]) out.push({ source: k, detail: 'set in the environment' });
    const { file, config, error } = readUserConfig(env);
    if (error) out.push({ source: file, detail: error });
    for (const [name, p] of Object.entries(config?.provider ?? {})) {
      const base = p?.options?.baseURL;
      out.push({ source: file, detail: `provider ${name}${p?.npm ? ` (${p.npm})` : ''}${base ? ` → ${base}` : ''}${p?.options?.apiKey ? ', key set' : ''}` });
    }
    const auth = path.join(opencodeDataDir(env), 'auth.json');
    try {
      const logins = JSON.parse(fs.readFileSync(auth, 'utf8')) as Record<string, unknown>;
      for (const provider of Object.keys(logins ?? {})) out.push({ source: auth, detail: `logged in to ${provider}` });
    } catch {
      /* no logins */
    }
    return out;
  },
};
