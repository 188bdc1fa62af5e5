import fs from 'node:fs';
import path from 'node:path';
import type { FakeModel } from '../../fake-model/server.js';
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

/**
 * Qwen Code 0.24.4 in its default ("auto") approval mode asks the model to classify each tool
 * call before running it ("## Pending tool call to classify", answered through a forced
 * `respond_in_schema` tool call). Scripted first, so these requests never eat a test's turns.
 * `allow`: the model judges the call harmless (`{shouldBlock: false}`), as a real one would an
 * `echo`, and Qwen runs it after omni's PreToolUse gate. `undecided`: an answer Qwen cannot read,
 * so it falls back to its permission dialog, which omni's PermissionRequest hook answers.
 */
export function answerQwenClassifier(fake: FakeModel, how: 'allow' | 'undecided'): void {
  const turn = how === 'allow' ? { toolUses: [{ name: 'respond_in_schema', input: { shouldBlock: false } }] } : { text: 'no verdict' };
  fake.script({ name: 'qwen-classifier', match: (r) => /^## Pending tool call to classify/.test(r.latestUserText), turns: Array.from({ length: 200 }, () => turn) });
}

export const qwenProfile: HarnessTestProfile = {
  harness: 'qwen',
  api: 'openai-chat',
  binary: path.join(HARNESS_BIN, 'qwen'),
  async setup(t, fake) {
    // Qwen as its users start it: auto mode, its classifier judging the suite's commands harmless.
    writeQwenUserConfig(t.home, fake.url);
    answerQwenClassifier(fake, 'allow');
    return {};
  },
  shellTool: { name: 'run_shell_command', input: (command) => ({ command, description: 'run it' }) },
  expected: { startsClean: true, sendReply: true, toolEvents: true, deny: true, heldAsk: true, usage: true, cost: true, interrupt: true, resume: true, sandbox: true },
};
