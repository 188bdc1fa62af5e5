import fs from 'node:fs';
import path from 'node:path';
import { HARNESS_BIN } from '../../helpers/omni.js';
import type { HarnessTestProfile } from '../profile.js';

/** Prices per million tokens, as a user would put them in models.json; Pi reports cost from them. */
export const PI_FAKE_COST = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };

/**
 * Pi is configured the way a user configures it: a provider in the user's own
 * ~/.pi/agent/models.json (here the test's isolated HOME) pointing at the fake, and
 * settings.json naming it the default, so Pi starts straight at its prompt. omni adds
 * nothing to Pi's config; it only passes its extension with -e.
 */
export function writePiUserConfig(home: string, baseUrl: string): void {
  const dir = path.join(home, '.pi', 'agent');
  fs.mkdirSync(dir, { recursive: true });
  const models = {
    providers: {
      fake: {
        baseUrl,
        api: 'anthropic-messages',
        apiKey: 'test-key',
        models: [{ id: 'fake-model', name: 'Fake Model', cost: PI_FAKE_COST }],
      },
    },
  };
  fs.writeFileSync(path.join(dir, 'models.json'), JSON.stringify(models, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ defaultProvider: 'fake', defaultModel: 'fake-model' }, null, 2) + '\n');
}

export const piProfile: HarnessTestProfile = {
  harness: 'pi',
  api: 'anthropic',
  binary: path.join(HARNESS_BIN, 'pi'),
  async setup(t, fake) {
    writePiUserConfig(t.home, fake.url);
    // No update checks, telemetry, or fd/ripgrep downloads: only 127.0.0.1 is reachable.
    return { env: { PI_OFFLINE: '1' } };
  },
  shellTool: { name: 'bash', input: (command) => ({ command }) },
  expected: { startsClean: true, sendReply: true, toolEvents: true, deny: true, heldAsk: true, usage: true, cost: true, interrupt: true, resume: true, sandbox: true },
};
