import path from 'node:path';
import type { ToolKind } from '../../core/events.js';
import type { NormalizedToolCall } from '../../policy/types.js';
import { asObject, guessToolCall, nonEmpty, scriptOf } from '../tool-input.js';

/** Codex's hooks name its shell tool `Bash` (the model's tool is `exec_command {cmd}`). */
export function codexToolKind(tool: string): ToolKind {
  if (['Bash', 'exec_command', 'shell', 'local_shell', 'unified_exec', 'shell_command', 'write_stdin'].includes(tool)) return 'shell';
  if (tool === 'apply_patch' || tool === 'Edit' || tool === 'MultiEdit') return 'edit';
  if (tool === 'Write') return 'write';
  if (tool === 'Read' || tool === 'view_image') return 'read';
  if (tool === 'web_search' || tool === 'WebSearch' || tool === 'WebFetch') return 'web';
  if (tool.startsWith('mcp__') || tool.includes('/')) return 'mcp';
  return 'other';
}

/** Files named by an apply_patch text: `*** Update File: x`, `*** Add File: x`, `*** Delete File: x`, `*** Move to: x`. */
export function patchFiles(patch: string): string[] {
  const out: string[] = [];
  for (const m of patch.matchAll(/^\*\*\* (?:Update File|Add File|Delete File|Move to): (.+?)\s*$/gm)) {
    if (m[1]) out.push(m[1]);
  }
  return out;
}

/**
 * A Codex tool call in harness-neutral terms. Shell tools carry `cmd` / `command` (a string or
 * an argv array) and may say where they run (`workdir`); apply_patch names the files it writes
 * in its patch text, whether it is called as a tool or run through the shell (`apply_patch <<'EOF'`).
 * `hookCwd`: the hook payload's `cwd` (the session's), which a relative `workdir` is under.
 */
export function codexNormalize(tool: string, input: unknown, hookCwd?: string): NormalizedToolCall {
  const kind = codexToolKind(tool);
  const obj = asObject(input);
  if (kind === 'shell') {
    const call: NormalizedToolCall = { kind };
    const raw = typeof input === 'string' ? input : obj?.command !== undefined ? obj.command : obj?.cmd;
    const script = scriptOf(raw);
    if (script !== undefined) call.script = script;
    const workdir = nonEmpty(obj?.workdir) ?? nonEmpty(obj?.cwd);
    const cwd = workdir && hookCwd && !/^[/~$]/.test(workdir) ? path.join(hookCwd, workdir) : (workdir ?? hookCwd);
    if (cwd) call.cwd = cwd;
    if (script !== undefined && /\bapply_?patch\b/.test(script)) {
      // Patch files are relative to where the command runs: read them from the words as given, not from the re-quoted script.
      const texts = Array.isArray(raw) ? (raw as string[]) : [script];
      const files = texts.flatMap(patchFiles);
      if (files.length) call.paths = { read: [], write: files };
    }
    return call;
  }
  const call = guessToolCall(tool, kind, input);
  // apply_patch, whatever the tool is called: a raw patch string, or `patch` / `input` in the input.
  const texts = [typeof input === 'string' ? input : undefined, nonEmpty(obj?.patch), nonEmpty(obj?.input)];
  const files = texts.flatMap((t) => (t ? patchFiles(t) : []));
  if (files.length) call.paths = { read: call.paths?.read ?? [], write: [...(call.paths?.write ?? []), ...files] };
  if (hookCwd) call.cwd = hookCwd;
  return call;
}
