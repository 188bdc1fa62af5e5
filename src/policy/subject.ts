import os from 'node:os';
import { resolvePath, scriptPaths, type ToolPathsOptions } from './paths.js';
import { parseShell } from './shell.js';
import type { NormalizedToolCall, ToolSubject } from './types.js';

export interface ToolCallInput {
  name: string;
  callId: string;
  /** As the harness sent it (kept for rule files and events). */
  input: unknown;
  /** What the adapter made of it. */
  call: NormalizedToolCall;
}

/**
 * The tool subject policies see, from an adapter's normalized call: its cwd made absolute
 * (against the session's), the paths it names resolved there, and for kind `shell` the parsed
 * script with the paths its commands read and write (src/policy/paths.ts).
 */
export function buildToolSubject(tool: ToolCallInput, sessionCwd: string, opts: ToolPathsOptions = {}): ToolSubject {
  const home = opts.home ?? os.homedir();
  const { call } = tool;
  const cwd = resolvePath(call.cwd ?? '.', sessionCwd, home);
  const reads = new Set<string>();
  const writes = new Set<string>();
  for (const p of call.paths?.read ?? []) reads.add(resolvePath(p, cwd, home));
  for (const p of call.paths?.write ?? []) writes.add(resolvePath(p, cwd, home));
  if (call.searchesCwd) reads.add(cwd);
  const subject: ToolSubject = { name: tool.name, kind: call.kind, callId: tool.callId, input: tool.input, cwd, reads: [], writes: [] };
  if (call.kind === 'shell' && call.script !== undefined) {
    subject.script = call.script;
    subject.shell = parseShell(call.script);
    const sp = scriptPaths(subject.shell, cwd, { ...opts, home });
    for (const p of sp.reads) reads.add(p);
    for (const p of sp.writes) writes.add(p);
  }
  if (call.url !== undefined) subject.url = call.url;
  subject.reads = [...reads];
  subject.writes = [...writes];
  return subject;
}
