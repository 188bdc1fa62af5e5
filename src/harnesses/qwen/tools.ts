import type { ToolKind } from '../../core/events.js';
import type { NormalizedToolCall } from '../../policy/types.js';
import { asObject, guessToolCall, nonEmpty, pathsOf, scriptOf } from '../tool-input.js';

/**
 * Qwen Code's built-in tools (0.24.4, `ToolNames`), in harness-neutral terms. Its hooks name
 * them as the model does (`run_shell_command`, not Claude's `Bash`); MCP tools are
 * `mcp__<server>__<tool>`.
 */
export function qwenToolKind(tool: string): ToolKind {
  if (tool === 'run_shell_command') return 'shell';
  if (tool === 'read_file' || tool === 'glob' || tool === 'grep_search' || tool === 'list_directory' || tool === 'read_many_files') return 'read';
  if (tool === 'write_file') return 'write';
  if (tool === 'edit' || tool === 'replace' || tool === 'notebook_edit') return 'edit';
  if (tool === 'web_fetch' || tool === 'web_search') return 'web';
  if (tool.startsWith('mcp__')) return 'mcp';
  return 'other';
}

/**
 * `hookCwd`: the hook payload's `cwd`. A shell call may name its own `directory` (absolute,
 * inside the workspace), which is where the command runs.
 */
export function qwenNormalize(tool: string, input: unknown, hookCwd?: string): NormalizedToolCall {
  const kind = qwenToolKind(tool);
  const obj = asObject(input);
  const call = ((): NormalizedToolCall => {
    switch (tool) {
      case 'run_shell_command': {
        const script = scriptOf(obj?.command);
        return script === undefined ? { kind } : { kind, script };
      }
      case 'read_file':
      case 'write_file':
      case 'edit':
      case 'replace':
        return { kind, paths: pathsOf([nonEmpty(obj?.file_path) ?? nonEmpty(obj?.absolute_path)], kind !== 'read') };
      case 'notebook_edit':
        return { kind, paths: pathsOf([nonEmpty(obj?.notebook_path) ?? nonEmpty(obj?.file_path)], true) };
      case 'glob':
      case 'grep_search':
      case 'list_directory': {
        const p = nonEmpty(obj?.path) ?? nonEmpty(obj?.dir_path);
        return p ? { kind, paths: pathsOf([p], false) } : { kind, searchesCwd: true };
      }
      case 'web_fetch': {
        const url = nonEmpty(obj?.url);
        return url ? { kind, url } : { kind };
      }
      case 'web_search':
        return { kind };
      default:
        return guessToolCall(tool, kind, input);
    }
  })();
  const dir = tool === 'run_shell_command' ? nonEmpty(obj?.directory) : undefined;
  if (dir ?? hookCwd) call.cwd = dir ?? hookCwd;
  return call;
}
