import type { PolicyDecision, StateUpdate } from '../types.js';
import type { ShellCommand } from '../shell.js';
import type { Builtin } from './types.js';
import { clip, commandLine, commandPatterns, commandsOf, matchingPattern } from './util.js';

/** Package installs that taint a session (extend with the `installs` param). */
export const INSTALL_PATTERNS: readonly string[] = [
  // npm's install aliases, `ci` and its aliases, and install-test / install-ci-test (npm help install, ci).
  'npm install|i|in|ins|inst|insta|instal|isnt|isnta|isntal|isntall|add|ci|clean-install|ic|install-clean|isntall-clean|it|install-test|cit|install-ci-test|clean-install-test|sit',
  'pnpm add|install|i|install-test|it',
  'yarn add|install',
  'bun add|a|install|i',
  'pip|pip3|pip3.* install',
  'pipenv install',
  'uv pip install',
  'uv add|sync',
  'uv tool install',
  'pipx install',
  'poetry add|install',
  'pdm add|install',
  'conda|mamba|micromamba install',
  'cargo add|install',
  'go get|install',
  'gem install',
  'bundle add|install',
  'apt install',
  'apt-get install',
  'brew install',
  'composer require|install',
];

/** `python -m pip install …` (any python, any pip). */
function isPythonPipInstall(c: ShellCommand): boolean {
  if (!/^python[\d.]*$/.test(c.program)) return false;
  const m = c.args.indexOf('-m');
  return m >= 0 && /^pip[\d.]*$/.test(c.args[m + 1] ?? '') && c.args.slice(m + 2).includes('install');
}

/**
 * After a package install (which can run arbitrary code from the network), a later `git push`
 * (or the `then` patterns) asks. The install sets the label `label` when it goes ahead at
 * tool_call (default; a failed install still taints: fail closed), or with `at: tool_result`
 * only when the harness reports the install succeeded. An install and a push in the same
 * script also ask. Install command lines are kept in the set `<label>` for the reason.
 */
export const taintThenAsk: Builtin = {
  name: 'taint_then_ask',
  summary: 'after a package install, ask before git push (or other commands)',
  params: {
    installs: { type: 'commands', default: [], doc: 'more command patterns that taint the session (added to the built-in installer list)' },
    then: { type: 'commands', default: ['git push'], doc: 'command patterns that ask once the session is tainted' },
    label: { type: 'string', default: 'package-installed', doc: 'the state label that marks the session tainted' },
    at: { type: 'enum', values: ['tool_call', 'tool_result'], default: 'tool_call', doc: 'when an install taints: when it is allowed to run, or when it has succeeded' },
  },
  create(p, ctx) {
    const installs = commandPatterns([...INSTALL_PATTERNS, ...(p.installs as string[])]);
    const then = commandPatterns(p.then as string[]);
    const label = p.label as string;
    const at = p.at as 'tool_call' | 'tool_result';
    const isInstall = (c: ShellCommand): boolean => isPythonPipInstall(c) || matchingPattern(c, installs) !== undefined;
    const taint = (cmds: ShellCommand[]): StateUpdate[] =>
      cmds.length ? [{ op: 'label', name: label }, { op: 'add', set: label, values: cmds.map((c) => clip(commandLine(c), 120)) }] : [];
    return {
      name: ctx.name,
      phases: at === 'tool_call' ? ['tool_call'] : ['tool_call', 'tool_result'],
      source: ctx.source,
      evaluate(s, state): PolicyDecision {
        const cmds = commandsOf(s);
        if (!cmds.length) return {};
        const found = cmds.filter(isInstall);
        if (s.phase === 'tool_result') return s.result?.ok && found.length ? { updates: taint(found) } : {};
        const updates = at === 'tool_call' ? taint(found) : [];
        const earlier = [...state.set(label)];
        const tainted = state.hasLabel(label) || found.length > 0;
        const hit = cmds.map((c) => ({ c, pattern: matchingPattern(c, then) })).find((x) => x.pattern !== undefined);
        if (tainted && hit) {
          const what = found.length ? commandLine(found[0]!) : earlier[earlier.length - 1];
          return {
            verdict: 'ask',
            reason: `${clip(commandLine(hit.c), 120)} after a package install in this session${what ? ` (${clip(what, 120)})` : ''}; a human approves it`,
            grantKey: `taint:${hit.pattern!}`,
            updates,
          };
        }
        return updates.length ? { updates } : {};
      },
    };
  },
};
