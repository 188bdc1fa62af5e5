import path from 'node:path';
import type { ShellCommand } from './shell.js';
import type { Policy } from './types.js';

/** omni subcommands an agent must never run: they answer asks or weaken its own policies. */
const CONTROL_VERBS = new Set(['approve', 'deny', 'policy', 'daemon']);

/**
 * Always on, for every session: an agent cannot use omni to approve its own asks, change its
 * policies, stop the daemon, write omni's state, or reach omni's sockets (the control socket
 * and omni's tmux server, where it could type into an approval popup). The daemon also refuses
 * approval verbs from any process inside a session; this policy stops the attempt earlier and
 * tells the model why. A sandbox (which hides the sockets) is the stronger wall.
 */
export function omniGuard(opts: { omniHome: string }): Policy {
  const home = path.resolve(opts.omniHome);
  const runDir = path.join(home, 'run');
  const inside = (p: string, dir: string) => p === dir || p.startsWith(dir + path.sep);
  const deny = (reason: string) => ({ verdict: 'deny' as const, reason });
  return {
    name: 'omni_guard',
    phases: ['tool_call'],
    source: 'builtin (always on)',
    evaluate(subject) {
      const t = subject.tool;
      if (!t) return {};
      for (const w of t.writes) if (inside(w, home)) return deny(`agents cannot change omni's own files (${w})`);
      for (const c of t.shell?.commands ?? []) {
        const verb = omniVerb(c);
        if (verb && CONTROL_VERBS.has(verb)) return deny(`agents cannot run "omni ${verb}": approvals, policies and the daemon are for the person at the terminal`);
        if (verb === 'approvals' && c.args.includes('popup')) return deny('agents cannot answer approvals');
        if (c.argv.some((a) => a.includes(runDir))) return deny(`agents cannot reach omni's sockets (${runDir})`);
      }
      return {};
    },
  };
}

/** The omni subcommand a command runs: `omni approve …`, `omnigent deny …`, `node …/bin/omni.js policy …`. */
function omniVerb(c: ShellCommand): string | undefined {
  let args = c.args;
  if (c.program === 'node' || c.program === 'nodejs') {
    const i = args.findIndex((a) => !a.startsWith('-'));
    if (i < 0 || !/(^|\/)(omni(\.js)?|omnigent)$/.test(args[i]!)) return undefined;
    args = args.slice(i + 1);
  } else if (c.program !== 'omni' && c.program !== 'omnigent') {
    return undefined;
  }
  return args.find((a) => !a.startsWith('-'));
}
