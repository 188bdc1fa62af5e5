import { YamlSource, type YVal } from '../core/yaml.js';

/**
 * An `omni policy test` file (docs/CLI.md): tool calls and the verdict each must get. Parsed
 * with positions, so every mistake is reported as file:line:column (YamlError).
 */
export type Expect = 'deny' | 'ask' | 'allow';
export type Answer = 'approve' | 'approve-session' | 'deny';
export const EXPECTS: readonly Expect[] = ['deny', 'ask', 'allow'];
export const ANSWERS: readonly Answer[] = ['approve', 'approve-session', 'deny'];

/** A policy reference, with where it was written (errors loading it point there). */
export interface RefAt {
  ref: string;
  at: YVal;
}

export interface TestCall {
  tool: string;
  input: unknown;
  /**
   * An omni MCP call (phase `mcp`) instead of a harness tool call: `mcp: omni_spawn` names the
   * tool (`tool` is then that name), `args` its arguments, `tree` the caller's place in its tree.
   */
  mcp?: { args: Record<string, unknown>; tree: { children: number; live: number; depth: number }; treeUsd: number };
  /** The directory the harness says the call runs in (Claude's hook `cwd`, Codex's `workdir`). */
  cwd?: string;
  /** What a person answers if the call asks (`before` calls only; default approve). */
  answer: Answer;
  /** Did it succeed (for `tool_result` policies; default true). */
  ok: boolean;
  expect?: Expect;
  at: YVal;
}

export interface TestCase {
  name: string;
  /** Absent: the runner's default. */
  harness?: string;
  policies?: RefAt[];
  before: TestCall[];
  call: TestCall & { expect: Expect };
  at: YVal;
}

export interface TestFile {
  file: string;
  env?: Record<string, string>;
  cwd?: string;
  policies: RefAt[];
  cases: TestCase[];
}

const TOP_KEYS = ['env', 'cwd', 'policies', 'cases'];
const CASE_KEYS = ['name', 'harness', 'policies', 'before', 'tool', 'input', 'cwd', 'expect', 'mcp', 'args', 'tree'];
const CALL_KEYS = ['tool', 'input', 'cwd', 'answer', 'ok', 'expect', 'mcp', 'args', 'tree'];
const TREE_KEYS = ['children', 'live', 'depth', 'usd'];

function refs(v: YVal, what: string): RefAt[] {
  if (v.kind() === 'null') return [];
  if (v.kind() === 'list' && !v.list(what).length) return [];
  return v.strings(what).map(({ value, at }) => ({ ref: value, at }));
}

function call(v: YVal, keys: readonly string[], what: string): TestCall {
  const e = new Map(v.map(what, keys).map((x) => [x.key, x.value]));
  const mcpV = e.get('mcp');
  if (mcpV) return mcpCall(v, e, mcpV, what);
  for (const k of ['args', 'tree']) if (e.get(k)) e.get(k)!.fail(`${what}.${k} belongs to an omni MCP call (mcp: omni_spawn, …)`);
  const tool = e.get('tool') ?? v.fail(`${what} needs tool: (the tool's name, e.g. Bash) or mcp: (an omni MCP tool, e.g. omni_spawn)`);
  const input = e.get('input');
  const cwd = e.get('cwd');
  const ok = e.get('ok');
  const answer = e.get('answer');
  const expect = e.get('expect');
  return {
    tool: tool.string(`${what}.tool`),
    input: input ? input.js() : {},
    ...(cwd ? { cwd: cwd.string(`${what}.cwd`) } : {}),
    answer: answer ? answer.oneOf(`${what}.answer`, ANSWERS) : 'approve',
    ok: ok ? ok.boolean(`${what}.ok`) : true,
    ...(expect ? { expect: expect.oneOf(`${what}.expect`, EXPECTS) } : {}),
    at: v,
  };
}

/** `mcp: omni_spawn` with `args:` and `tree: {children, live, depth, usd}` (all default 0). */
function mcpCall(v: YVal, e: Map<string, YVal>, mcpV: YVal, what: string): TestCall {
  for (const k of ['tool', 'input', 'cwd', 'ok']) if (e.get(k)) e.get(k)!.fail(`${what}.${k} does not go with mcp: (an MCP call has args: and tree:)`);
  const tool = mcpV.string(`${what}.mcp`);
  if (!/^omni_[a-z]+$/.test(tool)) mcpV.fail(`${what}.mcp names one of omni's MCP tools (omni_spawn, omni_send, …), not "${tool}"`);
  const argsV = e.get('args');
  const args = argsV ? argsV.js() : {};
  if (!args || typeof args !== 'object' || Array.isArray(args)) argsV!.fail(`${what}.args must be a mapping (the tool's arguments)`);
  const treeV = e.get('tree');
  const t = new Map((treeV && treeV.kind() !== 'null' ? treeV.map(`${what}.tree`, TREE_KEYS) : []).map((x) => [x.key, x.value]));
  const num = (k: string) => {
    const n = t.get(k)?.js() ?? 0;
    if (typeof n !== 'number' || n < 0 || (k !== 'usd' && !Number.isInteger(n))) t.get(k)!.fail(`${what}.tree.${k} must be a ${k === 'usd' ? 'number' : 'whole number'} ≥ 0`);
    return n as number;
  };
  const answer = e.get('answer');
  const expect = e.get('expect');
  return {
    tool,
    input: args,
    mcp: { args: args as Record<string, unknown>, tree: { children: num('children'), live: num('live'), depth: num('depth') }, treeUsd: num('usd') },
    answer: answer ? answer.oneOf(`${what}.answer`, ANSWERS) : 'approve',
    ok: true,
    ...(expect ? { expect: expect.oneOf(`${what}.expect`, EXPECTS) } : {}),
    at: v,
  };
}

/** Parse a test file's text; throws YamlError. */
export function parseTestFile(text: string, file: string): TestFile {
  const root = new YamlSource(file, text).root();
  if (root.kind() === 'null') root.fail('empty test file: expected a mapping with cases: (and policies:, cwd:, env:)');
  const top = new Map(root.map('the test file', TOP_KEYS).map((x) => [x.key, x.value]));
  const envV = top.get('env');
  let env: Record<string, string> | undefined;
  if (envV && envV.kind() !== 'null') env = Object.fromEntries(envV.map('env').map((x) => [x.key, x.value.string(`env.${x.key}`, { nonEmpty: false })]));
  const cwdV = top.get('cwd');
  const casesV = top.get('cases') ?? root.fail('a test file needs cases: (a list of tool calls and the verdict each must get)');
  const items = casesV.list('cases');
  if (!items.length) casesV.fail('cases must list at least one case');
  const names = new Map<string, number>();
  const cases = items.map((item, i): TestCase => {
    const what = `cases[${i}]`;
    const e = new Map(item.map(what, CASE_KEYS).map((x) => [x.key, x.value]));
    const nameV = e.get('name') ?? item.fail(`${what} needs name:`);
    const name = nameV.string(`${what}.name`);
    const line = item.src.pos(item.start).line;
    const prev = names.get(name);
    if (prev !== undefined) nameV.fail(`case name "${name}" is already used at line ${prev}`);
    names.set(name, line);
    if (!e.get('expect')) item.fail(`${what} needs expect: (${EXPECTS.join(' | ')})`);
    const c = call(item, CASE_KEYS, what);
    const beforeV = e.get('before');
    const pol = e.get('policies');
    return {
      name,
      ...(e.get('harness') ? { harness: e.get('harness')!.string(`${what}.harness`) } : {}),
      ...(pol ? { policies: refs(pol, `${what}.policies`) } : {}),
      before: beforeV && beforeV.kind() !== 'null' ? beforeV.list(`${what}.before`).map((b, k) => call(b, CALL_KEYS, `${what}.before[${k}]`)) : [],
      call: { ...c, expect: c.expect! },
      at: item,
    };
  });
  return { file, ...(env ? { env } : {}), ...(cwdV ? { cwd: cwdV.string('cwd') } : {}), policies: top.get('policies') ? refs(top.get('policies')!, 'policies') : [], cases };
}
