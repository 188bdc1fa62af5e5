import type { PolicyDecision } from '../types.js';
import type { Builtin } from './types.js';
import { clip, commandLine, commandPatterns, isOpaque, matchingPattern, opaqueReason, shortHash, unreadShell } from './util.js';

/**
 * Ask before every shell command, except those whose every command matches an `except`
 * pattern. A script the parser cannot fully resolve is asked about (fail closed).
 */
export const askOnShell: Builtin = {
  name: 'ask_on_shell',
  summary: 'ask a human before shell commands, except the listed patterns',
  params: {
    except: { type: 'commands', default: [], doc: 'command patterns that run without asking; a script runs without asking only if every command in it matches one' },
  },
  create(p, ctx) {
    const except = commandPatterns(p.except as string[]);
    return {
      name: ctx.name,
      phases: ['tool_call'],
      source: ctx.source,
      evaluate(s): PolicyDecision {
        const tool = s.tool;
        if (!tool || tool.kind !== 'shell') return {};
        const sh = tool.shell;
        if (unreadShell(tool)) return { verdict: 'ask', reason: `${tool.name}: a shell call omni could not read`, grantKey: `shell-unread:${shortHash(JSON.stringify(tool.input) ?? '')}` };
        if (!sh) return {};
        if (isOpaque(sh)) {
          return {
            verdict: 'ask',
            reason: `shell command omni cannot fully parse (${opaqueReason(sh)})`,
            grantKey: `shell-opaque:${shortHash(sh.commands.map(commandLine).join('\n') + sh.opaque.map((o) => o.text).join('\n'))}`,
          };
        }
        const rest = [...new Set(sh.commands.filter((c) => !matchingPattern(c, except)).map(commandLine))];
        if (!rest.length) return {};
        return { verdict: 'ask', reason: `shell: ${clip(rest.join('; '), 240)}`, grantKey: `shell:${rest.join('\n')}` };
      },
    };
  },
};
