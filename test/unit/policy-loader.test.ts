import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILTINS, builtinPolicy } from '../../src/policy/builtins/index.js';
import { YamlError } from '../../src/core/yaml.js';
import { loadPolicyRef, parsePolicyText } from '../../src/policy/rules.js';
import { PolicyState, bash } from '../helpers/policy.js';

function loadError(text: string): YamlError {
  try {
    parsePolicyText(text, 'policies.yaml', 'session');
  } catch (err) {
    expect(err).toBeInstanceOf(YamlError);
    return err as YamlError;
  }
  throw new Error('expected a YamlError');
}

const VALID_SELECTORS = 'phase, tool, kind, command, opaque, path, read, write, prompt, host, ok, mcp_tool, label, labels, not_label, counter, in_set, not_in_set, any, not';

describe('policy file errors: file:line:column and what is valid', () => {
  it('an unknown selector points at the key and lists the valid ones', () => {
    const e = loadError(`policies:
  - name: no-push
    rules:
      - when: { phase: tool_call, comand: "git push" }
        verdict: ask
`);
    expect([e.file, e.line, e.column]).toEqual(['policies.yaml', 4, 35]);
    expect(e.message).toBe(`policies.yaml:4:35: unknown key "comand" in when (did you mean "command"?); valid: ${VALID_SELECTORS}`);
  });

  it('unknown keys anywhere are errors, never ignored', () => {
    expect(loadError('polices: []\n').message).toBe('policies.yaml:1:1: unknown key "polices" in the policy file (did you mean "policies"?); valid: policies');
    expect(loadError('policies:\n  - name: x\n    rule: []\n').message).toBe('policies.yaml:3:5: unknown key "rule" in a policy entry (did you mean "rules"?); valid: use, name, description, with, rules');
    expect(loadError('policies:\n  - name: x\n    rules:\n      - verdict: ask\n        reasn: hi\n').message).toMatch(/^policies\.yaml:5:9: unknown key "reasn" in rule 1 \(did you mean "reason"\?\); valid: when, verdict, reason, then, grant, description$/);
    expect(loadError('policies:\n  - name: x\n    rules:\n      - then: { lable: a }\n').message).toMatch(/^policies\.yaml:4:17: unknown key "lable" in then \(did you mean "label"\?\); valid: label, unlabel, incr, reset, add, remove$/);
    expect(loadError('policies:\n  - use: ask_on_shell\n    rules: []\n').message).toBe('policies.yaml:3:5: a policy entry has either use: (a builtin) or rules:, not both');
    expect(loadError('policies:\n  - use: ask_on_shell\n    description: d\n    phases: [prompt]\n').line).toBe(4);
  });

  it('unknown builtin lists the builtins', () => {
    const e = loadError('policies:\n  - use: blast_raduis\n');
    expect([e.line, e.column]).toEqual([2, 10]);
    expect(e.detail).toBe(`unknown builtin policy "blast_raduis" (did you mean "blast_radius"?); builtins: ${Object.keys(BUILTINS).join(', ')}`);
  });

  it('builtin params: wrong type, unknown param, bad pattern, missing required, cross-param check', () => {
    expect(loadError('policies:\n  - use: max_tool_calls\n    with: { max: "ten" }\n').message).toBe('policies.yaml:3:18: max_tool_calls parameter max must be a number, not a string');
    expect(loadError('policies:\n  - use: max_tool_calls\n    with: { max: 2.5 }\n').message).toBe('policies.yaml:3:18: max_tool_calls parameter max must be a whole number, not 2.5');
    expect(loadError('policies:\n  - use: allow_paths\n    with: { paths: x, acess: read }\n').message).toBe('policies.yaml:3:23: unknown key "acess" in the parameters of allow_paths (did you mean "access"?); valid: paths, access');
    expect(loadError('policies:\n  - use: allow_paths\n    with: { paths: x, access: writes }\n').message).toBe('policies.yaml:3:31: allow_paths parameter access must be one of read, write, both, not "writes" (did you mean "write"?)');
    expect(loadError('policies:\n  - use: allow_paths\n').message).toMatch(/^policies\.yaml:2:10: allow_paths needs the parameter paths \(path glob\(s\)\)/);
    expect(loadError('policies:\n  - use: ask_on_shell\n    with:\n      except: ["git status", "npm i||add"]\n').message).toMatch(/^policies\.yaml:4:30: ask_on_shell parameter except: invalid command pattern "npm i\|\|add"/);
    expect(loadError('policies:\n  - use: deny_paths\n    with: { paths: ["ok/**", "bad/[x"] }\n').message).toMatch(/^policies\.yaml:3:30: deny_paths parameter paths: invalid glob "bad\/\[x"/);
    expect(loadError('policies:\n  - use: detect_loop\n    with: { repeats: 5, window: 3 }\n').message).toBe('policies.yaml:3:33: detect_loop: window (3) must be at least repeats (5)');
    expect(loadError('policies:\n  - use: detect_loop\n    with: { repeats: 1 }\n').message).toBe('policies.yaml:3:22: detect_loop parameter repeats must be at least 2, not 1');
  });

  it('bad regex, bad glob, bad verdict, bad template variable, bad $value', () => {
    expect(loadError('policies:\n  - name: x\n    rules:\n      - when: { prompt: "(unclosed" }\n        verdict: ask\n').message).toBe(
      'policies.yaml:4:25: prompt: invalid regular expression (JavaScript syntax, optionally /…/flags): /(unclosed/: Unterminated group',
    );
    expect(loadError('policies:\n  - name: x\n    rules:\n      - when: { prompt: "/x/g" }\n        verdict: ask\n').detail).toBe('prompt: unsupported regex flag "g"; valid flags: i, m, s, u');
    expect(loadError('policies:\n  - name: x\n    rules:\n      - when: { write: "src/[a" }\n        verdict: ask\n').message).toMatch(/^policies\.yaml:4:24: write: invalid glob "src\/\[a"/);
    expect(loadError('policies:\n  - name: x\n    rules:\n      - when: { command: ls }\n        verdict: maybe\n').message).toBe('policies.yaml:5:18: verdict must be one of allow, deny, ask, not "maybe"');
    expect(loadError('policies:\n  - name: x\n    rules:\n      - verdict: ask\n        reason: "bad ${comand}"\n').detail).toMatch(/^unknown variable \$\{comand\} in reason \(did you mean \$\{command\}\?\); valid: \$\{tool\}, /);
    expect(loadError('policies:\n  - name: x\n    rules:\n      - when: { in_set: { set: s, value: $pth } }\n        verdict: ask\n').message).toMatch(/^policies\.yaml:4:42: unknown value "\$pth" in in_set.value \(did you mean "\$path"\?\); valid: \$path, \$write/);
    expect(loadError('policies:\n  - name: x\n    rules:\n      - when: { kind: shel }\n        verdict: ask\n').message).toBe('policies.yaml:4:23: unknown tool kind "shel"; valid: shell, read, write, edit, web, mcp, other');
    expect(loadError('policies:\n  - name: x\n    rules:\n      - when: { phase: tool_cal }\n        verdict: ask\n').detail).toBe('unknown phase "tool_cal" (did you mean "tool_call"?); valid: prompt, tool_call, tool_result, usage, egress, mcp');
    expect(loadError('policies:\n  - name: x\n    rules:\n      - when: { counter: { n: { gte: "3" } } }\n        verdict: ask\n').message).toBe('policies.yaml:4:38: counter n gte must be a number, not a string');
    expect(loadError('policies:\n  - name: x\n    rules:\n      - when: { counter: {} }\n        verdict: ask\n').message).toBe('policies.yaml:4:26: counter needs at least one counter name: { gte|gt|lte|lt|eq: N }');
    expect(loadError('policies:\n  - name: x\n    rules:\n      - when: { counter: { n: { gt: 1, at_least: 2 } } }\n        verdict: ask\n').message).toBe('policies.yaml:4:40: unknown key "at_least" in counter n; valid: gte, gt, lte, lt, eq');
  });

  it('rules that cannot work: no verdict nor then, reason without verdict, grant without ask, impossible phases', () => {
    expect(loadError('policies:\n  - name: x\n    rules:\n      - when: { command: ls }\n').message).toMatch(/^policies\.yaml:4:9: rule 1 does nothing: give it a verdict \(allow, deny, ask\) or then/);
    expect(loadError('policies:\n  - name: x\n    rules:\n      - then: { label: a }\n        reason: r\n').message).toBe('policies.yaml:5:17: reason needs a verdict in the same rule');
    expect(loadError('policies:\n  - name: x\n    rules:\n      - verdict: deny\n        grant: g\n').message).toBe('policies.yaml:5:16: grant applies only to verdict: ask');
    expect(loadError('policies:\n  - name: x\n    rules:\n      - when: { phase: prompt, command: ls }\n        verdict: ask\n').message).toBe(
      'policies.yaml:4:32: selector command never matches at phase prompt; it applies at: tool_call, tool_result',
    );
    expect(loadError('policies:\n  - name: x\n    rules:\n      - when: { prompt: a, command: b }\n        verdict: ask\n').message).toBe(
      'policies.yaml:4:15: selectors prompt and command never apply at the same phase; split the rule or give a phase',
    );
    expect(loadError('policies:\n  - name: x\n    rules:\n      - when: { not: { phase: prompt } }\n        verdict: ask\n').detail).toBe("phase belongs in a rule's top-level when, not inside not");
  });

  it('malformed YAML, empty file, duplicate keys and names, missing name', () => {
    expect(loadError('policies: [\n').message).toMatch(/^policies\.yaml:2:1: invalid YAML \(BAD_INDENT\)/);
    expect(loadError('').message).toBe('policies.yaml:1:1: empty policy file: expected a mapping with policies: (a list of policies)');
    expect(loadError('policies:\n  - name: a\n    name: b\n    rules: []\n').message).toMatch(/^policies\.yaml:3:5: invalid YAML \(DUPLICATE_KEY\)/);
    expect(loadError('policies:\n  - name: x\n    rules:\n      - verdict: ask\n  - name: x\n    rules:\n      - verdict: deny\n').message).toBe(
      'policies.yaml:5:5: policy name "x" is already used at line 2; give one of them a different name:',
    );
    expect(loadError('policies:\n  - rules:\n      - verdict: ask\n').message).toBe('policies.yaml:2:5: a rule policy needs a name:');
    expect(loadError('policies:\n  - name: "has space"\n    rules:\n      - verdict: ask\n').line).toBe(2);
    expect(loadError('policies:\n  - name: x\n    rules: []\n').message).toBe('policies.yaml:3:12: rules must list at least one rule');
  });
});

describe('loadPolicyRef', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-polref-'));
    fs.mkdirSync(path.join(dir, 'config', 'policies'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'work'));
    fs.writeFileSync(path.join(dir, 'config', 'policies', 'team.yaml'), 'policies:\n  - use: ask_on_shell\n');
    fs.writeFileSync(path.join(dir, 'work', 'local.yaml'), 'policies:\n  - name: local\n    rules:\n      - when: { command: ls }\n        verdict: deny\n');
    fs.writeFileSync(path.join(dir, 'work', 'broken.yaml'), 'policies:\n  - use: nope\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const opts = () => ({ cwd: path.join(dir, 'work'), configDir: path.join(dir, 'config'), level: 'session' as const });

  it('a builtin name, with optional JSON params; the text reloads to the same policy', async () => {
    const r = loadPolicyRef('blast_radius', opts());
    expect(r.source).toBe('builtin:blast_radius');
    expect(r.policies.map((p) => [p.policy.name, p.level])).toEqual([['blast_radius', 'session']]);
    const withParams = loadPolicyRef('blast_radius:{"ask": ["make deploy"]}', opts());
    const again = parsePolicyText(withParams.text, withParams.source, 'session');
    for (const ps of [withParams.policies, again]) {
      const d = await ps[0]!.policy.evaluate(bash('make deploy'), new PolicyState());
      expect(d.verdict).toBe('ask');
    }
  });

  it('builtin params in a ref are validated with positions in the ref text', () => {
    expect(() => loadPolicyRef('max_tool_calls:{"max": -1}', opts())).toThrow('max_tool_calls params:1:9: max_tool_calls parameter max must be at least 0, not -1');
  });

  it('a name in <configDir>/policies, or a file relative to cwd', () => {
    const team = loadPolicyRef('team', opts());
    expect(team.source).toBe(path.join(dir, 'config', 'policies', 'team.yaml'));
    expect(team.policies[0]!.policy.name).toBe('ask_on_shell');
    const local = loadPolicyRef('local.yaml', opts());
    expect(local.source).toBe(path.join(dir, 'work', 'local.yaml'));
    expect(local.policies[0]!.policy.source).toBe(`${path.join(dir, 'work', 'local.yaml')}:2`);
    expect(local.text).toContain('name: local');
  });

  it('errors in a referenced file carry that file name', () => {
    expect(() => loadPolicyRef('broken.yaml', opts())).toThrow(`${path.join(dir, 'work', 'broken.yaml')}:2:10: unknown builtin policy "nope"`);
  });

  it('an unknown ref lists the builtins and the files in <configDir>/policies', () => {
    expect(() => loadPolicyRef('tema', opts())).toThrow(/unknown policy "tema" \(did you mean "team"\?\).*Builtins: ask_on_shell, ask_on_write, .*deny_paths, spawn_bounds\. Policy files in .*config\/policies: team\./);
  });

  it('builtinPolicy() validates params from code too', () => {
    expect(() => builtinPolicy('ask_on_write', { paths: 3 })).toThrow(/ask_on_write parameter paths must be a string or a list of strings, not a number/);
    expect(() => builtinPolicy('nope')).toThrow(/unknown builtin policy "nope"; builtins: ask_on_shell/);
    expect(builtinPolicy('max_tool_calls', { max: 3 }, { name: 'cap', level: 'global' })).toMatchObject({ level: 'global', policy: { name: 'cap' } });
  });
});
