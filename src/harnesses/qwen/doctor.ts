import fs from 'node:fs';
import path from 'node:path';
import type { CredentialFinding, HarnessDoctor } from '../doctor-types.js';
import { parseJsonc } from '../../core/jsonc.js';

/** Provider keys Qwen Code reads from the environment (its OpenAI-compatible mode and the others it speaks). */
const ENV_KEYS = ['OPENAI_API_KEY', 'DASHSCOPE_API_KEY', 'BAILIAN_CODING_PLAN_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY'];

/** Qwen's home: $QWEN_HOME, else ~/.qwen. */
export function qwenHome(env: Record<string, string>): string {
  const h = env.QWEN_HOME;
  if (!h) return path.join(env.HOME ?? '', '.qwen');
  if (h === '~') return env.HOME ?? '';
  return h.startsWith('~/') ? path.join(env.HOME ?? '', h.slice(2)) : path.resolve(h);
}

export const qwenDoctor: HarnessDoctor = {
  testedVersion: '0.24.4',
  minVersion: '0.24.0',
  credentialHint: 'export OPENAI_API_KEY with OPENAI_BASE_URL and OPENAI_MODEL (or DASHSCOPE_API_KEY), or run `qwen` once and connect a provider',
  async credentials(env) {
    const out: CredentialFinding[] = [];
    for (const k of ENV_KEYS) if (env[k]) out.push({ source: k, detail: 'set in the environment' });
    if (env.OPENAI_BASE_URL) out.push({ source: 'OPENAI_BASE_URL', detail: `model endpoint ${env.OPENAI_BASE_URL}` });
    const home = qwenHome(env);
    const settingsFile = path.join(home, 'settings.json');
    if (fs.existsSync(settingsFile)) {
      try {
        const s = parseJsonc(fs.readFileSync(settingsFile, 'utf8')) as { security?: { auth?: { selectedType?: string; apiKey?: string; baseUrl?: string } }; model?: { name?: string } };
        const auth = s.security?.auth;
        if (auth?.selectedType) out.push({ source: settingsFile, detail: `auth ${auth.selectedType}${auth.baseUrl ? ` → ${auth.baseUrl}` : ''}${auth.apiKey ? ', key set' : ''}${s.model?.name ? `, model ${s.model.name}` : ''}` });
      } catch {
        out.push({ source: settingsFile, detail: 'present but not valid JSON' });
      }
    }
    for (const f of [path.join(home, '.env'), path.join(home, 'oauth_creds.json')]) if (fs.existsSync(f)) out.push({ source: f, detail: 'present' });
    return out;
  },
};
