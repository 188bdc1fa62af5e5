import path from 'node:path';
import type { ToolKind } from '../../core/events.js';
import type { NormalizedToolCall } from '../../policy/types.js';
import { asObject, guessToolCall, nonEmpty, pathsOf, scriptOf } from '../tool-input.js';

/**
 * Gemini CLI's built-in tools (0.61.0, the names its hooks and the model use): run_shell_command,
 * read_file, read_many_files, list_directory, glob, grep_search (search_file_content before),
 * write_file, replace, web_fetch, google_web_search; MCP tools are `mcp_<server>_<tool>`.
 */
export function geminiToolKind(tool: string): ToolKind {
  if (tool === 'run_shell_command') return 'shell';
  if (['read_file', 'read_many_files', 'list_directory', 'glob', 'grep_search', 'search_file_content'].includes(tool)) return 'read';
  if (tool === 'write_file') return 'write';
  if (tool === 'replace' || tool === 'edit') return 'edit';
  if (tool === 'web_fetch' || tool === 'google_web_search') return 'web';
  if (tool.startsWith('mcp_')) return 'mcp';
  return 'other';
}

/** The first URL in web_fetch's prompt (it takes a prompt that names the URLs, not a `url`). */
const firstUrl = (s: string | undefined) => s?.match(/https?:\/\/[^\s"'<>)]+/)?.[0];

/**
 * A Gemini CLI tool call in harness-neutral terms. Paths are as the model wrote them (Gemini
 * asks for absolute ones); a shell call may name where it runs (`dir_path`, relative to `hookCwd`).
 */
export function geminiNormalize(tool: string, input: unknown, hookCwd?: string): NormalizedToolCall {
  const kind = geminiToolKind(tool);
  const obj = asObject(input);
  const withCwd = (call: NormalizedToolCall): NormalizedToolCall => (hookCwd && !call.cwd ? { ...call, cwd: hookCwd } : call);
  switch (tool) {
    case 'run_shell_command': {
      const call: NormalizedToolCall = { kind };
      const script = scriptOf(obj?.command);
      if (script !== undefined) call.script = script;
      const dir = nonEmpty(obj?.dir_path) ?? nonEmpty(obj?.directory);
      const cwd = dir && hookCwd && !path.isAbsolute(dir) ? path.join(hookCwd, dir) : (dir ?? hookCwd);
      if (cwd) call.cwd = cwd;
      return call;
    }
    case 'read_file':
      return withCwd({ kind, paths: pathsOf([nonEmpty(obj?.file_path) ?? nonEmpty(obj?.absolute_path) ?? nonEmpty(obj?.path)], false) });
    case 'write_file':
    case 'replace':
    case 'edit':
      return withCwd({ kind, paths: pathsOf([nonEmpty(obj?.file_path) ?? nonEmpty(obj?.absolute_path)], true) });
    case 'read_many_files': {
      const named = [obj?.include, obj?.paths].flatMap((v) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []));
      return withCwd(named.length ? { kind, paths: pathsOf(named, false) } : { kind, searchesCwd: true });
    }
    case 'list_directory':
    case 'glob':
    case 'grep_search':
    case 'search_file_content': {
      const dir = nonEmpty(obj?.dir_path) ?? nonEmpty(obj?.path);
      return withCwd(dir ? { kind, paths: pathsOf([dir], false) } : { kind, searchesCwd: true });
    }
    case 'web_fetch': {
      const url = nonEmpty(obj?.url) ?? firstUrl(nonEmpty(obj?.prompt));
      return url ? { kind, url } : { kind };
    }
    default:
      return withCwd(guessToolCall(tool, kind, input));
  }
}
