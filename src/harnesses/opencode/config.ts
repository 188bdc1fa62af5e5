import { pathToFileURL } from 'node:url';
import type { LaunchContext } from '../types.js';

/**
 * omni's additions to OpenCode's config, passed in OPENCODE_CONFIG_CONTENT: OpenCode merges it
 * over the user's own files (global, project, OPENCODE_CONFIG), concatenating `plugin` lists, so
 * nothing of theirs is replaced. A user who set OPENCODE_CONFIG_CONTENT themselves keeps it:
 * omni's keys are merged into theirs.
 */
export function opencodeConfigContent(pluginFile: string, mcp: LaunchContext['mcp'], userContent?: string): { content: string; note?: string } {
  let base: Record<string, unknown> = {};
  let note: string | undefined;
  if (userContent?.trim()) {
    try {
      const parsed = JSON.parse(userContent) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) base = parsed as Record<string, unknown>;
    } catch {
      note = 'OPENCODE_CONFIG_CONTENT was not JSON: omni replaced it with its own for this session';
    }
  }
  const plugins = Array.isArray(base.plugin) ? (base.plugin as unknown[]) : [];
  const out: Record<string, unknown> = { ...base, plugin: [...plugins, pathToFileURL(pluginFile).href] };
  if (mcp) {
    const servers = base.mcp && typeof base.mcp === 'object' ? (base.mcp as Record<string, unknown>) : {};
    out.mcp = { ...servers, omni: { type: 'local', command: [mcp.command, ...mcp.args], environment: mcp.env, enabled: true } };
  }
  return { content: JSON.stringify(out), ...(note ? { note } : {}) };
}
