import path from 'node:path';
import { readJsonFile } from '../../core/fsutil.js';
import type { CredentialFinding, HarnessDoctor } from '../doctor-types.js';
import { readUserSettings, userGeminiDir } from './home.js';

export const geminiDoctor: HarnessDoctor = {
  testedVersion: '0.61.0',
  minVersion: '0.61.0',
  credentialHint: 'export GEMINI_API_KEY (and choose "Use Gemini API key" in `gemini`), or run `gemini` and sign in with Google',
  async credentials(env) {
    const out: CredentialFinding[] = [];
    for (const k of ['GEMINI_API_KEY', 'GOOGLE_API_KEY']) if (env[k]) out.push({ source: k, detail: 'set in the environment' });
    if (env.GOOGLE_GENAI_USE_VERTEXAI === 'true') out.push({ source: 'GOOGLE_GENAI_USE_VERTEXAI', detail: `Vertex AI${env.GOOGLE_CLOUD_PROJECT ? ` (project ${env.GOOGLE_CLOUD_PROJECT})` : ''}` });
    if (env.GOOGLE_GEMINI_BASE_URL) out.push({ source: 'GOOGLE_GEMINI_BASE_URL', detail: `model endpoint ${env.GOOGLE_GEMINI_BASE_URL}` });
    const dir = userGeminiDir(env);
    try {
      const settings = readUserSettings(dir) as { security?: { auth?: { selectedType?: string } } };
      const type = settings.security?.auth?.selectedType;
      if (type) out.push({ source: path.join(dir, 'settings.json'), detail: `auth type ${type}` });
    } catch {
      out.push({ source: path.join(dir, 'settings.json'), detail: 'present but not valid JSON' });
    }
    try {
      if (readJsonFile<unknown>(path.join(dir, 'oauth_creds.json'))) out.push({ source: path.join(dir, 'oauth_creds.json'), detail: 'signed in with Google' });
    } catch {
      /* no login */
    }
    return out;
  },
};
