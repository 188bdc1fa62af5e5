import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolvePaths } from '../core/paths.js';
import { evaluatePolicies } from './engine.js';
import { alwaysOnGuards } from './guard.js';
import { compileSnapshot } from './snapshot.js';
import { PolicyState } from './state.js';
import type { RefAt, TestCall, TestCase, TestFile, Expect } from './test-file.js';
import type { LoadedPolicy, PolicySubject, ToolSubject } from './types.js';
import { YamlError } from '../core/yaml.js';

/**
 * Runs an `omni policy test` file through the real engine and the real policy loading, as a
 * session would: omni_guard first, then the case's policies; each `before` call goes ahead
 * (its state updates apply) when it is allowed, or asked and approved, and its tool_result is
 * evaluated too. No daemon, no agent.
 */

/** Builds the tool subject for a call the way the harness's adapter would (injected: the CLI owns the harness registry). */
export type SubjectFor = (harness: string, tool: string, input: unknown, opts: { cwd: string; hookCwd?: string; home: string; callId: string }) => ToolSubject;

export interface CaseResult {
  name: string;
  expect: Expect;
  got: Expect;
  /** The deciding (deny) or asking policies. */
  policy?: string;
  reason?: string;
  /** Which call mismatched, when it was a `before` call. */
  at?: string;
}

export interface TestReport {
  cases: Array<CaseResult & { pass: boolean }>;
  passed: number;
  failed: number;
}

export interface RunOptions {
  subjectFor: SubjectFor;
  /** The harness of a case that names none. */
  defaultHarness: string;
  /** The caller's environment, when the file has no env: (HOME, OMNI_HOME, XDG_*). */
  env?: NodeJS.ProcessEnv;
}

export async function runTestFile(t: TestFile, opts: RunOptions): Promise<TestReport> {
  const env = t.env ?? opts.env ?? process.env;
  const home = env.HOME || os.homedir();
  const omni = resolvePaths({ ...env, HOME: home });
  const dir = path.dirname(path.resolve(t.file));
  const cwd = path.resolve(dir, t.cwd ?? '.');
  // As the daemon runs them (PolicyService.decide): first, at session level, never removable.
  const guards = alwaysOnGuards(omni, home).map((g): LoadedPolicy => ({ ...g, level: 'session' }));
  const load = (refs: RefAt[]): LoadedPolicy[] => refs.flatMap((r) => loadRef(r, dir, omni.configDir, home));
  const defaults = load(t.policies);
  const out: TestReport['cases'] = [];
  for (const c of t.cases) {
    const policies = [...guards, ...(c.policies ? load(c.policies) : defaults)];
    const r = await runCase({ ...c, harness: c.harness ?? opts.defaultHarness }, policies, { cwd, home, subjectFor: opts.subjectFor });
    out.push({ ...r, pass: r.got === r.expect });
  }
  const passed = out.filter((r) => r.pass).length;
  return { cases: out, passed, failed: out.length - passed };
}

/** A ref as `--policy` takes it: an existing file (relative to the test file) is read, anything else is a builtin or a config name. */
function loadRef(r: RefAt, dir: string, configDir: string, home: string): LoadedPolicy[] {
  const file = path.resolve(dir, r.ref.startsWith('~/') ? path.join(home, r.ref.slice(2)) : r.ref);
  try {
    const isFile = fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
    const snap = isFile ? { source: file, text: fs.readFileSync(file, 'utf8'), level: 'session' as const } : { source: r.ref, ref: r.ref, level: 'session' as const };
    return compileSnapshot(snap, { cwd: dir, configDir, home });
  } catch (err) {
    // An error inside the policy file points there; anything else points at the ref.
    if (err instanceof YamlError && err.file !== r.ref) throw err;
    return r.at.fail(err instanceof YamlError ? err.detail : (err as Error).message);
  }
}

async function runCase(c: TestCase & { harness: string }, policies: LoadedPolicy[], ctx: { cwd: string; home: string; subjectFor: SubjectFor }): Promise<CaseResult> {
  const state = new PolicyState();
  const session: PolicySubject['session'] = { id: 's_policy_test', name: c.name, harness: c.harness, cwd: ctx.cwd };
  const spend = { session: { usd: 0, unpricedModels: [] }, tree: { usd: 0, unpricedModels: [] }, day: { usd: 0, unpricedModels: [], date: new Date().toISOString().slice(0, 10) } };
  const calls: Array<[TestCall, string]> = [...c.before.map((b, i): [TestCall, string] => [b, `before[${i}]`]), [c.call, 'the case']];
  for (const [i, [call, label]] of calls.entries()) {
    const hookCwd = call.cwd === undefined ? undefined : path.resolve(ctx.cwd, call.cwd);
    const tool = call.mcp ? undefined : ctx.subjectFor(c.harness, call.tool, call.input, { cwd: ctx.cwd, hookCwd, home: ctx.home, callId: `call_${i + 1}` });
    const subject: PolicySubject = call.mcp
      ? { phase: 'mcp', session, mcp: { tool: call.tool, args: call.mcp.args, tree: call.mcp.tree }, spend: { ...spend, tree: { usd: call.mcp.treeUsd, unpricedModels: [] } } }
      : { phase: 'tool_call', session, tool, spend };
    const r = await evaluatePolicies(policies, subject, state);
    const got: Expect = r.verdict === 'deny' ? 'deny' : r.verdict === 'ask' ? 'ask' : 'allow';
    const result: CaseResult = { name: c.name, expect: call.expect ?? got, got, ...(r.policies.length && got !== 'allow' ? { policy: r.policies.join(', ') } : {}), ...(r.reason && got !== 'allow' ? { reason: r.reason } : {}) };
    if (label === 'the case') return result;
    if (call.expect && got !== call.expect) return { ...result, at: label };
    // Goes ahead as in a session: allowed, or asked and approved (for the session: grants too).
    if (got === 'deny' || (got === 'ask' && call.answer === 'deny')) continue;
    state.apply(r.updates);
    if (got === 'ask' && call.answer === 'approve-session') for (const a of r.asks) state.grant(a.policy, a.grantKey);
    if (!tool) continue; // an MCP call has no tool_result phase
    const after = await evaluatePolicies(policies, { phase: 'tool_result', session, tool, result: { ok: call.ok, output: '' }, spend }, state);
    if (after.verdict !== 'deny') state.apply(after.updates);
  }
  throw new Error('unreachable: a case always ends with its own call');
}
