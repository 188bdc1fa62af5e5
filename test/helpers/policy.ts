import type { ToolKind } from '../../src/core/events.js';
import { claudeAdapter } from '../../src/harnesses/claude/index.js';
import { evaluatePolicies } from '../../src/policy/engine.js';
import { parsePolicyText } from '../../src/policy/rules.js';
import { PolicyState } from '../../src/policy/state.js';
import { buildToolSubject } from '../../src/policy/subject.js';
import type { EngineResult, Level, LoadedPolicy, Phase, PolicySubject } from '../../src/policy/types.js';

export const HOME = '/home/u';
export const CWD = '/home/u/proj';

let n = 0;

export function session(cwd = CWD): PolicySubject['session'] {
  return { id: 's_test0001', name: 'test', harness: 'claude', cwd };
}

/**
 * A tool_call (or other phase) subject for a Claude Code tool, built like the daemon does: the
 * adapter normalizes the call, the policy layer resolves it. `kind` is what the test expects
 * the adapter to say (checked).
 */
export function toolSubject(name: string, kind: ToolKind, input: unknown, opts: { cwd?: string; phase?: Phase; ok?: boolean } = {}): PolicySubject {
  const cwd = opts.cwd ?? CWD;
  const call = claudeAdapter.normalizeToolCall(name, input);
  if (call.kind !== kind) throw new Error(`toolSubject: the Claude adapter calls ${name} kind ${call.kind}, not ${kind}`);
  const s: PolicySubject = {
    phase: opts.phase ?? 'tool_call',
    session: session(cwd),
    tool: buildToolSubject({ name, callId: `call_${++n}`, input, call }, cwd, { home: HOME }),
  };
  if (opts.ok !== undefined) s.result = { ok: opts.ok, output: '' };
  return s;
}

export const bash = (command: string, opts: { cwd?: string; phase?: Phase; ok?: boolean } = {}): PolicySubject => toolSubject('Bash', 'shell', { command }, opts);
export const write = (filePath: string, opts: { cwd?: string } = {}): PolicySubject => toolSubject('Write', 'write', { file_path: filePath, content: 'x' }, opts);
export const edit = (filePath: string, opts: { cwd?: string } = {}): PolicySubject => toolSubject('Edit', 'edit', { file_path: filePath, old_string: 'a', new_string: 'b' }, opts);
export const read = (filePath: string, opts: { cwd?: string } = {}): PolicySubject => toolSubject('Read', 'read', { file_path: filePath }, opts);
export const prompt = (text: string, cwd = CWD): PolicySubject => ({ phase: 'prompt', session: session(cwd), prompt: { text } });
export const egress = (host: string, cwd = CWD): PolicySubject => ({ phase: 'egress', session: session(cwd), egress: { host } });

export const load = (yaml: string, level: Level = 'session'): LoadedPolicy[] => parsePolicyText(yaml, 'test.yaml', level, { home: HOME });

/**
 * Evaluate and then do what the daemon does: apply the updates if the action goes ahead (allow
 * or no opinion at once; an ask only if `approve`, and then record a session grant if asked).
 */
export async function step(policies: readonly LoadedPolicy[], subject: PolicySubject, state: PolicyState, answer: 'approve' | 'approve-session' | 'deny' = 'deny'): Promise<EngineResult> {
  const r = await evaluatePolicies(policies, subject, state);
  if (r.verdict === 'allow' || r.verdict === 'none') state.apply(r.updates);
  else if (r.verdict === 'ask' && answer !== 'deny') {
    state.apply(r.updates);
    if (answer === 'approve-session') for (const a of r.asks) state.grant(a.policy, a.grantKey);
  }
  return r;
}

export { PolicyState };
