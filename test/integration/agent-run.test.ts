import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/session.js';
import { makeTestEnv, type TestEnv } from '../helpers/omni.js';
import { startScriptedDaemon, waitFor } from '../helpers/scripted.js';

/**
 * `omni run` of a spec with sub-agents, through the real CLI and daemon (scripted harness): the
 * whole spec is read and checked on the caller's side, so an error deep in a referenced file
 * stops it with that file's line and column before anything starts.
 */
describe('omni run with sub-agents', () => {
  let t: TestEnv;
  beforeAll(async () => {
    // Two more scripted harnesses in the daemon's registry, names no omni code knows.
    t = makeTestEnv({ SCRIPTED_TWINS: 'twin-a=acme,twin-b=globex' });
    await startScriptedDaemon(t);
    const w = (name: string, text: string) => fs.writeFileSync(path.join(t.dir, name), text);
    w('lead.yaml', 'name: lead\nexecutor: { harness: scripted }\nspawn: true\nagents:\n  coder: coder.yaml\n  quick:\n    executor: { harness: scripted }\nlimits: { max_children: 2 }\n');
    w('coder.yaml', 'name: coder\nexecutor: { harness: scripted }\nworktree: true\n');
    w('bad-lead.yaml', 'name: bad\nexecutor: { harness: scripted }\nspawn: true\nagents:\n  coder: bad-coder.yaml\n');
    w('bad-coder.yaml', 'name: coder\nexecutor:\n  harness: scripted\n  modle: x\n');
    w('swap.yaml', 'name: swap\nexecutor: { harness: twin-a, model: m1 }\nprompt: hello\n');
  }, 60_000);
  afterAll(async () => {
    await t?.cleanup();
  });

  it('starts a lead whose spec names sub-agents in files and inline', async () => {
    const s = await t.omniJson<SessionRecord>(['run', path.join(t.dir, 'lead.yaml'), '--json']);
    expect(s).toMatchObject({ name: 'lead', harness: 'scripted', agent: { name: 'lead', file: path.join(t.dir, 'lead.yaml') } });
    await waitFor(t, 'lead', 'idle');
  });

  it('an error in a referenced file: exit 2, that file:line:column, nothing started', async () => {
    const r = await t.omni(['run', path.join(t.dir, 'bad-lead.yaml')]);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain(`${path.join(t.dir, 'bad-coder.yaml')}:4:3: unknown key "modle" in executor (did you mean "model"?)`);
    const all = await t.omniJson<SessionRecord[]>(['ls', '--all', '--json']);
    expect(all.map((s) => s.name)).toEqual(['lead']);
  });

  it('--harness moves a spec to any harness in the registry, and names them all when it is unknown', async () => {
    const own = await t.omniJson<SessionRecord>(['run', path.join(t.dir, 'swap.yaml'), '--name', 'swap-own', '--json']);
    expect(own).toMatchObject({ harness: 'twin-a', model: 'm1', agent: { name: 'swap' } });
    for (const h of ['twin-b', 'scripted']) {
      const moved = await t.omniJson<SessionRecord>(['run', path.join(t.dir, 'swap.yaml'), '--harness', h, '--name', `swap-${h}`, '--json']);
      expect(moved).toMatchObject({ harness: h, agent: { name: 'swap' } });
      expect(moved.model).toBeUndefined(); // the spec's model is for its own harness
    }
    const r = await t.omni(['run', path.join(t.dir, 'swap.yaml'), '--harness', 'nope']);
    expect(r.exitCode).not.toBe(0);
    expect(String(r.stderr)).toMatch(/unknown harness "nope"; known harnesses: claude, codex, pi, .*scripted, twin-a, twin-b/);
  });
});
