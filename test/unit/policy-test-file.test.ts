import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeForTest } from '../../src/cli/commands/policy-test.js';
import { parseTestFile } from '../../src/policy/test-file.js';
import { runTestFile } from '../../src/policy/test-run.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-ptest-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const HEAD = 'env: {HOME: /home/agent, OMNI_HOME: /home/agent/.omni}\ncwd: /home/agent/project\n';
const run = (text: string, name = 't.yaml') => runTestFile(parseTestFile(HEAD + text, path.join(dir, name)), { subjectFor: normalizeForTest, defaultHarness: 'claude' });
const got = async (text: string) => (await run(text)).cases.map((c) => [c.name, c.got]);

describe('omni policy test files', () => {
  it('errors name file, line and column', () => {
    expect(() => parseTestFile('cases:\n  - name: a\n    tool: Bash\n    expect: maybe\n', 'f.yaml')).toThrow('f.yaml:4:13: cases[0].expect must be one of deny, ask, allow, not "maybe"');
    expect(() => parseTestFile('cases:\n  - {name: a, tool: Bash, expect: allow}\n  - {name: a, tool: Bash, expect: allow}\n', 'f.yaml')).toThrow('f.yaml:3:12: case name "a" is already used at line 2');
    expect(() => parseTestFile('cases: []\n', 'f.yaml')).toThrow('f.yaml:1:8: cases must list at least one case');
  });

  it('omni_guard is always on; the env places omni', async () => {
    expect(await got('policies: []\ncases:\n  - {name: a, tool: Bash, input: {command: "omni approve ap_1"}, expect: deny}\n  - {name: b, tool: Write, input: {file_path: /home/agent/.omni/config/policies.yaml}, expect: deny}\n  - {name: c, tool: Write, input: {file_path: ~/x}, expect: allow}\n')).toEqual([
      ['a', 'deny'],
      ['b', 'deny'],
      ['c', 'allow'],
    ]);
  });

  it('before calls carry state when they go ahead: allowed, or asked and approved; not when denied', async () => {
    const pol = '"ask_on_shell:{\\"except\\": [\\"git push\\", \\"npm ci\\"]}"';
    const r = await got(`policies: [taint_then_ask, ${pol}]
cases:
  - {name: approved, before: [{tool: Bash, input: {command: "npm ci"}}], tool: Bash, input: {command: "git push"}, expect: ask}
  - {name: nothing before, tool: Bash, input: {command: "git push"}, expect: allow}
  - {name: asked and denied, before: [{tool: Bash, input: {command: "npm ci && ls"}, answer: deny}], tool: Bash, input: {command: "git push"}, expect: allow}
  - {name: asked and approved, before: [{tool: Bash, input: {command: "npm ci && ls"}, answer: approve}], tool: Bash, input: {command: "git push"}, expect: ask}
  - {name: granted, before: [{tool: Bash, input: {command: "npm ci"}}, {tool: Bash, input: {command: "git push"}, answer: approve-session}], tool: Bash, input: {command: "git push"}, expect: allow}
  - {name: at result, policies: ['taint_then_ask:{"at": "tool_result"}'], before: [{tool: Bash, input: {command: "npm ci"}, ok: false}], tool: Bash, input: {command: "git push"}, expect: allow}
`);
    expect(r).toEqual([
      ['approved', 'ask'],
      ['nothing before', 'allow'],
      ['asked and denied', 'allow'],
      ['asked and approved', 'ask'],
      ['granted', 'allow'],
      ['at result', 'allow'],
    ]);
  });

  it('omni MCP calls (mcp: omni_spawn) are decided at phase mcp: spawn_bounds with the tree and per-turn state', async () => {
    const pol = `'spawn_bounds:{"max_children": 2, "max_depth": 1, "max_per_turn": 1, "max_tree_usd": 5}'`;
    expect(
      await got(`policies: [${pol}]
cases:
  - {name: first, mcp: omni_spawn, args: {agent: coder}, expect: allow}
  - {name: past children, mcp: omni_spawn, args: {agent: coder}, tree: {children: 2}, expect: deny}
  - {name: too deep, mcp: omni_spawn, args: {agent: coder}, tree: {depth: 1}, expect: deny}
  - {name: tree spend, mcp: omni_spawn, args: {agent: coder}, tree: {usd: 5.5}, expect: deny}
  - {name: second this turn, before: [{mcp: omni_spawn, args: {agent: coder}}], mcp: omni_spawn, args: {agent: coder}, tree: {children: 1}, expect: deny}
  - {name: not a spawn, mcp: omni_wait, args: {sessions: [a]}, tree: {children: 9}, expect: allow}
`),
    ).toEqual([
      ['first', 'allow'],
      ['past children', 'deny'],
      ['too deep', 'deny'],
      ['tree spend', 'deny'],
      ['second this turn', 'deny'],
      ['not a spawn', 'allow'],
    ]);
    expect(() => parseTestFile('cases:\n  - {name: a, mcp: omni_spawn, tool: Bash, expect: allow}\n', 'f.yaml')).toThrow('f.yaml:2:38: cases[0].tool does not go with mcp:');
    expect(() => parseTestFile('cases:\n  - {name: a, mcp: Bash, expect: allow}\n', 'f.yaml')).toThrow("names one of omni's MCP tools");
  });

  it("a call's cwd is the harness's; policy files resolve next to the test file; a mismatch is counted", async () => {
    fs.writeFileSync(path.join(dir, 'team.yaml'), 'policies:\n  - name: no-make\n    rules:\n      - when: {command: make}\n        verdict: deny\n');
    const r = await run(`policies: [blast_radius, ./team.yaml]
cases:
  - {name: cd kept, before: [{tool: Bash, input: {command: "cd /"}}], tool: Bash, input: {command: "rm -rf etc"}, cwd: /, expect: deny}
  - {name: here, tool: Bash, input: {command: "rm -rf etc"}, expect: allow}
  - {name: team, tool: Bash, input: {command: "make"}, expect: deny}
  - {name: wrong, tool: Bash, input: {command: "ls"}, expect: ask}
`);
    expect(r.cases.map((c) => [c.name, c.got, c.pass])).toEqual([
      ['cd kept', 'deny', true],
      ['here', 'allow', true],
      ['team', 'deny', true],
      ['wrong', 'allow', false],
    ]);
    expect([r.passed, r.failed]).toEqual([3, 1]);
    await expect(run('policies: [./nope.yaml]\ncases:\n  - {name: a, tool: Bash, expect: allow}\n', 'u.yaml')).rejects.toThrow(/u\.yaml:3:12: no such file \.\/nope\.yaml \(\/\S+\/nope\.yaml\)/);
  });
});
