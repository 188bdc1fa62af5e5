import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCommand } from '../../src/cli/commands/run.js';
import { ROOT } from '../helpers/omni.js';

/** The request `omni run` sends, recorded by a stand-in for the daemon client. */
const sent: Array<{ path: string; body: Record<string, unknown> }> = [];
vi.mock('../../src/cli/context.js', () => ({
  client: async () => ({
    request: async (p: string, opts: { body?: Record<string, unknown> } = {}) => {
      if (p === '/v1/harnesses') return { harnesses: ['claude', 'codex', 'pi'].map((name) => ({ name })) };
      sent.push({ path: p, body: opts.body ?? {} });
      return { session: { id: 's_test0001', name: String(opts.body?.name), harness: String(opts.body?.harness), status: 'starting' } };
    },
  }),
}));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-run-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('omni run sends the spawn grant', () => {
  const run = async (file: string) => {
    sent.length = 0;
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await runCommand(file, [], { json: true })).toBe(0);
    } finally {
      out.mockRestore();
    }
    expect(sent.map((s) => s.path)).toEqual(['/v1/sessions']);
    return sent[0]!.body;
  };

  it('spawn: true → the resolved grant (sub-agents, their policies read, limits) in POST /v1/sessions', async () => {
    const body = await run(path.join(ROOT, 'agents', 'lead.yaml'));
    expect(body).toMatchObject({ harness: 'claude', name: 'lead', agent: { name: 'lead' }, policies: [] });
    expect(body.spawn).toMatchObject({
      limits: { maxChildren: 4, maxDepth: 1, maxConcurrent: 2 },
      agents: [
        { name: 'coder', executor: { harness: 'codex' }, worktree: true, policies: [{ ref: 'blast_radius', level: 'agent' }] },
        { name: 'reviewer', executor: { harness: 'pi' }, worktree: false, file: path.join(ROOT, 'agents', 'reviewer.yaml') },
      ],
    });
    expect((body.spawn as { anyHarness?: boolean }).anyHarness).toBeUndefined();
  });

  it('spawn: true alone → any harness; no spawn → no grant', async () => {
    fs.writeFileSync(path.join(dir, 'free.yaml'), 'name: free\nexecutor: { harness: pi }\nspawn: true\n');
    expect((await run(path.join(dir, 'free.yaml'))).spawn).toEqual({ agents: [], anyHarness: true, limits: {} });
    const plain = await run(path.join(ROOT, 'agents', 'fixer.yaml'));
    expect(plain).not.toHaveProperty('spawn');
    expect(plain.policies).toEqual([
      { ref: 'blast_radius', level: 'agent' },
      expect.objectContaining({ source: path.join(ROOT, 'agents', 'policies', 'no-push-after-install.yaml'), level: 'agent', text: expect.stringContaining('policies:') }),
    ]);
  });
});
