import fs from 'node:fs';
import path from 'node:path';
import { HARNESS_BIN } from '../../helpers/omni.js';
import type { HarnessTestProfile } from '../profile.js';

/** The model the user's provider serves: a real name, so the price book prices it (openai). */
export const OPENCODE_FAKE_MODEL = 'gpt-4.1';

/**
 * OpenCode is configured the way a user configures it: an OpenAI-compatible provider (bundled
 * in the binary, so nothing is downloaded) in the user's own ~/.config/opencode/opencode.json
 * (here the test's isolated HOME) pointing at the fake, named the default model. omni adds
 * nothing to it; its plugin comes in OPENCODE_CONFIG_CONTENT.
 *
 * The config folder is left as OpenCode leaves it after its first run (package.json,
 * package-lock.json, node_modules for its plugin SDK): a fresh folder makes OpenCode
 * `npm install @opencode-ai/plugin` into it before loading plugins, ~36 s with the registry
 * reachable and ~70 s until it gives up without (measured, 1.18.33), which is not what a
 * user who ran it once sees.
 */
export function writeOpenCodeUserConfig(home: string, baseUrl: string, extra: Record<string, unknown> = {}): void {
  const dir = path.join(home, '.config', 'opencode');
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  const config = {
    $schema: 'https://opencode.ai/config.json',
    model: `fake/${OPENCODE_FAKE_MODEL}`,
    provider: {
      fake: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Fake',
        options: { baseURL: `${baseUrl}/v1`, apiKey: 'test-key' },
        models: { [OPENCODE_FAKE_MODEL]: { name: 'GPT 4.1 (fake)' } },
      },
    },
    ...extra,
  };
  fs.writeFileSync(path.join(dir, 'opencode.json'), JSON.stringify(config, null, 2) + '\n');
  const dep = { '@opencode-ai/plugin': '1.18.33' };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ dependencies: dep }, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: { '': { dependencies: dep } } }, null, 2) + '\n');
}

/** No update check or models.dev fetch: only 127.0.0.1 is reachable in the tests. */
export const OPENCODE_OFFLINE_ENV = { OPENCODE_DISABLE_AUTOUPDATE: '1', OPENCODE_DISABLE_MODELS_FETCH: '1' };

export const opencodeProfile: HarnessTestProfile = {
  harness: 'opencode',
  api: 'openai-chat',
  binary: path.join(HARNESS_BIN, 'opencode'),
  async setup(t, fake) {
    writeOpenCodeUserConfig(t.home, fake.url);
    return { env: { ...OPENCODE_OFFLINE_ENV } };
  },
  shellTool: { name: 'bash', input: (command) => ({ command, description: 'run a command' }) },
  // OpenCode asks before a command that reaches outside the project (its `external_directory`
  // default, as the sandbox cell's probe of ~/.conf-secret does); omni leaves that question to it.
  asksBeforeCommands: true,
  expected: { startsClean: true, sendReply: true, toolEvents: true, deny: true, heldAsk: true, usage: true, cost: true, interrupt: true, resume: true, sandbox: true },
};
