import path from 'node:path';
import type { FakeModel } from '../../fake-model/server.js';
import { HARNESS_BIN } from '../../helpers/omni.js';
import type { HarnessTestProfile } from '../profile.js';

/**
 * Copilot CLI is configured the way its users bring their own model (`copilot help providers`):
 * COPILOT_PROVIDER_BASE_URL, COPILOT_PROVIDER_API_KEY and COPILOT_MODEL in the environment, here
 * pointing at the fake's Chat Completions API (Copilot's default wire API), and COPILOT_OFFLINE
 * so it reaches nothing but the provider (no GitHub sign-in, telemetry or self-update). A model
 * the price book knows, so cost is computed. omni writes nothing but the folder trust.
 */
export const COPILOT_FAKE_MODEL = 'gpt-4.1';

export function copilotUserEnv(fake: FakeModel): Record<string, string> {
  return {
    COPILOT_PROVIDER_BASE_URL: `${fake.url}/v1`,
    COPILOT_PROVIDER_API_KEY: 'test-key',
    COPILOT_MODEL: COPILOT_FAKE_MODEL,
    COPILOT_OFFLINE: 'true',
  };
}

export const copilotProfile: HarnessTestProfile = {
  harness: 'copilot',
  api: 'openai-chat',
  binary: path.join(HARNESS_BIN, 'copilot'),
  async setup(_t, fake) {
    return { env: copilotUserEnv(fake) };
  },
  shellTool: { name: 'bash', input: (command) => ({ command, description: 'run a command' }) },
  // Copilot CLI asks before shell commands by default; omni leaves that question to it when it has no opinion.
  asksBeforeCommands: true,
  expected: { startsClean: true, sendReply: true, toolEvents: true, deny: true, heldAsk: true, usage: true, cost: true, interrupt: true, resume: true, sandbox: true },
};
