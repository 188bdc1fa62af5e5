import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { grantFromSpec } from '../../src/agents/grant.js';
import { loadAgentSpec, parseAgentSpec } from '../../src/agents/spec.js';
import { YamlError } from '../../src/core/yaml.js';
import { builtinHarnesses } from '../../src/harnesses/index.js';
import { ROOT } from '../helpers/omni.js';

/** The names executor.harness accepts: the daemon's registry, as `omni run` and Polly pass it. */
const H = builtinHarnesses().names();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-agent-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const parse = (text: string) => parseAgentSpec(text, path.join(dir, 'a.yaml'), H);
const error = (text: string) => {
  try {
    parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
};

describe('agent specs', () => {
  it('loads the shipped example, resolving policy files next to the spec', () => {
    const spec = loadAgentSpec(path.join(ROOT, 'agents', 'fixer.yaml'), H);
    expect(spec.name).toBe('fixer');
    expect(spec.executor).toEqual({ harness: 'claude' });
    expect(spec.prompt).toMatch(/Run the project's test suite/);
    expect(spec.policies).toEqual([{ ref: 'blast_radius' }, { ref: 'policies/no-push-after-install.yaml', file: path.join(ROOT, 'agents', 'policies', 'no-push-after-install.yaml') }]);
  });

  it('names file, line and column, and what is valid', () => {
    const f = path.join(dir, 'a.yaml');
    expect(error('name: x\nexecutor:\n  harness: cursor\n')).toBe(`${f}:3:12: executor.harness must be one of ${H.join(', ')}, not "cursor"`);
    expect(error('name: x\nexecutor: { harness: claude, modle: m }\n')).toMatch(new RegExp(`^${f}:2:30: unknown key "modle" in executor \\(did you mean "model"\\?\\); valid: harness, model`));
    expect(error('name: x\nexcutor: {}\n')).toMatch(/:2:1: unknown key "excutor" in an agent spec \(did you mean "executor"\?\); valid: name, description, prompt, executor, policies/);
    expect(error('name: x\nexecutor: { harness: claude }\npolicies:\n  - ./missing.yaml\n')).toMatch(/:4:5: policy file \.\/missing\.yaml not found/);
    expect(error('name: x\nexecutor: [claude\n')).toMatch(/^.*a\.yaml:\d+:\d+: invalid YAML/);
    expect(error('executor: { harness: claude }\n')).toMatch(/needs a "name"/);
  });
});

/** Write files under a fresh folder; returns the folder. */
function files(tree: Record<string, string>): string {
  const d = fs.mkdtempSync(path.join(dir, 't-'));
  for (const [name, text] of Object.entries(tree)) {
    fs.mkdirSync(path.dirname(path.join(d, name)), { recursive: true });
    fs.writeFileSync(path.join(d, name), text);
  }
  return d;
}
const loadError = (file: string) => {
  try {
    loadAgentSpec(file, H);
  } catch (err) {
    expect(err).toBeInstanceOf(YamlError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
};

describe('agent specs with sub-agents', () => {
  it('loads the shipped lead: an inline coder in a worktree, a reviewer from a file, limits', () => {
    const spec = loadAgentSpec(path.join(ROOT, 'agents', 'lead.yaml'), H);
    expect(spec.spawn).toBe(true);
    expect(spec.limits).toEqual({ maxChildren: 4, maxDepth: 1, maxConcurrent: 2 });
    expect(spec.agents.map((a) => [a.name, a.executor.harness, a.worktree, a.file])).toEqual([
      ['coder', 'codex', true, path.join(ROOT, 'agents', 'lead.yaml')],
      ['reviewer', 'pi', false, path.join(ROOT, 'agents', 'reviewer.yaml')],
    ]);
    const grant = grantFromSpec(spec);
    expect(grant.anyHarness).toBeUndefined();
    expect(grant.limits).toEqual({ maxChildren: 4, maxDepth: 1, maxConcurrent: 2 });
    expect(grant.agents[0]).toMatchObject({ name: 'coder', executor: { harness: 'codex' }, worktree: true, policies: [{ ref: 'blast_radius', level: 'agent' }] });
    expect(grant.agents[1]).toMatchObject({ name: 'reviewer', executor: { harness: 'pi' }, worktree: false, policies: [{ ref: 'ask_on_write', level: 'agent' }] });
    expect(grant.agents[1]!.prompt).toMatch(/Review the change/);
    expect(JSON.parse(JSON.stringify(grant))).toEqual(grant);
  });

  it('nests: a sub-agent with its own agents, limits and policy files read relative to the file it is in', () => {
    const d = files({
      'lead.yaml': 'name: lead\nexecutor: { harness: claude }\nspawn: true\nagents:\n  planner: team/planner.yaml\n  quick:\n    name: fast\n    executor: { harness: pi, model: m1 }\n',
      'team/planner.yaml':
        'name: planner-file\nexecutor: { harness: codex }\npolicies: [p/only.yaml, blast_radius]\nsandbox: { write: [out] }\nspawn: true\nlimits: { max_children: 2 }\nagents:\n  helper:\n    executor: { harness: claude }\n    worktree: true\n    spawn: true\n',
      'team/p/only.yaml': 'policies: []\n',
    });
    const spec = loadAgentSpec(path.join(d, 'lead.yaml'), H);
    expect(spec.agents.map((a) => a.name)).toEqual(['planner', 'fast']);
    const grant = grantFromSpec(spec);
    const planner = grant.agents[0]!;
    expect(planner.file).toBe(path.join(d, 'team', 'planner.yaml'));
    expect(planner.policies).toEqual([
      { ref: path.join(d, 'team', 'p', 'only.yaml'), source: path.join(d, 'team', 'p', 'only.yaml'), text: 'policies: []\n', level: 'agent' },
      { ref: 'blast_radius', level: 'agent' },
    ]);
    expect(planner.sandbox?.write).toEqual([path.join(d, 'team', 'out')]);
    expect(planner.spawn?.limits).toEqual({ maxChildren: 2 });
    // helper: spawn: true with no agents: any harness ad hoc.
    expect(planner.spawn?.agents[0]).toMatchObject({ name: 'helper', worktree: true, spawn: { agents: [], anyHarness: true, limits: {} } });
    expect(grant.agents[1]).toMatchObject({ name: 'fast', executor: { harness: 'pi', model: 'm1' }, worktree: false });
    expect(grant.agents[1]!.spawn).toBeUndefined();
    // Plain JSON: the daemon keeps it as spawn.json and starts children from it after a restart.
    expect(JSON.parse(JSON.stringify(grant))).toEqual(grant);
  });

  it('executor.harness accepts every harness in the registry, and a sub-agent of each', () => {
    expect(H).toEqual(expect.arrayContaining(['claude', 'codex', 'pi']));
    for (const h of H) {
      expect(parse(`name: x\nexecutor: { harness: ${h}, model: m }\n`).executor).toEqual({ harness: h, model: "m" });
      const spec = parse(`name: x\nexecutor: { harness: claude }\nspawn: true\nagents:\n  sub:\n    executor: { harness: ${h} }\n`);
      expect(grantFromSpec(spec).agents[0]).toMatchObject({ name: 'sub', executor: { harness: h } });
    }
  });

  it('spawn: true alone lets the agent start any harness', () => {
    const grant = grantFromSpec(parse('name: x\nexecutor: { harness: claude }\nspawn: true\n'));
    expect(grant).toEqual({ agents: [], anyHarness: true, limits: {} });
  });

  it('names file, line and column of each bad sub-agent setting', () => {
    const f = path.join(dir, 'a.yaml');
    const base = 'name: x\nexecutor: { harness: claude }\n';
    expect(error(base + 'agents:\n  a: { executor: { harness: pi } }\n')).toBe(`${f}:3:1: "agents:" lists the sub-agents this agent may start: it needs "spawn: true" next to it`);
    expect(error(base + 'spawn: false\nlimits: { max_depth: 1 }\n')).toMatch(/:4:1: "limits:" bounds the sub-agents this agent starts: it needs "spawn: true" next to it \(spawn is false\)/);
    expect(error(base + 'spawn: yes please\n')).toMatch(/:3:8: spawn \(whether this agent may start sub-agents\) must be a boolean, not a string/);
    expect(error(base + 'spawn: true\nagents:\n  - coder.yaml\n')).toMatch(/:5:3: agents \(a mapping: name → an inline spec, or name → a spec file relative to this one\) must be a mapping, not a list/);
    expect(error(base + 'spawn: true\nagents:\n  a:\n    executor: { harness: cursor }\n')).toBe(`${f}:6:26: executor.harness must be one of ${H.join(', ')}, not "cursor"`);
    expect(error(base + 'spawn: true\nagents:\n  a:\n    prompt: hi\n')).toMatch(/:6:5: agents\.a needs "executor: \{ harness: … \}"/);
    expect(error(base + 'spawn: true\nagents:\n  a:\n    executor: { harness: pi }\n    worktre: true\n')).toMatch(/:7:5: unknown key "worktre" in agents\.a \(did you mean "worktree"\?\)/);
    expect(error(base + 'spawn: true\nagents:\n  a:\n    executor: { harness: pi }\n    worktree: 1\n')).toMatch(/:7:15: worktree must be a boolean, not a number/);
    expect(error(base + 'spawn: true\nagents:\n  a: 3\n')).toMatch(/:5:6: agents\.a must be a mapping \(an inline spec\) or a string/);
    expect(error(base + 'spawn: true\nagents:\n  a: ./nope.yaml\n')).toMatch(new RegExp(`^${f}:5:6: agent spec file \\./nope\\.yaml not found`));
    expect(error(base + 'spawn: true\nagents:\n  "a b": { executor: { harness: pi } }\n')).toMatch(/:5:3: agent name "a b" must use letters/);
    expect(error(base + 'spawn: true\nagents:\n  a: { executor: { harness: pi } }\n  b: { name: a, executor: { harness: pi } }\n')).toMatch(/:6:3: two sub-agents are named "a"/);
    expect(error(base + 'spawn: true\nagents: {}\n')).toMatch(/:4:9: agents must name at least one sub-agent/);
    expect(error(base + 'spawn: true\nlimits: { max_children: 0 }\n')).toMatch(/:4:25: limits\.max_children must be at least 1, not 0/);
    expect(error(base + 'spawn: true\nlimits: { max_depth: 1.5 }\n')).toMatch(/:4:22: limits\.max_depth must be a whole number/);
    expect(error(base + 'spawn: true\nlimits: { max_kids: 2 }\n')).toMatch(/:4:11: unknown key "max_kids" in limits; valid: max_children, max_depth, max_concurrent/);
    expect(error(base + 'spawn: true\nagents:\n  a:\n    executor: { harness: pi }\n    agents: { b: { executor: { harness: pi } } }\n')).toMatch(/:7:5: "agents:" lists the sub-agents/);
    expect(error(base + 'spawn: true\nagents:\n  a: &a\n    executor: { harness: pi }\n    spawn: true\n    agents: { b: *a }\n')).toMatch(/:6:5: agents\.b refers to an agent that contains it/);
  });

  it('an error inside a referenced file names that file', () => {
    const d = files({
      'lead.yaml': 'name: lead\nexecutor: { harness: claude }\nspawn: true\nagents:\n  coder: sub/coder.yaml\n',
      'sub/coder.yaml': 'name: coder\nexecutor:\n  harness: codex\npolicies: [./missing.yaml]\n',
    });
    expect(loadError(path.join(d, 'lead.yaml'))).toBe(`${path.join(d, 'sub', 'coder.yaml')}:4:12: policy file ./missing.yaml not found (looked for ${path.join(d, 'sub', 'missing.yaml')})`);
    fs.writeFileSync(path.join(d, 'sub', 'coder.yaml'), 'name: coder\nexecutor: { harness: codex }\nworktree: maybe\n');
    expect(loadError(path.join(d, 'lead.yaml'))).toBe(`${path.join(d, 'sub', 'coder.yaml')}:3:11: worktree must be a boolean, not a string`);
    fs.writeFileSync(path.join(d, 'sub', 'coder.yaml'), 'name: coder\nexecutor: { harness: codex\n');
    expect(loadError(path.join(d, 'lead.yaml'))).toMatch(new RegExp(`^${path.join(d, 'sub', 'coder.yaml')}:\\d+:\\d+: invalid YAML`));
  });

  it('a file that includes itself, directly or not, is an error at the reference that closes the cycle', () => {
    const d = files({
      'self.yaml': 'name: self\nexecutor: { harness: claude }\nspawn: true\nagents:\n  again: ./self.yaml\n',
      'a.yaml': 'name: a\nexecutor: { harness: claude }\nspawn: true\nagents:\n  b: b/b.yaml\n',
      'b/b.yaml': 'name: b\nexecutor: { harness: pi }\nspawn: true\nagents:\n  ok: { executor: { harness: pi } }\n  a: ../a.yaml\n',
      'shared.yaml': 'name: shared\nexecutor: { harness: pi }\n',
      'twice.yaml': 'name: t\nexecutor: { harness: claude }\nspawn: true\nagents:\n  one: shared.yaml\n  two: shared.yaml\n',
    });
    expect(loadError(path.join(d, 'self.yaml'))).toBe(`${path.join(d, 'self.yaml')}:5:10: agents.again: ./self.yaml includes itself (self.yaml → self.yaml); a spec cannot include itself, directly or not`);
    expect(loadError(path.join(d, 'a.yaml'))).toBe(`${path.join(d, 'b', 'b.yaml')}:6:6: agents.a: ../a.yaml includes itself (a.yaml → b/b.yaml → a.yaml); a spec cannot include itself, directly or not`);
    // The same file twice, side by side, is no cycle.
    expect(loadAgentSpec(path.join(d, 'twice.yaml'), H).agents.map((a) => a.name)).toEqual(['one', 'two']);
  });
});
