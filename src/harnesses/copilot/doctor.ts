import fs from 'node:fs';
import path from 'node:path';
import type { CredentialFinding, HarnessDoctor } from '../doctor-types.js';
import { copilotHome, copilotProvider } from './config.js';

export const copilotDoctor: HarnessDoctor = {
  testedVersion: '1.0.102',
  minVersion: '1.0.0',
  credentialHint: 'run `copilot` and /login, export COPILOT_GITHUB_TOKEN, or use your own provider (COPILOT_PROVIDER_BASE_URL, COPILOT_MODEL)',
  async credentials(env) {
    const out: CredentialFinding[] = [];
    const p = copilotProvider(env);
    if (p.baseUrl) {
      out.push({ source: 'COPILOT_PROVIDER_BASE_URL', detail: `own provider (${p.type}) → ${p.baseUrl}${p.keyVar ? `, key from ${p.keyVar}` : ''}${env.COPILOT_MODEL ? `, model ${env.COPILOT_MODEL}` : ', COPILOT_MODEL NOT set'}` });
    }
    for (const k of ['COPILOT_GITHUB_TOKEN', 'GH_TOKEN', 'GITHUB_TOKEN']) if (env[k]) out.push({ source: k, detail: 'set in the environment' });
    const file = path.join(copilotHome(env), 'config.json');
    try {
      const text = fs.readFileSync(file, 'utf8');
      // Logins are kept in the system keychain; config.json names the accounts (never a token).
      if (/"(loggedInUsers|lastLoggedInUser)"/.test(text)) out.push({ source: file, detail: 'logged in (GitHub)' });
    } catch {
      /* never started */
    }
    return out;
  },
};
