import type { ToolKind } from '../../core/events.js';
import type { NormalizedToolCall } from '../../policy/types.js';
import { asObject, guessToolCall, nonEmpty, pathsOf, scriptOf } from '../tool-input.js';

/**
 * Claude Code's built-in tools, in harness-neutral terms. BashOutput and KillShell belong to the
 * shell family but run no script (they read or stop a background one): kind `other`, so a shell
 * call without a script always means one omni could not read.
 */
export function claudeToolKind(tool: string): ToolKind {
  if (tool === 'Bash') return 'shell';
  if (tool === 'Read' || tool === 'Glob' || tool === 'Grep' || tool === 'LS') return 'read';
  if (tool === 'Write') return 'write';
  if (tool === 'Edit' || tool === 'MultiEdit' || tool === 'NotebookEdit') return 'edit';
  if (tool === 'WebFetch' || tool === 'WebSearch') return 'web';
  if (tool.startsWith('mcp__')) return 'mcp';
  return 'other';
}

/** `hookCwd`: the hook payload's `cwd`, where Claude runs the call (its Bash keeps a `cd` across calls). */
export function claudeNormalize(tool: string, input: unknown, hookCwd?: string): NormalizedToolCall {
  const kind = claudeToolKind(tool);
  const obj = asObject(input);
  const call = ((): NormalizedToolCall => {
    switch (tool) {
      case 'Bash': {
        const script = scriptOf(obj?.command);
        return script === undefined ? { kind } : { kind, script };
      }
      case 'Read':
      case 'Write':
      case 'Edit':
      case 'MultiEdit':
        return { kind, paths: pathsOf([nonEmpty(obj?.file_path)], kind !== 'read') };
      case 'NotebookEdit':
        return { kind, paths: pathsOf([nonEmpty(obj?.notebook_path)], true) };
      case 'Grep':
      case 'Glob':
      case 'LS': {
        const p = nonEmpty(obj?.path);
        return p ? { kind, paths: pathsOf([p], false) } : { kind, searchesCwd: true };
      }
      case 'WebFetch': {
        const url = nonEmpty(obj?.url);
        return url ? { kind, url } : { kind };
      }
      case 'WebSearch':
        return { kind };
      default:
        return guessToolCall(tool, kind, input);
    }
  })();
  if (hookCwd) call.cwd = hookCwd;
  return call;
}
