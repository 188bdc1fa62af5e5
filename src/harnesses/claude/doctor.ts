import fs from 'node:fs';
import path from 'node:path';
import { readJsonFile } from '../../core/fsutil.js';
import type { CredentialFinding, HarnessDoctor } from '../doctor-types.js';

/** Where Claude Code gets credentials from, in the order it prefers them. Secrets are never read out. */
export const claudeDoctor: HarnessDoctor = {
  testedVersion: '2.1.332',
  minVersion: '2.1.0',
  credentialHint: 'export ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN), or run `claude` once and log in',
  async credentials(env) {
    const out: CredentialFinding[] = [];
    for (const v of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN']) if (env[v]) out.push({ source: v, detail: 'set in the environment' });
    if (env.CLAUDE_CODE_USE_BEDROCK) out.push({ source: 'CLAUDE_CODE_USE_BEDROCK', detail: 'Amazon Bedrock (AWS credentials)' });
    if (env.CLAUDE_CODE_USE_VERTEX) out.push({ source: 'CLAUDE_CODE_USE_VERTEX', detail: 'Google Vertex AI (gcloud credentials)' });
    if (env.ANTHROPIC_BASE_URL) out.push({ source: 'ANTHROPIC_BASE_URL', detail: `model endpoint ${env.ANTHROPIC_BASE_URL}` });
    const dir = env.CLAUDE_CONFIG_DIR || path.join(env.HOME ?? '', '.claude');
    for (const f of [path.join(dir, 'settings.json')]) {
      try {
        const s = readJsonFile<{ apiKeyHelper?: string }>(f);
        if (s?.apiKeyHelper) out.push({ source: f, detail: 'apiKeyHelper command' });
      } catch {
        /* unreadable settings: Claude will say so itself */
      }
    }
    const creds = path.join(dir, '.credentials.json');
    try {
      const c = readJsonFile<{ claudeAiOauth?: { subscriptionType?: string } }>(creds);
      if (c?.claudeAiOauth) out.push({ source: creds, detail: `logged in (claude.ai${c.claudeAiOauth.subscriptionType ? `, ${c.claudeAiOauth.subscriptionType}` : ''})` });
    } catch {
      if (fs.existsSync(creds)) out.push({ source: creds, detail: 'present (unreadable)' });
    }
    return out;
  },
};
