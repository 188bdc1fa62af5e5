import { createHash } from 'node:crypto';
import { type CommandPattern, matchCommand, parsePattern, type ParsedShell, type ShellCommand } from '../shell.js';
import type { PolicySubject, ToolSubject } from '../types.js';

/** The shell commands of a subject (empty for non-shell calls). */
export const commandsOf = (s: PolicySubject): ShellCommand[] => s.tool?.shell?.commands ?? [];

/** Whether a shell parse has something it could not resolve (opaque parts or syntax errors). */
export function isOpaque(shell: ParsedShell | undefined): boolean {
  return !!shell && (shell.opaque.length > 0 || shell.errors.length > 0);
}

/** A short description of what the parser could not resolve. */
export function opaqueReason(shell: ParsedShell): string {
  const o = shell.opaque[0];
  if (o) return `${o.reason}${o.text ? `: ${clip(o.text, 80)}` : ''}`;
  return shell.errors[0] ?? 'unparsed shell';
}

/** `program args…`, normalized (quotes removed, single spaces). Stable across spellings. */
export const commandLine = (c: Pick<ShellCommand, 'program' | 'args'>): string => [c.program, ...c.args].join(' ');

export const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Command patterns (already checked) parsed once, where a policy is created. */
export const commandPatterns = (patterns: readonly string[]): CommandPattern[] => patterns.map(parsePattern);

/** The first of `patterns` that `cmd` matches, as written. */
export function matchingPattern(cmd: ShellCommand, patterns: readonly CommandPattern[]): string | undefined {
  return patterns.find((p) => matchCommand(cmd, p))?.source;
}

/** Stable JSON (sorted keys) for hashing tool inputs. */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

export const shortHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** git's global options that take the next word as their value (`git -C dir push`). */
export const GIT_VALUE_OPTS: ReadonlySet<string> = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--exec-path', '--config-env', '--super-prefix']);

/** `git [global options] <sub> args…` → `{ sub, args }` (undefined if not git or no subcommand). */
export function gitSubcommand(cmd: Pick<ShellCommand, 'program' | 'args'>): { sub: string; args: string[] } | undefined {
  if (cmd.program !== 'git') return undefined;
  const a = cmd.args;
  for (let i = 0; i < a.length; i++) {
    const w = a[i]!;
    if (GIT_VALUE_OPTS.has(w)) {
      i++;
      continue;
    }
    if (w.startsWith('-')) continue;
    return { sub: w, args: a.slice(i + 1) };
  }
  return undefined;
}

/**
 * A shell call whose script omni could not read: the adapter found no script in its input (a
 * `command` of an unexpected shape). Tools that run no script are not kind `shell`.
 */
export function unreadShell(t: ToolSubject | undefined): boolean {
  return !!t && t.kind === 'shell' && t.script === undefined;
}
