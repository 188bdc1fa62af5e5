import fs from 'node:fs';
import path from 'node:path';
import type { FakeModel } from '../../fake-model/server.js';
import { HARNESS_BIN, type TestEnv } from '../../helpers/omni.js';
import type { HarnessTestProfile } from '../profile.js';

/** A model the price book knows, so cost is computed from the fake's token counts. */
export const GEMINI_TEST_MODEL = 'gemini-2.5-pro';

/**
 * Gemini CLI is configured the way a user with an API key configures it: "Use Gemini API key"
 * chosen once (`security.auth.selectedType` in their own ~/.gemini/settings.json, here in the
 * test's isolated HOME), GEMINI_API_KEY in the environment, and GOOGLE_GEMINI_BASE_URL pointing
 * the CLI's Gemini API client at the fake, and a default model. omni writes nothing there.
 */
export function writeGeminiUserConfig(home: string): string {
  const dir = path.join(home, '.gemini');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } }, model: { name: GEMINI_TEST_MODEL } }, null, 2) + '\n');
  return dir;
}

export function geminiUserEnv(fake: FakeModel): Record<string, string> {
  return { GEMINI_API_KEY: 'test-key', GOOGLE_GEMINI_BASE_URL: fake.url };
}

export const geminiProfile: HarnessTestProfile = {
  harness: 'gemini',
  api: 'gemini',
  binary: path.join(HARNESS_BIN, 'gemini'),
  async setup(t: TestEnv, fake) {
    writeGeminiUserConfig(t.home);
    return { env: geminiUserEnv(fake) };
  },
  shellTool: { name: 'run_shell_command', input: (command) => ({ command, description: 'conformance' }) },
  // Gemini CLI asks before shell commands by default; omni leaves that question to it when it has no opinion.
  asksBeforeCommands: true,
  expected: { startsClean: true, sendReply: true, toolEvents: true, deny: true, heldAsk: true, usage: true, cost: true, interrupt: true, resume: true, sandbox: true },
};
