import path from 'node:path';
import { HARNESS_BIN } from '../../helpers/omni.js';
import type { HarnessTestProfile } from '../profile.js';

export const claudeProfile: HarnessTestProfile = {
  harness: 'claude',
  api: 'anthropic',
  binary: path.join(HARNESS_BIN, 'claude'),
  async setup(_t, fake) {
    return { env: { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_AUTH_TOKEN: 'test-token' } };
  },
  shellTool: { name: 'Bash', input: (command) => ({ command, description: 'run it' }) },
  expected: { startsClean: true, sendReply: true, toolEvents: true, deny: true, heldAsk: true, usage: true, cost: true, interrupt: true, resume: true, sandbox: true },
};
