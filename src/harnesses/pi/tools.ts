import type { ToolKind } from '../../core/events.js';
import type { NormalizedToolCall } from '../../policy/types.js';
import { MCP_TOOLS } from '../../mcp/tools.js';
import { asObject, guessToolCall, nonEmpty, pathsOf, scriptOf } from '../tool-input.js';

/** omni's MCP tools, which omni's extension registers in Pi under their own names (extension-tools.ts). */
const OMNI_TOOLS = new Set<string>(MCP_TOOLS.map((t) => t.name));

/** Pi's built-in tools: read, bash, edit, write, grep, find, ls. */
export function piToolKind(tool: string): ToolKind {
  if (tool === 'bash') return 'shell';
  if (tool === 'read' || tool === 'grep' || tool === 'find' || tool === 'ls') return 'read';
  if (tool === 'write') return 'write';
  if (tool === 'edit') return 'edit';
  if (tool.startsWith('mcp__') || tool.startsWith('mcp_') || OMNI_TOOLS.has(tool)) return 'mcp';
  return 'other';
}

/** A Pi tool call in harness-neutral terms. Pi runs every tool in its own cwd (the session's), so no `cwd`. */
export function piNormalize(tool: string, input: unknown): NormalizedToolCall {
  const kind = piToolKind(tool);
  const obj = asObject(input);
  switch (tool) {
    case 'bash': {
      const script = scriptOf(obj?.command);
      return script === undefined ? { kind } : { kind, script };
    }
    case 'read':
    case 'write':
    case 'edit':
      return { kind, paths: pathsOf([nonEmpty(obj?.path)], kind !== 'read') };
    case 'grep':
    case 'find':
    case 'ls': {
      const p = nonEmpty(obj?.path);
      return p ? { kind, paths: pathsOf([p], false) } : { kind, searchesCwd: true };
    }
    default:
      return guessToolCall(tool, kind, input);
  }
}
