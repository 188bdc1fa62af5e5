import { afterEach, beforeEach } from 'vitest';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { claudeEnv, makeTestEnv, type TestEnv } from './omni.js';

/**
 * For each test of the calling `describe`: a fresh fake model and an isolated omni (HOME,
 * OMNI_HOME, a work dir) with Claude Code pointed at that model, torn down afterwards.
 * `ready` gets both once they are up, so a test file keeps its own `fake` and `t` names.
 */
export function claudeWorld(ready: (w: { fake: FakeModel; t: TestEnv }) => void, opts: { defaultUsage?: Partial<FakeModel['defaultUsage']> } = {}): void {
  let w: { fake: FakeModel; t: TestEnv } | undefined;
  beforeEach(async () => {
    const fake = await startFakeModel();
    if (opts.defaultUsage) fake.defaultUsage = opts.defaultUsage;
    w = { fake, t: makeTestEnv(claudeEnv(fake.url)) };
    ready(w);
  });
  afterEach(async () => {
    await w?.t.cleanup();
    await w?.fake.close();
    w = undefined;
  });
}
