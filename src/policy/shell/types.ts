/** Public result types of the shell parser (re-exported by `src/policy/shell.ts`). */

/** A redirection as written: `2>&1` is `{ op: '>&', fd: 2, target: '1' }`. */
export interface ShellRedirect {
  /** `<`, `>`, `>>`, `>|`, `<>`, `<&`, `>&`, `&>`, `&>>`, `<<`, `<<-`, `<<<`. */
  op: string;
  /** File, fd number, here-document delimiter or here-string word (unquoted; expansions kept as source text). */
  target: string;
  /** Explicit fd before the operator (`2>`); absent means the default (0 for `<…`, 1 for `>…`). */
  fd?: number;
  /** Here-document body / here-string text. */
  body?: string;
  /** The target (or an unquoted here-document body) contains expansions only known at run time. */
  dynamic?: boolean;
}

/** How one argument was written; parallel to `ShellCommand.args`. */
export interface ArgInfo {
  /** Source text of the word, quotes included. */
  raw: string;
  /**
   * `none`: the unquoted value is exact. `quoted`: contains an expansion inside double quotes
   * (one word, unknown text). `unquoted`: an unquoted expansion that may split into several
   * words or vanish. The arg's value keeps the expansion's source text (`$HOME`, `$(pwd)`).
   */
  dynamic: 'none' | 'quoted' | 'unquoted';
  /** Unquoted glob / brace-expansion characters: the shell may expand it to other words. */
  glob: boolean;
}

export interface ShellCommand {
  /** Basename of the program: `git` for `/usr/bin/git`, `\git`, `'git'`, `"g""it"`. */
  program: string;
  /** The program word after quote removal, e.g. `/usr/bin/git`. */
  programPath: string;
  /** Unquoted words after the program. */
  args: string[];
  /** `[programPath, ...args]`. */
  argv: string[];
  argInfo: ArgInfo[];
  /** How the program word was written (`$CMD`, `{omni,x}`, `om?i`). */
  programInfo?: ArgInfo;
  /** `VAR=x` prefixes, plus those given to `env`/`sudo`/`cross-env` wrappers around it. */
  assignments: Record<string, string>;
  /** Own redirections, plus those of enclosing groups (`{ …; } > f`) and wrappers. */
  redirects: ShellRedirect[];
  /**
   * Wrappers it was found inside, outermost first: `["sudo", "bash -c"]`. Each entry starts
   * with the wrapper's program name (`xargs`, `find -exec`, `bash <<`, `eval`, `alias g`…).
   * `$(…)`, subshells and groups are not wrappers and do not appear here.
   */
  via: string[];
  /** Runs asynchronously (`&`, `coproc`). */
  background: boolean;
  /**
   * The wrapper appends arguments only known at run time (`xargs` without `-I`, `parallel`):
   * `echo push | xargs git` is `git` with open args.
   */
  openArgs: boolean;
  /** Source text of this simple command (best effort; relative to the string it was parsed from). */
  text: string;
}

/** Something that may run commands the parser cannot see; policies should fail closed on it. */
export interface ShellOpaque {
  reason: string;
  text: string;
  via: string[];
}

export interface ParsedShell {
  /**
   * Every simple command that would run, wrappers and wrapped commands alike, in the order
   * found (a command's substitutions come before it).
   */
  commands: ShellCommand[];
  opaque: ShellOpaque[];
  /** Syntax errors (each also produces an `opaque` entry). */
  errors: string[];
  /** Every redirection anywhere, including bare ones (`> file` with no command). */
  redirects: Array<ShellRedirect & { via: string[] }>;
  /**
   * Variables assigned anywhere (bare `X=…`, `export X=…`, `VAR=x cmd`, `env X=…`), in order;
   * values keep expansions as source text.
   */
  variables?: ShellVariable[];
}

export interface ShellVariable {
  name: string;
  value: string;
  /** The value holds an expansion only known at run time. */
  dynamic: boolean;
  /** Only for the command it prefixes (`X=1 cmd`, `env X=1 cmd`). */
  prefix: boolean;
}

export interface ParseShellOptions {
  /** Nesting allowed for wrappers, `$(…)` and re-parsed strings (`sh -c`, `eval`…); deeper is opaque. Default 8. */
  maxDepth?: number;
}
