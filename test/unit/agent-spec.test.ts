import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAgentSpec, parseAgentSpec } from '../../src/agents/spec.js';
import { ROOT } from '../helpers/omni.js';

const H = ['claude', 'codex', 'pi'];
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
    expect(error('name: x\nexecutor:\n  harness: cursor\n')).toBe(`${f}:3:12: executor.harness must be one of claude, codex, pi, not "cursor"`);
    expect(error('name: x\nexecutor: { harness: claude, modle: m }\n')).toMatch(new RegExp(`^${f}:2:30: unknown key "modle" in executor \\(did you mean "model"\\?\\); valid: harness, model`));
    expect(error('name: x\nexcutor: {}\n')).toMatch(/:2:1: unknown key "excutor" in an agent spec \(did you mean "executor"\?\); valid: name, description, prompt, executor, policies/);
    expect(error('name: x\nexecutor: { harness: claude }\npolicies:\n  - ./missing.yaml\n')).toMatch(/:4:5: policy file \.\/missing\.yaml not found/);
    expect(error('name: x\nexecutor: [claude\n')).toMatch(/^.*a\.yaml:\d+:\d+: invalid YAML/);
    expect(error('executor: { harness: claude }\n')).toMatch(/needs a "name"/);
  });
});
