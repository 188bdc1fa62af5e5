import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { PROFILES } from '../conformance/profiles/index.js';
import { startFakeModel } from '../fake-model/server.js';
import { ROOT, makeTestEnv, until, pinnedCli } from '../helpers/omni.js';

/**
 * One agent spec, moved between harnesses with one flag: the same prompt reaches each
 * harness's model and the same policies load at agent level.
 */
describe('omni run --harness moves one agent spec between harnesses', () => {
  for (const p of PROFILES) {
    it.skipIf(!pinnedCli(p.binary))(`runs agents/fixer.yaml on ${p.harness}`, async () => {
      const fake = await startFakeModel();
      const t = makeTestEnv();
      try {
        const prep = await p.setup(t, fake);
        Object.assign(t.env, prep.env ?? {});
        fake.script({ match: "Run the project's test suite", turns: [{ text: `fixed on ${p.harness}` }] });
        const s = await t.omniJson<SessionRecord>(['run', path.join(ROOT, 'agents', 'fixer.yaml'), '--harness', p.harness, '--name', 'fx', '--', ...(prep.args ?? [])]);
        expect(s.harness).toBe(p.harness);
        expect(s.agent?.name).toBe('fixer');
        await until(() => fake.requests.some((r) => r.latestUserText.includes("Run the project's test suite")), 90_000, `the spec's prompt to reach ${p.harness}'s model`);
        await until(async () => String((await t.omni(['events', 'fx', '--json'])).stdout).includes(`fixed on ${p.harness}`), 60_000, 'the reply');
        const pol = await t.omniJson<{ policies: Array<{ name: string; level: string }> }>(['policy', 'ls', 'fx']);
        expect(pol.policies.filter((x) => x.level === 'agent').map((x) => x.name)).toEqual(['blast_radius', 'no-push-after-install']);
      } finally {
        await t.cleanup();
        await fake.close();
      }
    });
  }
});
