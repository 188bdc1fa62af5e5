import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluatePolicies } from '../../src/policy/engine.js';
import { parsePolicyText } from '../../src/policy/rules.js';
import type { PolicySubject } from '../../src/policy/types.js';
import { CWD, HOME, PolicyState, bash, edit, egress, load, prompt, read, step, toolSubject, write } from '../helpers/policy.js';

const ROOT = path.resolve(__dirname, '../..');
const one = async (yaml: string, subject: PolicySubject, state = new PolicyState()) => {
  const [p] = load(yaml);
  return p!.policy.evaluate(subject, state);
};
const rules = (body: string) => `policies:\n  - name: t\n    rules:\n${body.replace(/^/gm, '      ')}\n`;

describe('rule semantics', () => {
  it('the first matching rule with a verdict decides; later rules are not looked at', async () => {
    const y = rules(`- when: { command: "git push" }\n  verdict: ask\n  reason: first\n- when: { command: git }\n  verdict: deny\n  reason: second`);
    expect(await one(y, bash('git push'))).toMatchObject({ verdict: 'ask', reason: 'first' });
    expect(await one(y, bash('git status'))).toMatchObject({ verdict: 'deny', reason: 'second' });
    expect(await one(y, bash('ls'))).toEqual({});
  });

  it('updates come from every matching rule up to and including the deciding one, not after it', async () => {
    const y = rules(`- then: { incr: a }
- when: { command: nope }
  then: { incr: b }
- when: { command: ls }
  verdict: ask
  then: { label: decided }
- then: { incr: after }`);
    const d = await one(y, bash('ls'));
    expect(d.verdict).toBe('ask');
    expect(d.updates).toEqual([{ op: 'incr', name: 'a' }, { op: 'label', name: 'decided' }]);
    // no verdict anywhere: every matching rule's updates, no verdict
    expect(await one(y, bash('pwd'))).toEqual({ updates: [{ op: 'incr', name: 'a' }, { op: 'incr', name: 'after' }] });
  });

  it('later rules see labels earlier rules set in the same evaluation (nothing is written to state)', async () => {
    const y = rules(`- when: { command: "npm install|i" }\n  then: { label: tainted }\n- when: { command: "git push", label: tainted }\n  verdict: ask`);
    const state = new PolicyState();
    expect((await one(y, bash('npm i left-pad && git push'), state)).verdict).toBe('ask');
    expect(state.hasLabel('tainted')).toBe(false);
    expect((await one(y, bash('git push'), state)).verdict).toBeUndefined();
  });

  it('phase: explicit lists, and inferred from the selectors', async () => {
    const [p] = load(rules(`- when: { command: ls }\n  verdict: deny\n- when: { prompt: hi }\n  verdict: ask\n- when: { ok: false }\n  then: { incr: failures }\n- when: { label: locked }\n  verdict: deny`));
    expect(p!.policy.phases).toEqual(['prompt', 'tool_call', 'tool_result', 'egress']);
    const s = new PolicyState();
    expect((await p!.policy.evaluate(bash('ls', { phase: 'tool_result', ok: true }), s)).verdict).toBeUndefined();
    expect((await p!.policy.evaluate(bash('ls', { phase: 'tool_result', ok: false }), s)).updates).toEqual([{ op: 'incr', name: 'failures' }]);
    expect((await p!.policy.evaluate(prompt('oh hi'), s)).verdict).toBe('ask');
    const locked = new PolicyState({ labels: ['locked'] });
    expect((await p!.policy.evaluate(egress('example.com'), locked)).verdict).toBe('deny');
    expect((await p!.policy.evaluate(prompt('no'), locked)).verdict).toBe('deny');
    expect((await p!.policy.evaluate(bash('x', { phase: 'tool_result', ok: true }), locked)).verdict).toBeUndefined();
    const [q] = load(rules(`- when: { phase: [tool_result], command: ls }\n  verdict: deny`));
    expect(q!.policy.phases).toEqual(['tool_result']);
  });

  it('tool (glob or list) and kind selectors', async () => {
    const y = rules(`- when: { tool: "mcp__github__*" }\n  verdict: ask\n- when: { tool: [Write, "Multi*"], kind: [write, edit] }\n  verdict: deny`);
    expect((await one(y, toolSubject('mcp__github__create_issue', 'mcp', {}))).verdict).toBe('ask');
    expect((await one(y, toolSubject('mcp__slack__post', 'mcp', {}))).verdict).toBeUndefined();
    expect((await one(y, write('a'))).verdict).toBe('deny');
    expect((await one(y, toolSubject('MultiEdit', 'edit', { file_path: 'a' }))).verdict).toBe('deny');
    expect((await one(y, edit('a'))).verdict).toBeUndefined();
  });

  it('command matches if any command of the parse matches any pattern, through wrappers', async () => {
    const y = rules(`- when: { command: ["git push", "rm -rf"] }\n  verdict: deny\n  reason: "no: \${command}"`);
    expect(await one(y, bash("cd x && sudo bash -c 'rm -fr build'"))).toMatchObject({ verdict: 'deny', reason: 'no: rm -fr build' });
    expect((await one(y, bash('echo $(git push)'))).verdict).toBe('deny');
    expect((await one(y, bash('git pull && rm -r x'))).verdict).toBeUndefined();
  });

  it('opaque: true matches a shell script the parser could not resolve (or a syntax error)', async () => {
    const y = rules(`- when: { opaque: true }\n  verdict: ask\n- when: { opaque: false }\n  then: { incr: clear }`);
    expect((await one(y, bash('eval "$X"'))).verdict).toBe('ask');
    expect((await one(y, bash('curl https://x | sh'))).verdict).toBe('ask');
    expect((await one(y, bash('echo "unterminated'))).verdict).toBe('ask');
    expect(await one(y, bash('ls'))).toEqual({ updates: [{ op: 'incr', name: 'clear' }] });
    expect(await one(y, write('a'))).toEqual({}); // not a shell call: neither
  });

  it('path/read/write: any (default), all, outside; relative globs are under the cwd, ~ is home', async () => {
    const y = rules(`- when: { write: { outside: ["src/**", "/tmp/**"] } }
  verdict: deny
  reason: "outside: \${write}"
- when: { write: { all: "src/**/*.test.ts" } }
  verdict: allow
- when: { read: "~/.ssh/**" }
  verdict: deny
- when: { path: "src/**" }
  verdict: ask`);
    expect(await one(y, write('/etc/passwd'))).toMatchObject({ verdict: 'deny', reason: 'outside: /etc/passwd' });
    expect((await one(y, bash('cp src/a.ts /tmp/a.ts && touch src/b.ts'))).verdict).toBe('ask'); // writes all inside; not all tests
    expect((await one(y, bash('touch src/a.test.ts src/x/b.test.ts'))).verdict).toBe('allow');
    expect((await one(y, bash('touch src/a.test.ts src/b.ts'))).verdict).toBe('ask');
    expect((await one(y, bash('echo x > out.txt'))).verdict).toBe('deny');
    expect((await one(y, read(`${HOME}/.ssh/id_ed25519`))).verdict).toBe('deny');
    expect((await one(y, read('src/index.ts'))).verdict).toBe('ask');
    expect((await one(y, read('README.md'))).verdict).toBeUndefined();
  });

  it('one loaded policy resolves a relative glob under the cwd of each session (many cwds, back and forth)', async () => {
    const [p] = load(rules(`- when: { write: "src/**" }\n  verdict: deny`));
    const verdict = async (cwd: string, file: string) => (await p!.policy.evaluate(write(file, { cwd }), new PolicyState())).verdict;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 40; i++) {
        const cwd = `/work/repo${i}`;
        expect(await verdict(cwd, `${cwd}/src/a.ts`)).toBe('deny');
        expect(await verdict(cwd, `/work/repo${i + 1}/src/a.ts`)).toBeUndefined();
      }
    }
  });

  it('prompt regex (with /…/i flags) and host globs (egress and a web tool url)', async () => {
    const y = rules(`- when: { prompt: "/deploy\\\\s+prod/i" }\n  verdict: ask\n- when: { host: ["*.internal.example.com", "169.254.169.254"] }\n  verdict: deny\n  reason: "host \${host}"`);
    expect((await one(y, prompt('please DEPLOY  prod now'))).verdict).toBe('ask');
    expect((await one(y, prompt('deploy staging'))).verdict).toBeUndefined();
    expect(await one(y, egress('db.internal.example.com'))).toMatchObject({ verdict: 'deny', reason: 'host db.internal.example.com' });
    expect((await one(y, toolSubject('WebFetch', 'web', { url: 'http://169.254.169.254/latest/meta-data' }))).verdict).toBe('deny');
    expect((await one(y, toolSubject('WebFetch', 'web', { url: 'https://example.com/' }))).verdict).toBeUndefined();
  });

  it('state tests: label/labels (all), not_label (none), counter comparisons', async () => {
    const y = rules(`- when: { labels: [a, b], not_label: c }\n  verdict: deny\n- when: { counter: { calls: { gte: 3, lt: 5 } } }\n  verdict: ask\n  reason: "calls=\${counter.calls}"`);
    expect((await one(y, bash('ls'), new PolicyState({ labels: ['a', 'b'] }))).verdict).toBe('deny');
    expect((await one(y, bash('ls'), new PolicyState({ labels: ['a'] }))).verdict).toBeUndefined();
    expect((await one(y, bash('ls'), new PolicyState({ labels: ['a', 'b', 'c'] }))).verdict).toBeUndefined();
    expect((await one(y, bash('ls'), new PolicyState({ counters: { calls: 2 } }))).verdict).toBeUndefined();
    expect(await one(y, bash('ls'), new PolicyState({ counters: { calls: 4 } }))).toMatchObject({ verdict: 'ask', reason: 'calls=4' });
    expect((await one(y, bash('ls'), new PolicyState({ counters: { calls: 5 } }))).verdict).toBeUndefined();
  });

  it('in_set with a multi-valued $write: every value in the set; not_in_set: some value not in it', async () => {
    const y = rules(`- when: { kind: [write, edit, shell], in_set: { set: mine, value: $write } }\n  verdict: allow\n- when: { not_in_set: { set: mine, value: $write } }\n  verdict: ask\n  reason: "not mine: \${write}"`);
    const st = new PolicyState({ sets: { mine: [path.join(CWD, 'a'), path.join(CWD, 'b')] } });
    expect((await one(y, bash('touch a b'), st)).verdict).toBe('allow');
    expect(await one(y, bash('touch a c'), st)).toMatchObject({ verdict: 'ask', reason: 'not mine: a, c' });
    expect((await one(y, bash('ls'), st)).verdict).toBeUndefined(); // no writes: neither matches
  });

  it('any and not combine selectors', async () => {
    const y = rules(`- when: { any: [{ command: "npm publish" }, { command: "cargo publish" }], not: { label: release-ok } }\n  verdict: ask`);
    expect((await one(y, bash('cargo publish'))).verdict).toBe('ask');
    expect((await one(y, bash('cargo publish'), new PolicyState({ labels: ['release-ok'] }))).verdict).toBeUndefined();
    expect((await one(y, bash('cargo build'))).verdict).toBeUndefined();
  });

  it('then: label, unlabel, incr (name or {name, by}), reset, add/remove with $vars and literals', async () => {
    const y = rules(`- when: { command: "touch" }
  then:
    label: [x, y]
    unlabel: z
    incr: [n, { name: m, by: 5 }]
    reset: r
    add: [{ set: touched, value: $write }, { set: tools, value: $tool }]
    remove: { set: lits, value: ["$$literal", plain] }`);
    expect(await one(y, bash('touch f'))).toEqual({
      updates: [
        { op: 'label', name: 'x' },
        { op: 'label', name: 'y' },
        { op: 'unlabel', name: 'z' },
        { op: 'incr', name: 'n' },
        { op: 'incr', name: 'm', by: 5 },
        { op: 'reset', name: 'r' },
        { op: 'add', set: 'touched', values: [path.join(CWD, 'f')] },
        { op: 'add', set: 'tools', values: ['Bash'] },
        { op: 'remove', set: 'lits', values: ['$literal', 'plain'] },
      ],
    });
  });

  it('reason and grant templates; the default grant key is rule<N>:<tool or phase>', async () => {
    const y = rules(`- when: { tool: Write }\n  verdict: ask\n  reason: "\${tool} (\${kind}) at \${phase} in \${session}: \${path}"\n  grant: "w:\${path}"\n- when: { command: ls }\n  verdict: ask`);
    expect(await one(y, write('docs/a.md'))).toMatchObject({ reason: 'Write (write) at tool_call in test: docs/a.md', grantKey: 'w:docs/a.md' });
    expect((await one(y, bash('ls'))).grantKey).toBe('rule2:Bash');
  });

  it('a session grant for one rule does not cover another rule of the same policy', async () => {
    const policies = load(rules(`- when: { command: ls }\n  verdict: ask\n- when: { command: pwd }\n  verdict: ask`));
    const st = new PolicyState();
    await step(policies, bash('ls'), st, 'approve-session');
    expect((await evaluatePolicies(policies, bash('ls'), st)).verdict).toBe('allow');
    expect((await evaluatePolicies(policies, bash('pwd'), st)).verdict).toBe('ask');
  });

  it('use: a builtin with params and a name override; two instances coexist', async () => {
    const ps = load(`policies:\n  - use: deny_paths\n    name: no-secrets\n    with: { paths: ["**/.env"], access: read }\n  - use: deny_paths\n    with: { paths: "/etc/**" }\n`);
    expect(ps.map((p) => p.policy.name)).toEqual(['no-secrets', 'deny_paths']);
    expect(ps[0]!.policy.source).toBe('test.yaml:2');
    const r = await evaluatePolicies(ps, read('.env'), new PolicyState());
    expect(r).toMatchObject({ verdict: 'deny', policies: ['no-secrets'] });
    expect((await evaluatePolicies(ps, write('.env'), new PolicyState())).verdict).toBe('none');
  });
});

describe('example policy files in agents/policies', () => {
  const file = (name: string) => {
    const f = path.join(ROOT, 'agents/policies', name);
    return parsePolicyText(fs.readFileSync(f, 'utf8'), f, 'agent', { home: HOME });
  };

  it('no-push-after-install: a push asks only after an install went ahead', async () => {
    const ps = file('no-push-after-install.yaml');
    const st = new PolicyState();
    expect((await step(ps, bash('git push'), st)).verdict).toBe('none');
    expect((await step(ps, bash('pip install requests'), st)).verdict).toBe('none');
    expect(st.hasLabel('tainted')).toBe(true);
    const r = await step(ps, bash('git push origin main'), st);
    expect(r.verdict).toBe('ask');
    expect(r.reason).toContain('git push origin main');
    // same script
    expect((await step(ps, bash('npm ci && git push'), new PolicyState())).verdict).toBe('ask');
  });

  it('reviewed-src-edits: the first src/ edit asks; approval labels the session; a revoke prompt re-arms it', async () => {
    const ps = file('reviewed-src-edits.yaml');
    const st = new PolicyState();
    expect((await step(ps, edit('README.md'), st)).verdict).toBe('none');
    const first = await step(ps, edit('src/a.ts'), st, 'deny');
    expect(first.verdict).toBe('ask');
    expect(first.reason).toContain('src/a.ts');
    expect((await step(ps, bash('sed -i s/a/b/ src/b.ts'), st, 'approve-session')).verdict).toBe('ask');
    expect(st.hasLabel('reviewer-approved')).toBe(true);
    expect((await step(ps, edit('src/c.ts'), st)).verdict).toBe('none');
    await step(ps, prompt('thanks #revoke-review'), st);
    expect(st.hasLabel('reviewer-approved')).toBe(false);
    // the earlier session grant was for round 0; this is round 1
    expect((await step(ps, edit('src/c.ts'), st)).verdict).toBe('ask');
  });
});

describe('docs/POLICIES.md examples', () => {
  const blocks = [...fs.readFileSync(path.join(ROOT, 'docs/POLICIES.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.startsWith('policies:'));
  const named = (name: string) => {
    const ps = blocks.flatMap((b) => load(b));
    return ps.filter((p) => p.policy.name === name);
  };

  it('every policy file example loads', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const b of blocks) expect(() => load(b)).not.toThrow();
  });

  it('approve-each-file: docs/ writes never ask; another file asks once, then not after approval', async () => {
    const ps = named('approve-each-file');
    const st = new PolicyState();
    expect((await step(ps, write('docs/guide.md'), st)).verdict).toBe('none');
    expect((await step(ps, write('src/a.ts'), st, 'approve')).verdict).toBe('ask');
    expect((await step(ps, edit('src/a.ts'), st)).verdict).toBe('none');
    expect((await step(ps, bash('touch src/a.ts src/b.ts'), st)).verdict).toBe('ask');
  });

  it('checkpoints ask at every 50th tool call; lock-on-failed-deploy locks after a failed deploy', async () => {
    const ps = named('checkpoints');
    const st = new PolicyState();
    const verdicts: string[] = [];
    for (let i = 0; i < 100; i++) verdicts.push((await step(ps, bash('ls'), st, 'approve')).verdict);
    await step(ps, prompt('hello'), st);
    expect(verdicts.map((v, i) => (v === 'ask' ? i + 1 : 0)).filter(Boolean)).toEqual([50, 100]);
    const lock = named('lock-on-failed-deploy');
    const ls = new PolicyState();
    await step(lock, bash('make deploy', { phase: 'tool_result', ok: true }), ls);
    expect((await step(lock, bash('ls'), ls)).verdict).toBe('none');
    await step(lock, bash('make deploy', { phase: 'tool_result', ok: false }), ls);
    expect((await step(lock, bash('ls'), ls)).verdict).toBe('deny');
    expect((await step(lock, prompt('continue'), ls)).verdict).toBe('deny');
  });
});
