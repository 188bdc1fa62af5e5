import type { ToolKind } from '../../core/events.js';
import type { NormalizedToolCall } from '../../policy/types.js';
import { MCP_TOOLS } from '../../mcp/tools.js';
import { asObject, guessToolCall, nonEmpty, pathsOf, scriptOf } from '../tool-input.js';

/**
 * GitHub Copilot CLI's built-in tools (1.0.102, as offered to the model and named in its hooks'
 * `toolName`): `bash {command, description, shellId, mode, detach, initial_wait}` and its
 * companions `read_bash` / `write_bash` / `stop_bash` / `list_bash`; `view {path}`,
 * `create {path, file_text}`, `edit {path, old_str, new_str}`, `grep {pattern, paths}`,
 * `glob {pattern, paths}`, `web_fetch {url}`. MCP tools are named `<server>-<tool>`.
 */
const SHELL = new Set(['bash', 'read_bash', 'write_bash', 'stop_bash', 'list_bash', 'powershell', 'read_powershell', 'write_powershell', 'stop_powershell']);
const READ = new Set(['view', 'grep', 'glob', 'rg', 'semantic_code_search']);
const WEB = new Set(['web_fetch', 'web_search', 'fetch_copilot_cli_documentation']);
const BUILTIN = new Set([...SHELL, ...READ, ...WEB, 'create', 'edit', 'str_replace', 'str_replace_editor', 'apply_patch', 'skill', 'ask_user', 'sql', 'session_store_sql', 'read_agent', 'list_agents', 'write_agent', 'task', 'report_intent', 'update_todo']);
const OMNI_TOOLS = MCP_TOOLS.map((t) => t.name);

/** One of omni's own MCP tools as Copilot names it (`omni-omni_spawn`): omni decides those at its `mcp` phase. */
export function isOmniMcpTool(tool: string): boolean {
  return OMNI_TOOLS.some((t) => tool === `omni-${t}` || tool === `omni/${t}`);
}

export function copilotToolKind(tool: string): ToolKind {
  if (SHELL.has(tool)) return 'shell';
  if (READ.has(tool)) return 'read';
  if (WEB.has(tool)) return 'web';
  if (tool === 'create') return 'write';
  if (tool === 'edit' || tool === 'str_replace' || tool === 'str_replace_editor' || tool === 'apply_patch') return 'edit';
  if (BUILTIN.has(tool)) return 'other';
  // `<server>-<tool>` (omni's own: `omni-omni_spawn`), or the usual mcp__ spelling.
  if (tool.startsWith('mcp__') || tool.includes('/') || OMNI_TOOLS.some((t) => tool.endsWith(`-${t}`)) || /^[A-Za-z0-9_.]+-[A-Za-z0-9_]+/.test(tool)) return 'mcp';
  return 'other';
}

/**
 * A Copilot tool call in harness-neutral terms. Tools run in the hook payload's `cwd` (the
 * session's); paths stay as written (the policy layer resolves them against it).
 */
export function copilotNormalize(tool: string, input: unknown, hookCwd?: string): NormalizedToolCall {
  const kind = copilotToolKind(tool);
  const obj = asObject(input);
  let call: NormalizedToolCall;
  switch (tool) {
    case 'bash':
    case 'powershell': {
      const script = scriptOf(obj?.command);
      call = script === undefined ? { kind } : { kind, script };
      break;
    }
    case 'view':
    case 'create':
    case 'edit':
    case 'str_replace':
      call = { kind, paths: pathsOf([nonEmpty(obj?.path)], kind !== 'read') };
      break;
    case 'grep':
    case 'glob': {
      const ps = Array.isArray(obj?.paths) ? (obj.paths as unknown[]).filter((p): p is string => typeof p === 'string' && p !== '') : typeof obj?.paths === 'string' ? [obj.paths] : [];
      call = ps.length ? { kind, paths: pathsOf(ps, false) } : { kind, searchesCwd: true };
      break;
    }
    default:
      call = guessToolCall(tool, kind, input);
  }
  if (hookCwd) call.cwd = hookCwd;
  return call;
}

