import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OmniEvent } from '../../src/core/events.js';
import type { SessionRecord } from '../../src/core/session.js';
import { answerCodexTitles, codexUserEnv, writeCodexUserConfig } from '../conformance/profiles/codex.js';
import { writePiUserConfig } from '../conformance/profiles/pi.js';
import { startFakeModel, type FakeModel } from '../fake-model/server.js';
import { parseEvents } from '../helpers/events.js';
import { claudeEnv, makeTestEnv, pinnedCli, until, type TestEnv } from '../helpers/omni.js';

/**
 * omni's MCP tools wired into a session the way a user gets them: `omni run` of a spec with
 * `spawn: true` and no permission flags, on each real pinned CLI against the fake model. The
 * model's scripted `omni_agents` call must run through omni's wiring (Claude: --mcp-config,
 * Codex: -c mcp_servers.omni, Pi: the extension's tools) without a harness dialog, its result
 * (the spec's agent names) must come back to the model, and the call must be in the log as a
 * tool.call of kind mcp. Run each harness alone: `npx vitest run test/e2e/mcp-wiring.test.ts -t claude`.
 */

const HARNESSES = ['claude', 'codex', 'pi'] as const;
type Harness = (typeof HARNESSES)[number];

/** Agent names no harness's own prompt contains, so finding them in a request means the tool result got there. */
const AGENTS = ['zebra-coder', 'yak-reviewer'];

function spec(harness: Harness): string {
  return [
    `name: lead-${harness}`,
    'prompt: LIST-THE-AGENTS please',
    'executor:',
    `  harness: ${harness}`,
    'spawn: true',
    'agents:',
    `  ${AGENTS[0]}:`,
    '    description: writes code',
    '    executor: { harness: pi }',
    '    worktree: false',
    `  ${AGENTS[1]}:`,
    '    executor: { harness: codex }',
    '',
  ].join('\n');
}

function setUp(harness: Harness, fake: FakeModel): TestEnv {
  if (harness === 'claude') return makeTestEnv(claudeEnv(fake.url));
  if (harness === 'pi') {
    const t = makeTestEnv({ PI_OFFLINE: '1' });
    writePiUserConfig(t.home, fake.url);
    return t;
  }
  const t = makeTestEnv();
  Object.assign(t.env, codexUserEnv(t));
  writeCodexUserConfig(t.home, fake.url);
  answerCodexTitles(fake);
  return t;
}

for (const harness of HARNESSES) {
  describe.skipIf(!pinnedCli(harness))(`omni's MCP tools in a ${harness} session (omni run, spawn: true)`, () => {
    let fake: FakeModel;
    let t: TestEnv;
    beforeEach(async () => {
      fake = await startFakeModel();
      t = setUp(harness, fake);
    });
    afterEach(async () => {
      await t.cleanup();
      await fake.close();
    });

    it(`${harness}: the model's omni_agents call runs and its result reaches the model; the log has the tool.call`, async () => {
      const script = fake.script({ match: 'LIST-THE-AGENTS', turns: [{ toolUses: [{ mcp: 'omni_agents', input: {} }] }, { text: 'I can start two agents.' }] });
      const file = path.join(t.work, 'lead.yaml');
      fs.writeFileSync(file, spec(harness));
      const session = await t.omniJson<SessionRecord>(['run', file]);
      expect(session.spawn).toBe(true);

      // The follow-up the harness sends once the tool ran: it carries the tool's result.
      const followup = await fake.waitForRequest((r) => r.script === script && r.servedBy === 'followup', 120_000);
      const first = script.served[0]!;
      const offered = first.toolNames.filter((n) => n.endsWith('omni_agents'));
      expect(offered, `tools offered: ${first.toolNames.join(', ')}`).toHaveLength(1);
      const wire = JSON.stringify(followup.body);
      for (const name of AGENTS) expect(wire).toContain(name);
      expect(wire).not.toMatch(/denied|not allowed|permission/i);

      const done = await t.omni(['wait', session.id, '--for', 'idle', '--timeout', '60']);
      expect(done.exitCode, done.stderr).toBe(0);
      const events = await until(
        async () => {
          const evs = parseEvents((await t.omni(['events', session.id, '--json'])).stdout);
          return evs.some((e) => e.type === 'tool.call' && String((e as OmniEvent<'tool.call'>).data.tool).endsWith('omni_agents')) && evs;
        },
        20_000,
        'the tool.call of omni_agents in the log',
      );
      const call = events.find((e) => e.type === 'tool.call' && String((e as OmniEvent<'tool.call'>).data.tool).endsWith('omni_agents')) as OmniEvent<'tool.call'>;
      expect(call.data.tool).toBe(offered[0]);
      expect(call.data.kind).toBe('mcp');
      // No harness dialog stopped it: the session never waited on a person.
      expect(events.filter((e) => e.type === 'session.status' && (e as OmniEvent<'session.status'>).data.status === 'waiting')).toEqual([]);
    });
  });
}
