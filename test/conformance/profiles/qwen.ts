import fs from 'node:fs';
import path from 'node:path';
import { HARNESS_BIN } from '../../helpers/omni.js';
import type { HarnessTestProfile } from '../profile.js';

/** A model the price book knows, served through Qwen Code's OpenAI-compatible mode. */
export const QWEN_FAKE_MODEL = 'gpt-4.1';

/**
 * Qwen Code is configured the way its users configure an OpenAI-compatible provider: in their
 * own ~/.qwen/settings.json (here the test's isolated HOME), `security.auth.selectedType:
 * "openai"` with the key and base URL, and the model's name. omni writes nothing there; its
 * hooks go in a system settings file of its own (QWEN_CODE_SYSTEM_SETTINGS_PATH).
 */
export function writeQwenUserConfig(home: string, fakeUrl: string, extra: Record<string, unknown> = {}): string {
  const dir = path.join(home, '.qwen');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'settings.json');
  const settings = {
    security: { auth: { selectedType: 'openai', apiKey: 'test-key', baseUrl: `${fakeUrl}/v1` } },
    model: { name: QWEN_FAKE_MODEL },
    ...extra,
  };
  fs.writeFileSync(file, JSON.stringify(settings, null, 2) + '\n');
  return file;
}

export const qwenProfile: HarnessTestProfile = {
  harness: 'qwen',
  api: 'openai-chat',
  binary: path.join(HARNESS_BIN, 'qwen'),
  async setup(t, fake) {
    writeQwenUserConfig(t.home, fake.url);
    // 0.24.4 defaults to "auto" mode, whose classifier asks the model about every tool call; as
    // with Claude's profile, the suite runs Qwen in its default mode with the shell tool allowed,
    // so the cells test omni's gate (PreToolUse) rather than Qwen's own dialog. The e2e test
    // (test/e2e/qwen.test.ts) runs Qwen with its defaults and omni answering the dialog.
    return { args: ['--approval-mode', 'default', '--allowed-tools', 'run_shell_command'] };
  },
  shellTool: { name: 'run_shell_command', input: (command) => ({ command, description: 'run it' }) },
  expected: { startsClean: true, sendReply: true, toolEvents: true, deny: true, heldAsk: true, usage: true, cost: true, interrupt: true, resume: true, sandbox: true },
};
