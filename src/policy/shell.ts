/**
 * Shell commands are parsed, not grepped.
 *
 * `parseShell(script)` returns every simple command the script would run, so a policy such as
 * "ask before `git push`" or "deny `rm -rf /`" sees the command however it is dressed up:
 *
 * - lists and pipelines: `;` `&` `&&` `||` `|` `|&`, newlines, `!`, `time`, `coproc`;
 * - nesting: `( … )`, `{ …; }`, `if`/`while`/`until`/`for`/`select`/`case`, function bodies
 *   (listed where they are defined), `$(…)`, backquotes, `<(…)`/`>(…)`, substitutions inside
 *   `${…}`, `$((…))`, `[[ ]]`, `(( ))`, array assignments and unquoted here-document bodies;
 * - quoting: `\git`, `'git'`, `"g""it"`, `g''it`, `$'\x67it'`, `$"…"`, line continuations;
 *   comments are dropped; `/usr/bin/git` is `program: "git"`, `programPath: "/usr/bin/git"`;
 * - wrappers, listed themselves *and* unwrapped (the inner command has `via: ["sudo"]`):
 *   sudo, doas, env (`VAR=x`, `-i`, `-u`, `-C`, `-S`), timeout, nice, ionice, nohup, setsid,
 *   stdbuf, time, exec, command, builtin, flock (`-c`), chroot, chrt, taskset, unshare, nsenter,
 *   systemd-run, strace, xargs (`-I` words become dynamic; otherwise the command gets
 *   `openArgs`), find/fd `-exec` (`{}` is dynamic), parallel, watch, su/runuser/sg `-c`,
 *   ssh (remote command), script, busybox/toybox, entr, npx/pnpx/bunx, `npm exec`, `pnpm
 *   dlx|exec`, `yarn dlx|exec`, `bun x`, uvx, `uv run`, `pipx run`, `poetry|pdm|pipenv|hatch|rye
 *   run`, `bundle exec`, `conda run`, `mise exec`, `python -m MOD`, git (`-c alias.x=…`,
 *   command-valued `-c`/`--config-env`/`GIT_CONFIG_KEY_n` keys, `git config`, `ext::`, `rebase
 *   --exec`, `bisect run`, `submodule foreach`), tmux (`run-shell`, `new-window`, `send-keys`…:
 *   shell/tmux.ts), command-carrying variables (`GIT_SSH_COMMAND`, `EDITOR`, `PROMPT_COMMAND`…:
 *   shell/carriers.ts), …;
 * - shell code in strings is parsed again, recursively: `sh -c`, `bash -lc`, `bash --login -c`,
 *   `zsh -c`, `busybox sh -c`, `eval`, `trap`, `su -c`, `watch`, `ssh host …`, aliases defined
 *   earlier in the script (`alias g=git; g push` is seen as `git push`, via `alias g`),
 *   here-documents / here-strings fed to a shell (`bash <<EOF`, `sh <<< "…"`) and
 *   `echo …`/`printf …`/`cat <<EOF` piped into a shell;
 * - `python -c`, `node -e` and the like are recorded with the code as an argument; the code
 *   is not parsed.
 *
 * Anything that may run a command the parser cannot see is reported in `opaque` (policies
 * should fail closed on it, e.g. ask): a command name computed at run time (`$CMD args`,
 * `"$(…)" x`, `` `…` x ``, `${!x}`, `git${IFS}push`), a command name subject to globbing or
 * brace expansion (`/usr/bin/g?t`, `{git,push}`), shell code built from run-time values
 * (`eval "$X"`, `bash -c "$(…)"`, `sh -c "git $X"`, `xargs -I{} sh -c '… {}'`), a shell reading
 * code from a pipe or a process substitution (`curl … | sh`, `bash <(curl …)`,
 * `source <(…)`), `parallel` reading commands from stdin, `pwsh -EncodedCommand`,
 * `hash -p`, `enable -f`, aliases defined from run-time values, nesting deeper than
 * `maxDepth` (default 8), and every syntax error (unterminated quote, `$(`, here-document,
 * missing `fi`/`done`/`}`…; these also go to `errors`). The commands found are still listed.
 *
 * Redirections are recorded per command (`{ op: '>', target: '/etc/passwd' }`, also those of
 * an enclosing `{ …; } > f`) and in `ParsedShell.redirects` (including bare `> f`).
 *
 * ## `matchCommand(cmd, pattern, opts?)`
 *
 * A pattern is whitespace-separated words (quotes group words with spaces):
 *
 * - the first word is the program: compared with the basename, case-insensitively and without
 *   `.exe` (so `/usr/bin/git`, `\git`, `GIT.exe` match `git`); a word containing `/` is
 *   compared with the path as written instead. `a|b` gives alternatives; `*` and `?` glob.
 * - words starting with `-` are required flags, matched anywhere before a `--`, order-free:
 *   `-rf` means both `-r` and `-f`, and matches `-rf`, `-fr`, `-r -f`, `-Rf`, `-vrf`;
 *   `--force` matches `--force`, `--force=x` and GNU abbreviations (`--forc`). Known synonyms
 *   (table `SYNONYMS` in `shell/match.ts`: rm/cp `-r`=`-R`=`--recursive`, `-f`=`--force`,
 *   `git push -f`=`--force`, …) are applied, so `rm -rf` also matches `rm --recursive --force`.
 *   `-r|--recursive` gives alternatives for one requirement. An argument equal to the flag
 *   word itself always satisfies it (`find -delete`).
 * - other words are operands, matched in order against the command's leading operands (so
 *   `git push` is the subcommand, and `git push` does not match `git log push`); extra
 *   trailing operands are fine (`git push` matches `git push origin main`). `npm install|i|add`
 *   gives alternatives, `*` and `?` glob, and `...` stands for any number of operands:
 *   `rm -rf ... /` matches `rm -rf /tmp/x /`. Paths are compared lexically normalized (`//`,
 *   `/./`, `/tmp/..`, trailing `/`). An unquoted glob in the command is taken to match any
 *   word it could expand to (`rm -rf /e*` matches `rm -rf /etc`; `rm -rf /tmp/*` matches
 *   `rm -rf /tmp`, and `rm -rf /*` matches `rm -rf /`).
 * - operands are the arguments that do not start with `-` (all after `--`); a word right after
 *   an option may be that option's value, so it may be skipped: `git -C repo push`,
 *   `git -c k=v push` and `sudo rm -rf --no-preserve-root /` match `git push` / `rm -rf /`.
 * - run-time words (`opts.dynamic`, default `'wildcard'`): an arg with an expansion may be
 *   anything: a quoted one (`"$X"`) matches any one operand, an unquoted one any number; one
 *   that is not right after an option may also supply any flag, as may `openArgs` (xargs).
 *   So `git $SUB` and `echo push | xargs git` match `git push`, `rm -rf "$D"` matches
 *   `rm -rf /`, but `git commit -m "$(cat <<EOF …)"` does not match `git commit --amend`.
 *   `'literal'` compares the source text (`$X`) instead.
 * - `git push origin +main` counts as `--force` (a `+refspec` forces). Not modelled:
 *   `--force-with-lease`/`--force-if-includes` (not `--force`), `--mirror`, `:branch` deletes;
 *   write separate patterns for those.
 *
 * A pattern given as a string is parsed on every call; code on a decision's path parses its
 * patterns once with `parsePattern` where they are loaded and passes the `CommandPattern`.
 */
export type { ArgInfo, ParsedShell, ParseShellOptions, ShellCommand, ShellOpaque, ShellRedirect, ShellVariable } from './shell/types.js';
export { parseShell, normProgram } from './shell/walk.js';
export { findCommands, matchCommand, normPath, parsePattern, type CommandPattern, type MatchOptions } from './shell/match.js';
