import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentPolicies } from '../../src/agents/grant.js';
import { loadAgentSpec } from '../../src/agents/spec.js';
import { POLLY_POLICIES, pollyPolicies, READ_ONLY_TEXT } from '../../src/polly/policies.js';
import { evaluatePolicies } from '../../src/policy/engine.js';
import { compileSnapshot } from '../../src/policy/snapshot.js';
import type { LoadedPolicy, PolicySubject } from '../../src/policy/types.js';
import { ROOT } from '../helpers/omni.js';
import { CWD, HOME, PolicyState, bash, edit, read, write } from '../helpers/policy.js';

const H = ['claude', 'codex', 'pi'];
const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-polly-pol-'));
afterAll(() => fs.rmSync(configDir, { recursive: true, force: true }));

/** The refs compiled the way the daemon's policy service does (compileSnapshot). */
const compile = (refs: ReadonlyArray<{ ref: string; source?: string; text?: string; level: 'agent' }>): LoadedPolicy[] =>
  refs.flatMap((r) => compileSnapshot({ source: r.source ?? r.ref, ...(r.text !== undefined ? { text: r.text } : { ref: r.ref }), level: r.level }, { cwd: CWD, configDir, home: HOME }));
const shape = (ps: LoadedPolicy[]) => ps.map((p) => ({ name: p.policy.name, builtin: p.policy.builtin, level: p.level }));
const verdictOf = async (ps: LoadedPolicy[], s: PolicySubject) => (await evaluatePolicies(ps, s, new PolicyState())).verdict;

describe('agents/polly.yaml', () => {
  const spec = loadAgentSpec(path.join(ROOT, 'agents', 'polly.yaml'), H);

  it('loads with the spec loader: Claude, no spawn, no prompt of its own, the read-only policies', () => {
    expect(spec).toMatchObject({ name: 'polly', executor: { harness: 'claude' }, spawn: false, agents: [], worktree: false });
    expect(spec.prompt).toBeUndefined();
    expect(spec.description).toMatch(/writes no code/);
    expect(spec.policies).toEqual([{ ref: 'policies/polly-read-only.yaml', file: path.join(ROOT, 'agents', 'policies', 'polly-read-only.yaml') }]);
  });

  it('its policies are POLLY_POLICIES.lead', () => {
    const fromSpec = compile(agentPolicies(spec));
    expect(shape(fromSpec)).toEqual(shape(compile(POLLY_POLICIES.lead)));
    expect(shape(fromSpec).map((p) => [p.name, p.builtin?.params])).toEqual([
      ['no_merge_push', { read_only: true, opaque: 'ask' }],
      ['writes_denied', { verdict: 'deny', paths: [], except: [] }],
    ]);
    expect(fs.readFileSync(path.join(ROOT, 'agents', 'policies', 'polly-read-only.yaml'), 'utf8')).toContain(READ_ONLY_TEXT.replace(/^policies:\n/, ''));
  });
});

describe('POLLY_POLICIES', () => {
  it('lead and reviewer change nothing: no writes, git only reads, no merge or push', async () => {
    for (const role of ['lead', 'reviewer'] as const) {
      const ps = compile(POLLY_POLICIES[role]);
      for (const s of [write('src/a.ts'), edit('README.md'), bash('echo x > notes.md'), bash('git commit -am wip'), bash('git stash'), bash('git reset --hard'), bash('git checkout main'), bash('git merge x'), bash('git push')]) {
        expect([role, s.tool!.script ?? s.tool!.name, await verdictOf(ps, s)]).toEqual([role, s.tool!.script ?? s.tool!.name, 'deny']);
      }
      for (const s of [read('src/a.ts'), bash('git log --oneline -5'), bash('git diff main...HEAD'), bash('git show HEAD:src/a.ts'), bash('git status'), bash('cat src/a.ts | head'), bash('rg -n "limit" src')]) {
        expect([role, s.tool!.script ?? s.tool!.name, await verdictOf(ps, s)]).toEqual([role, s.tool!.script ?? s.tool!.name, 'none']);
      }
    }
  });

  it('workers commit in their worktree, but never merge, push or force', async () => {
    const ps = compile(POLLY_POLICIES.worker);
    expect(shape(ps).map((p) => p.name)).toEqual(['no_merge_push', 'blast_radius']);
    for (const s of ['git push', 'git merge main', 'git branch -D main', 'rm -rf /', 'git push --force']) expect([s, await verdictOf(ps, bash(s))]).toEqual([s, 'deny']);
    for (const s of ['git add -A && git commit -m "rate limit"', 'npm test', 'git reset --soft HEAD~1', 'git rebase -i HEAD~2']) expect([s, await verdictOf(ps, bash(s))]).toEqual([s, 'none']);
    expect(await verdictOf(ps, write('src/mw/rate.ts'))).toBe('none');
  });

  it('pollyPolicies gives copies', () => {
    const a = pollyPolicies('worker');
    a[0]!.ref = 'x';
    expect(POLLY_POLICIES.worker[0]!.ref).toBe('no_merge_push');
  });
});
