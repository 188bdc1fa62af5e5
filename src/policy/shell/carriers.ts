/**
 * Environment variables that carry commands: a program started with them runs their value
 * (`GIT_SSH_COMMAND='…' git fetch`, `EDITOR='…' git commit`, `PROMPT_COMMAND`), loads code
 * the script does not show (`LD_PRELOAD`), or expands them as shell words (`BASH_ENV`).
 * Whoever assigns one (a prefix, a bare assignment, `export`, `env X=…`) is taken to run it.
 */

export type Carried =
  | { kind: 'script'; text: string }
  /** Only the expansions in the value run (`BASH_ENV='$(…)'`); the file it names is opaque. */
  | { kind: 'expand'; text: string; reason: string }
  | { kind: 'opaque'; reason: string };

/** Values run through `sh -c` by git, ssh, less, man, editors' callers or an interactive shell. */
const SCRIPT_VARS = new Set([
  'GIT_EXTERNAL_DIFF', 'GIT_SSH_COMMAND', 'GIT_SSH', 'GIT_PAGER', 'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR', 'GIT_ASKPASS', 'GIT_PROXY_COMMAND',
  'GIT_MAN_VIEWER', 'SSH_ASKPASS', 'SUDO_ASKPASS', 'EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'PROMPT_COMMAND', 'LESSOPEN', 'LESSCLOSE',
]);
const PRELOAD = /^(?:LD_PRELOAD|LD_AUDIT|LD_LIBRARY_PATH|DYLD_INSERT_LIBRARIES|DYLD_LIBRARY_PATH|DYLD_FRAMEWORK_PATH)$/;

export function carried(name: string, value: string): Carried | undefined {
  if (SCRIPT_VARS.has(name)) {
    // less runs `|cmd %s` / `||cmd %s` input preprocessors.
    const text = name.startsWith('LESS') ? value.replace(/^\|{1,2}|^-/, '') : value;
    return text.trim() ? { kind: 'script', text } : undefined;
  }
  if (name === 'BASH_ENV' || name === 'ENV') return { kind: 'expand', text: value, reason: `${name} makes the shell run a file first` };
  if (PRELOAD.test(name)) return { kind: 'opaque', reason: `${name} loads shared libraries the script does not show` };
  if (name === 'GIT_CONFIG_PARAMETERS') return { kind: 'opaque', reason: 'GIT_CONFIG_PARAMETERS sets git configuration, which may hold commands' };
  return undefined;
}

/** Declaration builtins whose `NAME=value` arguments assign variables. */
export const DECLARERS = new Set(['export', 'declare', 'typeset', 'local', 'readonly']);
