import type { LaunchContext } from '../types.js';
import type { OmniPiWiring } from './extension-runtime.js';

/**
 * Pi's extension talks to the session's agent socket itself, so it needs the socket path and
 * what `omni-hook` would use to start a stopped daemon (node, omni.js, OMNI_HOME). LaunchContext
 * exposes these only inside the hook command it builds:
 *   OMNI_HOME=<home> sh <omni-hook> <socket> <Event> gate <node> <omni.js>
 * so they are read back from that command (every word is shQuote'd). A LaunchContext that
 * carries them directly (`agentSocket`, `hookClient`) is preferred when present.
 */
export function piWiring(ctx: LaunchContext, stateFile: string): OmniPiWiring {
  const direct = ctx as LaunchContext & { agentSocket?: string; hookClient?: { node: string; omniJs: string; omniHome: string } };
  if (direct.agentSocket && direct.hookClient) {
    return { socket: direct.agentSocket, node: direct.hookClient.node, omniJs: direct.hookClient.omniJs, omniHome: direct.hookClient.omniHome, stateFile };
  }
  const parsed = parseHookCommand(ctx.hooks.command('ToolCall', 'gate'));
  if (!parsed) throw new Error('omni: cannot find the agent socket in the hook command; the Pi adapter needs LaunchContext.agentSocket');
  return { ...parsed, ...(direct.agentSocket ? { socket: direct.agentSocket } : {}), stateFile };
}

/** Split a command built from shQuote'd words (plain words or '…' with '\'' escapes). */
export function shellWords(cmd: string): string[] | undefined {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (c === "'") {
      const end = cmd.indexOf("'", i + 1);
      if (end === -1) return undefined;
      cur += cmd.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (c === '"' || c === '$' || c === '`') {
      return undefined; // not something shQuote produces
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

export function parseHookCommand(cmd: string): Omit<OmniPiWiring, 'stateFile'> | undefined {
  const words = shellWords(cmd);
  if (!words) return undefined;
  let omniHome = '';
  let i = 0;
  for (; i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!); i++) {
    const w = words[i]!;
    if (w.startsWith('OMNI_HOME=')) omniHome = w.slice('OMNI_HOME='.length);
  }
  // sh <script> <socket> <event> <mode> <node> <omni.js>
  const rest = words.slice(i);
  if (rest.length < 7 || rest[0] !== 'sh') return undefined;
  const [, , socket, , , node, omniJs] = rest as [string, string, string, string, string, string, string];
  if (!socket || !node || !omniJs) return undefined;
  return { socket, node, omniJs, omniHome };
}
