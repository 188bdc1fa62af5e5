import type { ToolKind } from '../core/events.js';
import { toolPaths, type ToolPathsOptions } from './paths.js';
import { parseShell } from './shell.js';
import type { ToolSubject } from './types.js';

export interface ToolCallInput {
  name: string;
  kind: ToolKind;
  callId: string;
  input: unknown;
}

/** Quote one argv word for a POSIX shell. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_\/.:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The shell script a shell tool call runs: `input.command` or `input.cmd`, a string (Claude's
 * Bash, Pi's bash) or an argv array (Codex's `["bash", "-lc", "…"]`, quoted back into a script so
 * the parser sees the wrapper too). Undefined if the input has neither.
 */
export function shellScript(input: unknown): string | undefined {
  if (typeof input === 'string') return input;
  if (!input || typeof input !== 'object') return undefined;
  const o = input as Record<string, unknown>;
  for (const k of ['command', 'cmd']) {
    const v = o[k];
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string')) return (v as string[]).map(shellQuote).join(' ');
  }
  return undefined;
}

/**
 * A normalized tool call for policies: for kind `shell`, the parsed script; for every kind, the
 * absolute paths it reads and writes (src/policy/paths.ts). `cwd` is the session's directory.
 */
export function buildToolSubject(tool: ToolCallInput, cwd: string, opts: ToolPathsOptions = {}): ToolSubject {
  let shell: ToolSubject['shell'];
  if (tool.kind === 'shell') {
    const script = shellScript(tool.input);
    if (script !== undefined) shell = parseShell(script);
  }
  const { reads, writes } = toolPaths(tool, shell, cwd, opts);
  const subject: ToolSubject = { name: tool.name, kind: tool.kind, callId: tool.callId, input: tool.input, reads, writes };
  if (shell) subject.shell = shell;
  return subject;
}
