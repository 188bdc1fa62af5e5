#!/usr/bin/env node
// Policy latency bench: what 20 loaded policies cost per decision, against none, in one run.
//
//   npm run build && node bench/policy-latency.mjs [--quick] [--n 20000] [--warmup 2000]
//                      [--e2e-n 500] [--e2e-warmup 20] [--no-e2e] [--json] [--keep]
//   node bench/policy-latency.mjs --explain   # the subject cycle and each verdict, then exit
//
// Two levels, each timing the baseline and the variant side by side, interleaved:
//
// 1. in-process (dist/ imported here): per decision, the Claude adapter's normalizeToolCall and
//    buildToolSubject (shell parse + paths) then evaluatePolicies, over a mixed stream of
//    Claude-like tool calls and prompts:
//      none        buildToolSubject + evaluatePolicies([])
//      20 policies buildToolSubject + evaluatePolicies(<the 20 policies>), state carried along
//      parse only  parseShell(script) alone, for the shell calls
//    and, apart, the daemon's persisting of a decision's updates (PolicyStateStore.append: one
//    line on the session's policy-state journal, a snapshot every 1000 lines), next to the
//    full state file rewrite it replaced (writeFileAtomic of policy-state.json).
//    State updates are applied after each decision as the daemon does (allow/none at once; an
//    ask as if a person approved it once; a deny never). evaluatePolicies never waits for an
//    approval (only the daemon's PolicyService does), so asks here are just verdicts.
// 2. end to end: two real omni Claude sessions (pinned claude, idle, model on a closed port) on
//    one daemon, one started without policies and one with `--policy <file of the same 20>`;
//    the exact PreToolUse hook command from each session's claude-settings.json is run as
//    `/bin/sh -c` with a payload on stdin, interleaved (plus a raw HTTP POST to each agent
//    socket, the daemon's share). Commands are chosen so every verdict is allow or none (an ask
//    would hold the hook); each reply is checked against the verdict the in-process engine
//    predicts for that exact call sequence. See bench/README.md.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST, HARNESS_BIN, ROOT, createWorld, eachArg, f2, interleave, machine, now, parseOptions, r2, rawPost, runMain, sayer, stats, statsDiff, statsHeader, statsRow, us } from './lib.mjs';

// ---------------------------------------------------------------------------------- options
/** What --quick stands for: the short run CI makes (test/integration/bench.test.ts). */
const QUICK = ['--n', '300', '--warmup', '30', '--e2e-n', '10', '--e2e-warmup', '2'];

function parseArgs(argv) {
  const o = { n: 20000, warmup: 2000, e2eN: 500, e2eWarmup: 20, e2e: true, json: false, keep: false, explain: false };
  eachArg(argv, (a, flag, num) => {
    if (flag === '--n' || flag === '-n') o.n = num();
    else if (flag === '--warmup') o.warmup = num();
    else if (flag === '--e2e-n') o.e2eN = num();
    else if (flag === '--e2e-warmup') o.e2eWarmup = num();
    else if (a === '--no-e2e') o.e2e = false;
    else if (a === '--json') o.json = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--explain') o.explain = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node bench/policy-latency.mjs [--quick] [--n 20000] [--warmup 2000] [--e2e-n 500] [--e2e-warmup 20] [--no-e2e] [--json] [--keep] [--explain]\n');
      process.exit(0);
    } else throw new Error(`unknown argument: ${a}`);
  });
  if (o.n < 1) throw new Error('--n must be at least 1');
  if (o.e2e && o.e2eN < 1) throw new Error('--e2e-n must be at least 1');
  return o;
}

const opts = parseOptions('policy-latency', parseArgs, QUICK);
const say = sayer(opts);
const world = createWorld({ prefix: 'omp-', say, keep: opts.keep });
const { dir, home, work, omni, must, runHook } = world;
const policyFile = path.join(dir, 'policies.yaml');

// A small project for the session directory: existing files matter (write_only_created stats
// written paths; shell globs in a last path segment are expanded against the file system).
const PROJECT = {
  'README.md': '# demo\n\nA small project.\n',
  'package.json': '{ "name": "demo", "version": "1.0.0", "scripts": { "test": "vitest run", "build": "tsc" } }\n',
  'tsconfig.json': '{ "compilerOptions": { "strict": true } }\n',
  'src/index.ts': "export * from './util.js';\n",
  'src/util.ts': 'export const add = (a: number, b: number) => a + b; // TODO: more\n',
  'src/cli.ts': "import { add } from './util.js';\nconsole.log(add(1, 2));\n",
  'test/util.test.ts': "import { add } from '../src/util.js';\n",
  'docs/guide.md': '# guide\n',
};
for (const [rel, text] of Object.entries(PROJECT)) {
  fs.mkdirSync(path.dirname(path.join(work, rel)), { recursive: true });
  fs.writeFileSync(path.join(work, rel), text);
}

const ratio = (a, b) => (b > 0 ? Math.round((a / b) * 100) / 100 : NaN);

// ------------------------------------------------------------------------------ policies
// 20 policies: every builtin with typical parameters (deny_paths twice), and ten rule
// policies: the two example files in agents/policies/ verbatim, the examples of
// docs/POLICIES.md, and a few more in the same spirit. Limits that a long run would trip
// (max_tool_calls, the checkpoint every N calls) are raised: the rules still run in full.
// Everything is chosen so the e2e commands below get allow or none (an ask would hold).
function exampleEntries(file) {
  const text = fs.readFileSync(path.join(ROOT, 'agents', 'policies', file), 'utf8');
  const at = text.search(/^policies:\s*$/m);
  if (at < 0) throw new Error(`agents/policies/${file}: no top-level policies: line`);
  return text.slice(text.indexOf('\n', at) + 1);
}

const POLICY_TEXT = `# written by bench/policy-latency.mjs: 10 builtins + 10 rule policies
policies:
  - use: ask_on_shell
    with:
      except:
        - "git status|log|diff|show|branch|rev-parse|ls-files|blame"
        - "ls|pwd|cd|echo|printf|true|test|which"
        - "cat|head|tail|wc|less|file|stat"
        - "grep|rg|find|fd"
        - "sort|uniq|cut|tr|awk|jq|xargs"
        - "bash|sh|zsh -c"
        - "npm test|run"
        - "npx tsc|vitest|eslint|prettier"
        - "tsc|vitest|eslint|prettier|node"
  - use: ask_on_write
    with: { paths: ["package.json", "package-lock.json", "**/*.lock", ".github/**", "Dockerfile", "**/*.sh"] }
  - use: max_tool_calls
    with: { max: 10000000 }
  - use: detect_loop
    with: { repeats: 3, window: 10 }
  - use: blast_radius
    with:
      ask: ["make deploy|release", "docker push|login"]
      deny: ["git clean -x"]
      protect: [".git/**", "~/projects/**"]
  - use: taint_then_ask
    with: { then: ["git push", "npm publish"] }
  - use: write_only_created
    with: { paths: ["src/**", "test/**"] }
  - use: allow_paths
    with: { paths: ["**", "/tmp/**"] }
  - use: deny_paths
    name: no-secrets
    description: never read or write credentials
    with: { paths: ["~/.ssh/**", "~/.aws/**", "~/.config/gh/**", "**/.env", "**/*.pem"] }
  - use: deny_paths
    name: no-system-writes
    with: { paths: ["/etc/**", "/usr/**", "/var/**", "/opt/**"], access: write }
${exampleEntries('no-push-after-install.yaml')}${exampleEntries('reviewed-src-edits.yaml')}  - name: approve-each-file
    rules:
      - when: { write: { all: "docs/**" } }
        then: { add: { set: approved-files, value: $write } }
      - when: { not_in_set: { set: approved-files, value: $write } }
        verdict: ask
        reason: "first write to \${write} in this session"
        then: { add: { set: approved-files, value: $write } }
  - name: checkpoints
    rules:
      - when: { phase: tool_call, counter: { calls: { gte: 9999999 } } }
        verdict: ask
        reason: "checkpoint: \${counter.calls} tool calls so far"
        grant: checkpoints
        then: { reset: calls }
      - when: { phase: tool_call }
        then: { incr: calls }
  - name: lock-on-failed-deploy
    rules:
      - when: { ok: false, command: "make deploy" }
        then: { label: locked }
      - when: { label: locked }
        verdict: deny
        reason: a deploy failed; the session is locked until someone looks at it
  - name: fast-path
    description: read-only git and reads inside the project skip Claude's own prompt
    rules:
      - when: { command: "git status|log|diff|show", opaque: false, not: { command: "git diff --output" } }
        verdict: allow
        reason: "read-only git: \${command}"
      - when: { kind: read, read: { all: "**" } }
        verdict: allow
        reason: "read inside the project: \${read}"
  - name: web-hosts
    rules:
      - when: { host: ["github.com", "*.github.com", "docs.anthropic.com", "registry.npmjs.org"] }
        verdict: allow
      - when: { kind: web }
        verdict: ask
        reason: "web access to \${host}"
        grant: "host:\${host}"
  - name: prompt-guard
    rules:
      - when: { prompt: "/\\\\b(api[_-]?key|password|secret|token)\\\\s*[:=]\\\\s*\\\\S+/i" }
        verdict: deny
        reason: the prompt seems to contain a credential; omni kept it from the model
      - when: { prompt: "#lock\\\\b" }
        then: { label: locked }
      - when: { prompt: "#unlock\\\\b" }
        then: { unlabel: locked, incr: unlocks }
  - name: shell-hygiene
    rules:
      - when: { command: ["sudo", "doas", "su", "pkexec"] }
        verdict: deny
        reason: "no root in agent sessions: \${command}"
      - when: { command: ["curl|wget", "nc|ncat|socat"], not_label: network-ok }
        verdict: ask
        reason: "network from the shell: \${command}"
        grant: "net:\${program}"
      - when: { command: "chmod|chown" }
        then: { incr: perm-changes }
      - when: { opaque: true }
        then: { incr: opaque-scripts }
  - name: track-touched
    rules:
      - when: { write: "**" }
        then: { add: { set: touched, value: $write } }
      - when: { read: "**/*.md" }
        then: { incr: doc-reads }
      - when: { tool: "mcp__*", not_in_set: { set: mcp-ok, value: $tool } }
        verdict: ask
        reason: "first use of \${tool}"
        then: { add: { set: mcp-ok, value: $tool } }
`;

// ------------------------------------------------------------------------ subject stream
// A Claude-like session: about half shell calls, a third reads/searches, the rest edits,
// writes, web, MCP and prompts. Weights are how many times an entry appears in the cycle.
const SCRIPT_LONG = `set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
changed=$(git diff --name-only HEAD~1 -- src | grep -E '\\.ts$' || true)
for f in $changed; do
  case "$f" in
    *.test.ts) echo "test: $f" ;;
    *) wc -l "$f" | awk '{print $1}' ;;
  esac
done
if [ -n "$changed" ]; then
  npx tsc --noEmit -p tsconfig.json 2>&1 | tail -n 20
fi
grep -rn "TODO" src | sort | uniq -c | sort -rn | head -n 10`;

const SHELL = [
  [4, 'ls -la'],
  [4, 'git status'],
  [3, 'git log --oneline -n 20'],
  [2, 'git diff --stat HEAD~1'],
  [3, 'cat README.md | head -n 40'],
  [2, 'grep -rn "TODO" src | wc -l'],
  [2, "bash -lc 'cd src && ls -la && git status --short'"],
  [3, 'npm test 2>&1 | tail -n 30'],
  [2, 'npx tsc --noEmit -p tsconfig.json'],
  [1, "find . -name '*.ts' -not -path './node_modules/*' | xargs wc -l | sort -n | tail -n 5"],
  [1, 'for f in src/*.ts; do echo "== $f"; head -n 3 "$f"; done'],
  [1, SCRIPT_LONG],
  [1, 'npm install --save-dev vitest@latest'],
  [1, 'git add -A && git commit -m "fix: handle empty input" && git push origin main'],
  [1, 'rm -rf dist && npm run build'],
  [1, "sed -i 's/a + b/b + a/' src/util.ts"],
  [1, 'echo "export const x = 1;" > src/generated.ts'],
  [1, "cat > /tmp/omni-bench-notes.txt <<'EOF'\nline one\nline two\nEOF"],
  [1, "curl -sS https://api.github.com/repos/o/r | jq '.stargazers_count'"],
  [1, 'python3 -c \'import json,sys; print(json.load(sys.stdin)["version"])\' < package.json'],
  [1, 'docker build -t app:dev . && docker run --rm app:dev npm test'],
  [1, 'timeout 60 npm run lint -- --fix'],
  [1, 'sudo apt-get install -y jq'],
  [1, 'rm -rf /'],
  [1, 'eval "$(ssh-agent -s)"'],
];
const FILE = [
  [3, 'Read', { file_path: 'README.md' }],
  [3, 'Read', { file_path: 'src/util.ts' }],
  [2, 'Read', { file_path: 'src/index.ts', offset: 1, limit: 200 }],
  [1, 'Read', { file_path: 'docs/guide.md' }],
  [1, 'Read', { file_path: '~/.ssh/id_rsa' }],
  [3, 'Grep', { pattern: 'export const', path: 'src', output_mode: 'content' }],
  [2, 'Glob', { pattern: '**/*.ts' }],
  [2, 'Edit', { file_path: 'src/util.ts', old_string: 'a + b', new_string: 'b + a' }],
  [1, 'Edit', { file_path: 'package.json', old_string: '"1.0.0"', new_string: '"1.0.1"' }],
  [2, 'Write', { file_path: 'src/feature.ts', content: 'export const feature = true;\n'.repeat(20) }],
  [1, 'Write', { file_path: 'docs/notes.md', content: '# notes\n' }],
  [1, 'WebFetch', { url: 'https://github.com/o/r/issues/1', prompt: 'summarise' }],
  [1, 'WebFetch', { url: 'https://example.com/docs', prompt: 'summarise' }],
  [1, 'mcp__github__get_issue', { owner: 'o', repo: 'r', issue_number: 1 }],
];
const PROMPTS = [
  [1, 'Fix the failing test in src/util.ts, then run the whole suite.'],
  [1, `Here is the spec for the new feature:\n${'The command reads a config file, validates it and prints a summary. '.repeat(30)}`],
  [1, 'Use this to log in: password: hunter2'],
];

function kindOf(tool) {
  if (tool === 'Bash') return 'shell';
  if (tool === 'Read' || tool === 'Glob' || tool === 'Grep') return 'read';
  if (tool === 'Write') return 'write';
  if (tool === 'Edit') return 'edit';
  if (tool === 'WebFetch') return 'web';
  if (tool.startsWith('mcp__')) return 'mcp';
  return 'other';
}

function buildStream() {
  const out = [];
  for (const [w, command] of SHELL) {
    const cls = command === 'ls -la' || command === 'git status' || command.startsWith('git log') || command.startsWith('git diff') ? 'shell, simple' : 'shell, compound';
    for (let i = 0; i < w; i++) out.push({ cls, phase: 'tool_call', tool: 'Bash', kind: 'shell', input: { command, description: 'bench' } });
  }
  for (const [w, tool, input] of FILE) {
    const inp = { ...input };
    if (typeof inp.file_path === 'string' && !inp.file_path.startsWith('~')) inp.file_path = path.join(work, inp.file_path);
    for (let i = 0; i < w; i++) out.push({ cls: 'file/web/mcp tools', phase: 'tool_call', tool, kind: kindOf(tool), input: inp });
  }
  for (const [w, text] of PROMPTS) for (let i = 0; i < w; i++) out.push({ cls: 'prompts', phase: 'prompt', text });
  // A fixed shuffle (so runs are comparable), no two identical neighbours by construction.
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// ------------------------------------------------------------------------------- level 1
async function loadEngine() {
  if (!fs.existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` first');
  const imp = (p) => import(pathToFileURL(path.join(DIST, p)).href);
  const [{ evaluatePolicies }, { parsePolicyText }, { PolicyState }, { buildToolSubject }, { parseShell }, { writeFileAtomic }, { claudeAdapter }, { PolicyStateStore }] = await Promise.all([
    imp('policy/engine.js'),
    imp('policy/rules.js'),
    imp('policy/state.js'),
    imp('policy/subject.js'),
    imp('policy/shell.js'),
    imp('core/fsutil.js'),
    imp('harnesses/claude/index.js'),
    imp('daemon/policy-state-store.js'),
  ]);
  return { evaluatePolicies, parsePolicyText, PolicyState, buildToolSubject, parseShell, writeFileAtomic, adapter: claudeAdapter, PolicyStateStore };
}

const SESSION = { id: 'bench0000', name: 'bench', harness: 'claude', cwd: work };

/** One decision the way PolicyService.decide makes it (minus the event and the file write). */
async function decide(E, policies, state, item, callId) {
  let subject;
  if (item.phase === 'prompt') subject = { phase: 'prompt', session: SESSION, prompt: { text: item.text } };
  else {
    // As the hook path does: the adapter normalizes the call, the policy layer resolves it.
    const call = E.adapter.normalizeToolCall(item.tool, item.input);
    subject = { phase: 'tool_call', session: SESSION, tool: E.buildToolSubject({ name: item.tool, callId, input: item.input, call }, work, { home }) };
  }
  return E.evaluatePolicies(policies, subject, state);
}

/** What the daemon does with a result's updates: allow/none at once, ask on approval (simulated), deny never. */
function applyAsDaemon(state, result) {
  if (result.verdict !== 'deny' && result.updates.length) state.apply(result.updates);
}

async function inProcess(E, policies) {
  const stream = buildStream();
  const state20 = new E.PolicyState();
  const state0 = new E.PolicyState();
  const keys = ['none', 'p20', 'parse'];
  const times = { none: [], p20: [], parse: [], persist: [], rewrite: [] };
  const updateSample = [];
  let persisted = 0;
  const byClass = {};
  const verdicts = { none: {}, p20: {} };
  let maxAskUs = 0;
  const total = opts.warmup + opts.n;
  say(`in-process: ${policies.length} policies, a cycle of ${stream.length} subjects, ${opts.n} decisions per variant (+${opts.warmup} warm-up), interleaved`);
  const tStart = Date.now();
  for (let i = 0; i < total; i++) {
    const item = stream[i % stream.length];
    const callId = `toolu_bench_${i}`;
    const measured = i >= opts.warmup;
    for (let j = 0; j < keys.length; j++) {
      const k = keys[(i + j) % keys.length];
      if (k === 'parse') {
        if (item.kind !== 'shell') continue;
        const script = E.adapter.normalizeToolCall(item.tool, item.input).script;
        const t0 = now();
        E.parseShell(script);
        const t1 = now();
        if (measured) times.parse.push(us(t0, t1));
        continue;
      }
      const p = k === 'p20' ? policies : [];
      const st = k === 'p20' ? state20 : state0;
      const t0 = now();
      const res = await decide(E, p, st, item, callId);
      const t1 = now();
      applyAsDaemon(st, res);
      if (k === 'p20' && measured && res.verdict !== 'deny' && res.updates.length) {
        persisted++;
        if (updateSample.length < 3000) updateSample.push(res.updates);
      }
      if (!measured) continue;
      const t = us(t0, t1);
      times[k].push(t);
      verdicts[k][res.verdict] = (verdicts[k][res.verdict] ?? 0) + 1;
      if (res.verdict === 'ask') maxAskUs = Math.max(maxAskUs, t);
      ((byClass[item.cls] ??= { none: [], p20: [] })[k]).push(t);
    }
  }
  const elapsed = (Date.now() - tStart) / 1000;
  // The daemon also persists the updates of every decision it applies (PolicyStateStore.append:
  // one journal line, the snapshot rewritten every 1000 lines) before it answers. Timed apart,
  // after the decisions (disk writes between them would disturb them), with the updates the
  // decisions above made; and the full rewrite of the end state that it replaced.
  const stateDir = fs.mkdtempSync(path.join(dir, 'pstate-'));
  const store = new E.PolicyStateStore(stateDir);
  const live = store.load();
  const skip = Math.min(100, Math.floor(updateSample.length / 10)); // warm-up, as for the rewrite
  for (let i = 0; i < updateSample.length; i++) {
    live.apply(updateSample[i]);
    const w0 = now();
    store.append(live, { u: updateSample[i] });
    if (i >= skip) times.persist.push(us(w0, now()));
  }
  store.close(live);
  const stateFile = path.join(dir, 'policy-state.json');
  const stateText = JSON.stringify(state20.toJSON(), null, 2) + '\n';
  for (let i = 0; i < Math.min(2000, opts.n) + 100; i++) {
    const w0 = now();
    E.writeFileAtomic(stateFile, stateText);
    if (i >= 100) times.rewrite.push(us(w0, now()));
  }
  const figures = { none: stats(times.none), p20: stats(times.p20), parse: stats(times.parse), persist: stats(times.persist), rewrite: stats(times.rewrite) };
  const classes = Object.fromEntries(Object.entries(byClass).map(([c, v]) => [c, { none: stats(v.none), p20: stats(v.p20) }]));
  return {
    unit: 'us',
    n: opts.n,
    warmup: opts.warmup,
    subjects: stream.length,
    elapsedS: Math.round(elapsed * 10) / 10,
    figures,
    ratio: { p50: ratio(figures.p20.p50, figures.none.p50), p90: ratio(figures.p20.p90, figures.none.p90), p99: ratio(figures.p20.p99, figures.none.p99), mean: ratio(figures.p20.mean, figures.none.mean) },
    added: { p50: r2(figures.p20.p50 - figures.none.p50), p99: r2(figures.p20.p99 - figures.none.p99), mean: r2(figures.p20.mean - figures.none.mean) },
    classes,
    verdicts,
    maxAskUs: r2(maxAskUs),
    statePersist: { decisionsWithUpdates: persisted, stateBytes: Buffer.byteLength(stateText) },
  };
}

// ------------------------------------------------------------------------------- level 2
// The calls the e2e sessions see, in order (each session takes the next one per call). Nine
// distinct calls cycling: detect_loop (3 in 10) never fires, and with two daemon-bound
// variants per session per iteration an odd cycle spreads the calls evenly over both.
const E2E_CALLS = [
  ['Bash', { command: 'ls -la' }],
  ['Bash', { command: 'git status' }],
  ['Bash', { command: 'cat README.md | head -n 20' }],
  ['Bash', { command: 'git log --oneline -n 10' }],
  ['Bash', { command: "bash -lc 'git diff --stat && ls src'" }],
  ['Bash', { command: 'grep -rn TODO src | wc -l' }],
  ['Bash', { command: "find . -name '*.ts' -not -path './node_modules/*' | head -n 50" }],
  ['Read', { file_path: 'README.md' }],
  ['Bash', { command: 'wc -l README.md package.json && git status --short' }],
].map(([tool, input]) => ({ tool, kind: kindOf(tool), input: tool === 'Read' ? { file_path: path.join(work, input.file_path) } : { ...input, description: 'bench' } }));

/** The verdicts the policy session will give, call by call, from the in-process engine. */
async function predictE2E(E, policies, count) {
  const state = new E.PolicyState();
  const out = [];
  for (let k = 0; k < count; k++) {
    const c = E2E_CALLS[k % E2E_CALLS.length];
    const res = await decide(E, policies, state, { phase: 'tool_call', ...c }, `p${k}`);
    if (res.verdict === 'ask' || res.verdict === 'deny') throw new Error(`e2e call ${k} (${c.tool} ${JSON.stringify(c.input)}) would get ${res.verdict}: ${res.reason}; the e2e calls must get allow or none`);
    applyAsDaemon(state, res);
    out.push(res.verdict);
  }
  return out;
}

async function endToEnd(E, policies) {
  if (!fs.existsSync(path.join(HARNESS_BIN, 'claude'))) throw new Error(`no pinned claude at ${HARNESS_BIN}/claude: run \`npm run test:setup\``);
  const total = opts.e2eWarmup + opts.e2eN;
  const expected = await predictE2E(E, policies, 2 * total + 10);
  say(`e2e: world ${dir}`);
  say('starting two omni Claude sessions (real claude, idle, model on a closed port): bench-none, bench-pol --policy <20 policies>');
  const sNone = world.startSession('bench-none', []);
  const sPol = world.startSession('bench-pol', ['--policy', policyFile]);
  for (const name of ['bench-none', 'bench-pol']) {
    const waited = omni(['wait', name, '--for', 'idle', '--timeout', '90'], { timeoutMs: 100_000 });
    if (waited.code !== 0) throw new Error(`session ${name} never became idle: ${waited.stderr.trim() || waited.stdout.trim()}`);
  }
  const recs = JSON.parse(must(['ls', '--json']).stdout);
  const setup = (session, key) => {
    // The payload: the recorded fixture with this session's own identity; tool_use_id changes
    // on every call.
    const s = world.attach(session, recs);
    let k = 0;
    const next = () => {
      const c = E2E_CALLS[k % E2E_CALLS.length];
      const i = k++;
      return { i, body: JSON.stringify({ ...s.base, tool_name: c.tool, tool_input: c.input, tool_use_id: `toolu_bench_${key}_${i}` }) };
    };
    return { ...s, next };
  };
  const none = setup(sNone, 'none');
  const pol = setup(sPol, 'pol');
  const pl = JSON.parse(must(['policy', 'ls', 'bench-pol', '--json']).stdout);
  const loaded = (pl.policies ?? pl).length;
  if (loaded !== policies.length) throw new Error(`bench-pol has ${loaded} policies loaded, expected ${policies.length}`);
  say(`sessions ${none.id} (no policies), ${pol.id} (${loaded} policies); PreToolUse hook command:\n  ${pol.hookCmd}`);

  // What each call must print: nothing for none; Claude's allow JSON for allow.
  const hookOk = (verdict, r) => {
    if (r.error) return r.error.message;
    if (r.code !== 0) return `exit ${r.code}: ${r.stderr.trim()}`;
    if (r.stderr !== '') return `stderr ${JSON.stringify(r.stderr)}`;
    if (verdict === 'none') return r.stdout === '' ? undefined : `stdout ${JSON.stringify(r.stdout)}`;
    try {
      const o = JSON.parse(r.stdout);
      return o.hookSpecificOutput?.permissionDecision === 'allow' ? undefined : `stdout ${JSON.stringify(r.stdout)}`;
    } catch {
      return `stdout ${JSON.stringify(r.stdout)}`;
    }
  };
  const httpOk = (verdict, r) => {
    if (r.error) return r.error.message;
    if (r.status !== 200 || !r.body.startsWith('0\n')) return `HTTP ${r.status} ${JSON.stringify(r.body)}`;
    return hookOk(verdict, { code: 0, stderr: '', stdout: r.body.slice(2) ? `${r.body.slice(2)}\n` : '' });
  };
  const variants = [
    { key: 'hookNone', label: 'omni hook, no policies', run: async () => { const c = none.next(); const r = runHook(none.hookCmd, c.body); return { t: r.t, why: hookOk('none', r), verdict: 'none' }; } },
    { key: 'hookPol', label: 'omni hook, 20 policies', run: async () => { const c = pol.next(); const r = runHook(pol.hookCmd, c.body); return { t: r.t, why: hookOk(expected[c.i], r), verdict: expected[c.i] }; } },
    { key: 'httpNone', label: 'raw HTTP, no policies', run: async () => { const c = none.next(); const r = await rawPost(none.sock, c.body, { timeoutMs: 30_000 }); return { t: r.t, why: httpOk('none', r), verdict: 'none' }; } },
    { key: 'httpPol', label: 'raw HTTP, 20 policies', run: async () => { const c = pol.next(); const r = await rawPost(pol.sock, c.body, { timeoutMs: 30_000 }); return { t: r.t, why: httpOk(expected[c.i], r), verdict: expected[c.i] }; } },
  ];
  say(`e2e: timing ${variants.length} variants x ${opts.e2eN} runs (+${opts.e2eWarmup} warm-up), interleaved`);
  const { times, failures, verdicts: seen, firstWhy, elapsed } = await interleave(variants, { n: opts.e2eN, warmup: opts.e2eWarmup, quiet: opts.json });

  // Every call became a tool.call event; every call to bench-pol also a policy.decision.
  const evNone = world.events('bench-none');
  const evPol = world.events('bench-pol');
  const count = (evs, type) => evs.filter((e) => e.type === type).length;
  const decisions = evPol.filter((e) => e.type === 'policy.decision');
  const badDecisions = decisions.filter((d) => d.data?.verdict === 'ask' || d.data?.verdict === 'deny').length;
  const checks = {
    toolCallsNone: { seen: count(evNone, 'tool.call'), expected: 2 * total },
    toolCallsPol: { seen: count(evPol, 'tool.call'), expected: 2 * total },
    policyDecisionsPol: { seen: decisions.length, expected: 2 * total, askOrDeny: badDecisions },
    policyDecisionsNone: { seen: count(evNone, 'policy.decision'), expected: 0 },
    approvalsRequested: count(evPol, 'approval.requested') + count(evNone, 'approval.requested'),
  };
  const checksOk =
    checks.toolCallsNone.seen === checks.toolCallsNone.expected &&
    checks.toolCallsPol.seen === checks.toolCallsPol.expected &&
    checks.policyDecisionsPol.seen === checks.policyDecisionsPol.expected &&
    badDecisions === 0 &&
    checks.policyDecisionsNone.seen === 0 &&
    checks.approvalsRequested === 0;

  const figures = Object.fromEntries(variants.map((v) => [v.key, { ...stats(times[v.key]), failures: failures[v.key], verdicts: seen[v.key] }]));
  return {
    unit: 'ms',
    n: opts.e2eN,
    warmup: opts.e2eWarmup,
    elapsedS: Math.round(elapsed * 10) / 10,
    variants: variants.map((v) => ({ key: v.key, label: v.label })),
    figures,
    addedByPolicies: { hook: statsDiff(figures.hookPol, figures.hookNone), http: statsDiff(figures.httpPol, figures.httpNone) },
    checks,
    checksOk,
    failures: Object.values(failures).reduce((a, b) => a + b, 0),
    ...(Object.keys(firstWhy).length ? { firstFailure: firstWhy } : {}),
  };
}

// --------------------------------------------------------------------------------- main
async function main() {
  const E = await loadEngine();
  fs.writeFileSync(policyFile, POLICY_TEXT);
  const policies = E.parsePolicyText(POLICY_TEXT, policyFile, 'session', { home });
  if (policies.length !== 20) throw new Error(`expected 20 policies, parsed ${policies.length}`);

  if (opts.explain) {
    // One pass over the cycle (twice, to show the state's effect), verdicts as the bench sees them.
    const state = new E.PolicyState();
    const stream = buildStream();
    for (let i = 0; i < 2 * stream.length; i++) {
      const item = stream[i % stream.length];
      const res = await decide(E, policies, state, item, `x${i}`);
      applyAsDaemon(state, res);
      const what = item.phase === 'prompt' ? `prompt ${JSON.stringify(item.text.slice(0, 50))}` : `${item.tool} ${JSON.stringify(item.input).slice(0, 90)}`;
      process.stdout.write(`${String(i).padStart(3)} ${res.verdict.padEnd(5)} ${res.policies.join(',').padEnd(40)} ${what}\n`);
    }
    return 0;
  }
  const inproc = await inProcess(E, policies);
  const e2e = opts.e2e ? await endToEnd(E, policies) : undefined;

  const summary = {
    bench: 'policy-latency',
    date: new Date().toISOString(),
    machine: machine(),
    policies: policies.map((p) => p.policy.name),
    inProcess: inproc,
    ...(e2e ? { e2e } : {}),
  };
  const ok = !e2e || (e2e.failures === 0 && e2e.checksOk);

  if (opts.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
    return ok ? 0 : 1;
  }
  const L = [];
  const hdr = (first, w) => statsHeader(first, w, 9);
  const row = (label, s, w) => statsRow(label, s, w, 9);
  L.push('');
  L.push(`${summary.machine.cpus} CPUs (${summary.machine.cpu}), Node ${process.version}, ${summary.machine.tmux}`);
  L.push('');
  L.push(`1. in-process decision (buildToolSubject + evaluatePolicies), ${inproc.n} decisions each, ${inproc.warmup} warm-up, interleaved, µs, ${inproc.elapsedS} s`);
  L.push(hdr('variant', 40));
  L.push(row('no policies', inproc.figures.none, 40));
  L.push(row('20 policies', inproc.figures.p20, 40));
  L.push(row(`shell parse alone (${inproc.figures.parse.n} shell calls)`, inproc.figures.parse, 40));
  L.push(row(`state journal append (apart)`, inproc.figures.persist, 40));
  L.push(row(`old: state file rewrite (${inproc.statePersist.stateBytes} B)`, inproc.figures.rewrite, 40));
  L.push(`ratio 20/none: p50 ${inproc.ratio.p50}x, p90 ${inproc.ratio.p90}x, p99 ${inproc.ratio.p99}x, mean ${inproc.ratio.mean}x; added p50 ${inproc.added.p50} µs, p99 ${inproc.added.p99} µs`);
  L.push('by subject, p50 / p99 µs:');
  for (const [c, v] of Object.entries(inproc.classes)) {
    L.push(`  ${c.padEnd(22)} none ${f2(v.none.p50, 7)} /${f2(v.none.p99, 7)}   20 policies ${f2(v.p20.p50, 7)} /${f2(v.p20.p99, 7)}   (n ${v.p20.n})`);
  }
  L.push(`verdicts with 20 policies: ${JSON.stringify(inproc.verdicts.p20)} (asks are returned, never awaited: slowest ask ${inproc.maxAskUs} µs)`);
  L.push(`${inproc.statePersist.decisionsWithUpdates} of ${inproc.n} 20-policy decisions had updates to apply: the daemon journals them before it answers`);
  if (e2e) {
    L.push('');
    L.push(`2. end to end, PreToolUse through the daemon, ${e2e.n} runs each, ${e2e.warmup} warm-up, interleaved, ms, ${e2e.elapsedS} s`);
    L.push(`${hdr('variant', 30)}  fail`);
    for (const v of e2e.variants) L.push(`${row(v.label, e2e.figures[v.key], 30)}  ${String(e2e.figures[v.key].failures).padStart(4)}`);
    const h = e2e.addedByPolicies.hook;
    const x = e2e.addedByPolicies.http;
    L.push(`added by 20 policies: hook p50 ${h.p50} ms, p90 ${h.p90} ms, p99 ${h.p99} ms, mean ${h.mean} ms; raw HTTP p50 ${x.p50} ms, p99 ${x.p99} ms`);
    L.push(`verdicts (20 policies): hook ${JSON.stringify(e2e.figures.hookPol.verdicts)}, http ${JSON.stringify(e2e.figures.httpPol.verdicts)}`);
    L.push(`events: ${JSON.stringify(e2e.checks)}${e2e.checksOk ? '' : '  <-- MISMATCH'}`);
    if (e2e.failures) L.push(`FAILURES: ${e2e.failures}; first: ${JSON.stringify(e2e.firstFailure)}`);
  }
  L.push('');
  L.push(JSON.stringify(summary));
  process.stdout.write(L.join('\n') + '\n');
  return ok ? 0 : 1;
}

await runMain('policy-latency', main, world.cleanup);
