import fs from 'node:fs';
import path from 'node:path';
import type { FakeModel } from '../../fake-model/server.js';
import { HARNESS_BIN, type TestEnv } from '../../helpers/omni.js';
import type { HarnessTestProfile } from '../profile.js';

/** The variable the user's provider reads its key from (`env_key`). */
export const CODEX_FAKE_KEY_VAR = 'FAKE_OPENAI_API_KEY';

/**
 * Codex is configured the way a user configures it: a provider in their own
 * ~/.codex/config.toml (here the test's isolated HOME) pointing at the fake's Responses API
 * (Codex 0.169 ignores OPENAI_BASE_URL), a model slug Codex knows, and no outside traffic.
 * omni itself writes nothing there; it passes its hooks and folder trust with `-c`.
 */
export function writeCodexUserConfig(home: string, fakeUrl: string): string {
  const dir = path.join(home, '.codex');
  fs.mkdirSync(dir, { recursive: true });
  const toml = [
    'model = "gpt-5.5"',
    'model_provider = "fake"',
    'check_for_update_on_startup = false',
    '',
    '[model_providers.fake]',
    'name = "Fake"',
    `base_url = "${fakeUrl}/v1"`,
    'wire_api = "responses"',
    `env_key = "${CODEX_FAKE_KEY_VAR}"`,
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[features]',
    'plugins = false',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'config.toml'), toml);
  return dir;
}

/**
 * The environment a Codex user has: the key, and a TMPDIR that does not contain ~/.codex.
 * (The tests' HOME is under /tmp, and Codex will not install its sandbox helpers under the
 * temporary directory; then every sandboxed command fails.)
 */
export function codexUserEnv(t: TestEnv): Record<string, string> {
  const tmp = path.join(t.dir, 'tmp');
  fs.mkdirSync(tmp, { recursive: true });
  return { [CODEX_FAKE_KEY_VAR]: 'test-key', TMPDIR: tmp };
}

/**
 * The Codex TUI asks the model for a thread title alongside the first prompt of a thread
 * ("Generate a concise, single-line task title …", with the user's prompt quoted in it and
 * tools attached). It would match the test's scripts and eat their turns; answer it first,
 * with the JSON Codex expects, so it is asked once per thread.
 */
export function answerCodexTitles(fake: FakeModel): void {
  fake.script({
    name: 'codex-thread-title',
    match: /^Generate a concise, single-line task title/,
    turns: Array.from({ length: 200 }, () => ({ text: '{"title":"Omni test"}' })),
  });
}

export const codexProfile: HarnessTestProfile = {
  harness: 'codex',
  api: 'openai-responses',
  binary: path.join(HARNESS_BIN, 'codex'),
  async setup(t, fake) {
    writeCodexUserConfig(t.home, fake.url);
    answerCodexTitles(fake);
    return { env: codexUserEnv(t) };
  },
  shellTool: { name: 'exec_command', input: (cmd) => ({ cmd }) },
  expected: { startsClean: true, sendReply: true, toolEvents: true, deny: true, heldAsk: true, usage: true, cost: true, interrupt: true, resume: true, sandbox: true },
};
