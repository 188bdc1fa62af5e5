import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeFileAtomic } from '../../core/fsutil.js';
import type { LaunchContext } from '../types.js';

export const CONFIG_FILE = 'omni-opencode.json';
export const CONFIG_DIR = 'opencode-config';

/** omni's additions to OpenCode's config: its plugin, and omni's MCP server for a session that may spawn. */
export function omniConfig(pluginFile: string, mcp: LaunchContext['mcp']): Record<string, unknown> {
  return {
    plugin: [pathToFileURL(pluginFile).href],
    ...(mcp ? { mcp: { omni: { type: 'local', command: [mcp.command, ...mcp.args], environment: mcp.env, enabled: true } } } : {}),
  };
}

export interface ConfigWiring {
  env: Record<string, string>;
  files: string[];
  note: string;
}

/**
 * How omni's config reaches OpenCode without touching the user's: OpenCode merges every config
 * it finds (global, project, OPENCODE_CONFIG, OPENCODE_CONFIG_DIR), concatenating `plugin`
 * lists. OPENCODE_CONFIG names one extra file: omni's, unless the user set it. Then a config
 * folder of omni's (OPENCODE_CONFIG_DIR), seeded so OpenCode finds its plugin SDK "installed"
 * there and skips its `npm install` (which offline waits ~70 s).
 */
export function wireConfig(sessionDir: string, pluginFile: string, mcp: LaunchContext['mcp'], env: Record<string, string>): ConfigWiring | { error: string } {
  const config = JSON.stringify(omniConfig(pluginFile, mcp), null, 2) + '\n';
  if (!env.OPENCODE_CONFIG) {
    const file = path.join(sessionDir, CONFIG_FILE);
    writeFileAtomic(file, config);
    return { env: { OPENCODE_CONFIG: file }, files: [file], note: `OPENCODE_CONFIG=${file} adds omni's plugin to the user's config` };
  }
  if (!env.OPENCODE_CONFIG_DIR) {
    const dir = path.join(sessionDir, CONFIG_DIR);
    fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true, mode: 0o700 });
    const dep = { '@opencode-ai/plugin': '*' };
    writeFileAtomic(path.join(dir, 'package.json'), JSON.stringify({ dependencies: dep }) + '\n');
    writeFileAtomic(path.join(dir, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: { '': { dependencies: dep } } }) + '\n');
    const file = path.join(dir, 'opencode.json');
    writeFileAtomic(file, config);
    return { env: { OPENCODE_CONFIG_DIR: dir }, files: [dir], note: `OPENCODE_CONFIG is the user's: OPENCODE_CONFIG_DIR=${dir} adds omni's plugin` };
  }
  return { error: 'OPENCODE_CONFIG and OPENCODE_CONFIG_DIR are both set: omni has no way left to add its plugin without replacing one of them; unset one' };
}
