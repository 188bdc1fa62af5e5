import type { ToolKind } from '../../core/events.js';
import type { NormalizedToolCall } from '../../policy/types.js';
import { MCP_TOOLS } from '../../mcp/tools.js';
import { asObject, guessToolCall, nonEmpty, pathsOf, scriptOf } from '../tool-input.js';

/** omni's MCP tools: OpenCode names an MCP server's tools `<server>_<tool>` (`omni_omni_spawn`). */
const OMNI_TOOLS = MCP_TOOLS.map((t) => t.name as string);

/**
 * OpenCode 1.18's built-in tools: bash, read, write, edit, apply_patch, glob, grep, list,
 * webfetch, websearch, codesearch, task, todowrite, todoread, skill, lsp, question.
 */
export function opencodeToolKind(tool: string): ToolKind {
  switch (tool) {
    case 'bash':
      return 'shell';
    case 'read':
    case 'glob':
    case 'grep':
    case 'list':
    case 'lsp':
      return 'read';
    case 'write':
      return 'write';
    case 'edit':
    case 'apply_patch':
    case 'patch':
    case 'multiedit':
      return 'edit';
    case 'webfetch':
    case 'websearch':
    case 'codesearch':
      return 'web';
    default:
      if (OMNI_TOOLS.some((t) => tool === t || tool.endsWith(`_${t}`))) return 'mcp';
      return 'other';
  }
}

/** The files an apply_patch text touches (`*** Add/Update/Delete File: <path>`, `*** Move to: <path>`). */
export function patchPaths(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\*\*\* (?:Add|Update|Delete) File: (.+)$|^\*\*\* Move to: (.+)$/gm)) {
    const p = (m[1] ?? m[2] ?? '').trim();
    if (p) out.push(p);
  }
  return out;
}

/**
 * An OpenCode tool call in harness-neutral terms. bash may name its own `workdir`; every other
 * tool runs in OpenCode's directory (the session's cwd), which its hook input does not carry.
 */
export function opencodeNormalize(tool: string, input: unknown): NormalizedToolCall {
  const kind = opencodeToolKind(tool);
  const obj = asObject(input);
  switch (tool) {
    case 'bash': {
      const script = scriptOf(obj?.command);
      const cwd = nonEmpty(obj?.workdir);
      return { kind, ...(script !== undefined ? { script } : {}), ...(cwd ? { cwd } : {}) };
    }
    case 'read':
    case 'write':
    case 'edit':
    case 'multiedit':
      return { kind, paths: pathsOf([nonEmpty(obj?.filePath)], kind !== 'read') };
    case 'apply_patch':
    case 'patch':
      return { kind, paths: pathsOf(patchPaths(String(obj?.patchText ?? '')), true) };
    case 'glob':
    case 'grep':
    case 'list': {
      const p = nonEmpty(obj?.path);
      return p ? { kind, paths: pathsOf([p], false) } : { kind, searchesCwd: true };
    }
    case 'webfetch': {
      const url = nonEmpty(obj?.url);
      return url ? { kind, url } : { kind };
    }
    default:
      return guessToolCall(tool, kind, input);
  }
}
