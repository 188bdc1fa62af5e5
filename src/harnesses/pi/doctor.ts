import path from 'node:path';
import { readJsonFile } from '../../core/fsutil.js';
import type { CredentialFinding, HarnessDoctor } from '../doctor-types.js';

/** Provider keys Pi reads from the environment (its built-in providers). */
const ENV_KEYS = ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'GROQ_API_KEY', 'XAI_API_KEY', 'OPENROUTER_API_KEY', 'MISTRAL_API_KEY', 'CEREBRAS_API_KEY'];

export const piDoctor: HarnessDoctor = {
  testedVersion: '0.73.1',
  minVersion: '0.70.0',
  credentialHint: 'export a provider key (e.g. ANTHROPIC_API_KEY), run `pi` and /login, or add a provider to ~/.pi/agent/models.json',
  async credentials(env) {
    const out: CredentialFinding[] = [];
    for (const k of ENV_KEYS) if (env[k]) out.push({ source: k, detail: 'set in the environment' });
    const dir = env.PI_CODING_AGENT_DIR || path.join(env.HOME ?? '', '.pi', 'agent');
    try {
      const models = readJsonFile<{ providers?: Record<string, { baseUrl?: string; apiKey?: string; api?: string }> }>(path.join(dir, 'models.json'));
      for (const [name, p] of Object.entries(models?.providers ?? {})) {
        out.push({ source: path.join(dir, 'models.json'), detail: `provider ${name}${p.api ? ` (${p.api})` : ''}${p.baseUrl ? ` → ${p.baseUrl}` : ''}${p.apiKey ? ', key set' : ''}` });
      }
    } catch {
      out.push({ source: path.join(dir, 'models.json'), detail: 'present but not valid JSON' });
    }
    try {
      const auth = readJsonFile<Record<string, unknown>>(path.join(dir, 'auth.json'));
      for (const provider of Object.keys(auth ?? {})) out.push({ source: path.join(dir, 'auth.json'), detail: `logged in to ${provider}` });
    } catch {
      /* no logins */
    }
    return out;
  },
};
