# fish completion for omni. Copy to ~/.config/fish/completions/omni.fish
# Dynamic words come from `omni … --json`: sessions, pending approvals, policy names.

# __omni_json FIELD FILTER omni-args...: one FIELD a line (FILTER: live | ended | pending | -).
function __omni_json
    set -l field $argv[1]
    set -l filter $argv[2]
    omni $argv[3..-1] --json 2>/dev/null | node -e '
        const [field, filter] = process.argv.slice(1); let s = "";
        process.stdin.on("data", (d) => (s += d)).on("end", () => {
          try {
            for (const x of JSON.parse(s)) {
              const ended = x.status === "exited" || x.status === "failed";
              if ((filter === "live" && ended) || (filter === "ended" && !ended) || (filter === "pending" && x.status !== "pending")) continue;
              console.log(x[field]);
            }
          } catch {}
        });' $field $filter
end

# True when the command line has exactly N words after the subcommand that are not flags.
function __omni_nargs
    set -l words (commandline -opc)
    set -l n 0
    for w in $words[3..-1]
        string match -q -- '-*' $w; or set n (math $n + 1)
    end
    test $n -eq $argv[1]
end

# YAML files and folders under what is typed so far.
function __omni_yaml_files
    set -l cur (commandline -ct)
    for f in $cur*
        if test -d $f
            echo $f/
        else if string match -qr '\.ya?ml$' -- $f
            echo $f
        end
    end
end

set -l cmds claude codex pi run dashboard doctor ls list attach send wait events stop rm prune resume interrupt policy approvals approve deny status-line cost prices daemon help
set -l live attach send wait stop interrupt
complete -c omni -f
complete -c omni -n "not __fish_seen_subcommand_from $cmds" -a "$cmds"

# Positional arguments.
complete -c omni -n "__fish_seen_subcommand_from $live; and __omni_nargs 0" -a "(__omni_json name live ls)"
complete -c omni -n "__fish_seen_subcommand_from events cost; and __omni_nargs 0" -a "(__omni_json name - ls --all)"
complete -c omni -n "__fish_seen_subcommand_from resume; and __omni_nargs 0" -a "(__omni_json name ended ls --all)"
complete -c omni -n "__fish_seen_subcommand_from rm" -a "(__omni_json name ended ls --all)"
complete -c omni -n "__fish_seen_subcommand_from approve deny; and __omni_nargs 0" -a "(__omni_json id pending approvals)"
complete -c omni -n "__fish_seen_subcommand_from run; and __omni_nargs 0" -a "(__omni_yaml_files)"
complete -c omni -n "__fish_seen_subcommand_from daemon; and __omni_nargs 0" -a "start stop status run"
complete -c omni -n "__fish_seen_subcommand_from prices; and __omni_nargs 0" -a update
complete -c omni -n "__fish_seen_subcommand_from policy; and __omni_nargs 0" -a "add ls names test"
complete -c omni -n "__fish_seen_subcommand_from policy; and __fish_seen_subcommand_from add ls; and __omni_nargs 1" -a "(__omni_json name live ls)"
complete -c omni -n "__fish_seen_subcommand_from policy; and __fish_seen_subcommand_from add; and __omni_nargs 2" -a "(__omni_json name - policy names) (__omni_yaml_files)"
complete -c omni -n "__fish_seen_subcommand_from policy; and __fish_seen_subcommand_from test; and __omni_nargs 1" -a "(__omni_yaml_files)"

# Flags, and what their values can be.
complete -c omni -n "__fish_seen_subcommand_from claude codex pi run" -s n -l name -x
complete -c omni -n "__fish_seen_subcommand_from claude codex pi run" -s C -l cwd -xa "(__fish_complete_directories)"
complete -c omni -n "__fish_seen_subcommand_from claude codex pi run" -s m -l model -x
complete -c omni -n "__fish_seen_subcommand_from claude codex pi run resume" -s d -l detach
complete -c omni -n "__fish_seen_subcommand_from claude codex pi run" -l sandbox -d "run it in omni's sandbox"
complete -c omni -n "__fish_seen_subcommand_from claude codex pi run" -l no-sandbox -d 'run it outside the sandbox'
complete -c omni -n "__fish_seen_subcommand_from claude codex pi" -s p -l policy -xa "(__omni_json name - policy names) (__omni_yaml_files)"
complete -c omni -n "__fish_seen_subcommand_from claude codex pi" -l bin -rF
complete -c omni -n "__fish_seen_subcommand_from run" -s H -l harness -xa "claude codex pi"
complete -c omni -n "__fish_seen_subcommand_from ls list approvals" -s a -l all
complete -c omni -n "__fish_seen_subcommand_from ls list" -s w -l wide
complete -c omni -n "__fish_seen_subcommand_from rm prune" -s n -l dry-run
complete -c omni -n "__fish_seen_subcommand_from prune" -l older-than -x
complete -c omni -n "__fish_seen_subcommand_from send" -s f -l file -rF
complete -c omni -n "__fish_seen_subcommand_from send" -l no-submit
complete -c omni -n "__fish_seen_subcommand_from send" -l force
complete -c omni -n "__fish_seen_subcommand_from wait" -l for -xa "idle waiting running exited"
complete -c omni -n "__fish_seen_subcommand_from wait status-line" -s t -l timeout -x
complete -c omni -n "__fish_seen_subcommand_from events" -s f -l follow
complete -c omni -n "__fish_seen_subcommand_from events" -l since -x
complete -c omni -n "__fish_seen_subcommand_from cost" -l by -xa "session harness model day"
complete -c omni -n "__fish_seen_subcommand_from approve" -s s -l session -d 'for the rest of the session'
complete -c omni -n "__fish_seen_subcommand_from deny" -s r -l reason -x
complete -c omni -n "__fish_seen_subcommand_from status-line" -l tmux
complete -c omni -n "__fish_seen_subcommand_from prices" -s H -l harness -xa "claude codex pi"
complete -c omni -n "__fish_seen_subcommand_from prices" -l provider -x
complete -c omni -n "__fish_seen_subcommand_from prices; and __fish_seen_subcommand_from update" -l registry -x
complete -c omni -n "__fish_seen_subcommand_from prices daemon" -l force -s f
complete -c omni -n "__fish_seen_subcommand_from daemon" -s q -l quiet
complete -c omni -l json
