# fish completion for omni. Copy to ~/.config/fish/completions/omni.fish
# Dynamic words come from `omni … --json`: sessions, tags, pending approvals, policy names.

# __omni_json FIELDS FILTER omni-args...: each FIELD (comma-separated; an array field gives each
# element), one a line, each word once. FILTER: live | ended | pending | =REF (id or name) | -.
function __omni_json
    set -l field $argv[1]
    set -l filter $argv[2]
    omni $argv[3..-1] --json 2>/dev/null | node -e '
        const [fields, filter] = process.argv.slice(1); let s = ""; const seen = new Set();
        process.stdin.on("data", (d) => (s += d)).on("end", () => {
          try {
            for (const x of JSON.parse(s)) {
              const ended = x.status === "exited" || x.status === "failed";
              if ((filter === "live" && ended) || (filter === "ended" && !ended) || (filter === "pending" && x.status !== "pending")) continue;
              if (filter.startsWith("=") && x.id !== filter.slice(1) && x.name !== filter.slice(1)) continue;
              for (const f of fields.split(",")) for (const w of [x[f]].flat()) if (w != null && !seen.has(w)) seen.add(w), console.log(w);
            }
          } catch {}
        });' $field $filter
end

# True when the command (the word after omni) is one of the arguments.
function __omni_is
    set -l words (commandline -opc)
    contains -- "$words[2]" $argv
end

# True when the word after the command (a subcommand: policy add, daemon start, prices update) is one of the arguments.
function __omni_sub
    set -l words (commandline -opc)
    contains -- "$words[3]" $argv
end

# Does flag $argv[2] of command $argv[1] take a value (so the next word is that value, not an argument)?
function __omni_valued
    switch $argv[2]
        case --name --cwd -C --model -m --bin --policy -p --tag -t --harness -H --to --file --for --timeout --since --last --older-than --session -s --reason -r --by --provider --registry --into --check --agent-socket --workers --reviewers --parallel --rounds --lead --task --heads --synth --omni --home --user -u --role
            return 0
        case -n # elsewhere -n is --dry-run
            contains -- $argv[1] claude codex pi opencode gemini copilot qwen run
        case -f # elsewhere -f is --follow or --force
            test "$argv[1]" = send
        case '*'
            return 1
    end
end

# The arguments after the command so far (words that are neither flags nor a flag's value).
function __omni_args
    set -l words (commandline -opc)
    set -l skip 0
    for w in $words[3..-1]
        if test $skip -eq 1
            set skip 0
        else if string match -q -- '-*' $w
            __omni_valued "$words[2]" $w; and set skip 1
        else
            echo $w
        end
    end
end

# True when exactly N arguments follow the command.
function __omni_nargs
    test (count (__omni_args)) -eq $argv[1]
end

# True when the word before the cursor is one of the arguments (a flag whose value is being typed).
function __omni_prev
    set -l words (commandline -opc)
    contains -- "$words[-1]" $argv
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

# send --to a,b: the live sessions, after the ones already typed.
function __omni_to
    set -l pre (string replace -r '[^,]*$' '' -- (commandline -ct))
    for s in (__omni_json name live ls)
        echo $pre$s
    end
end

# omni tag S …: +TAG adds a tag known anywhere (so does a bare one); -TAG removes one S has.
function __omni_tag_changes
    set -l cur (commandline -ct)
    switch $cur
        case '+*'
            __omni_json tags - ls --all | string replace -r '^' +
        case '--*'
        case '-*'
            __omni_json tags =(__omni_args)[1] ls --all | string replace -r '^' -
        case '*'
            __omni_json tags - ls --all
    end
end

set -l cmds claude codex pi opencode gemini copilot qwen run dashboard doctor ls list tag attach watch fork send wait events stop rm prune resume rename interrupt policy worktree merge polly debby share approvals approve deny status-line cost prices daemon hosts mcp help
complete -c omni -f
complete -c omni -n "not __fish_seen_subcommand_from $cmds" -a "$cmds"

# Positional arguments.
complete -c omni -n "__omni_is attach watch wait stop interrupt; and __omni_nargs 0" -a "(__omni_json name live ls)"
complete -c omni -n "__omni_is fork; and __omni_nargs 0" -a "(__omni_json name - ls --all)"
complete -c omni -n "__omni_is send; and __omni_nargs 0; and not __fish_seen_argument -s t -l tag -l to" -a "(__omni_json name live ls)"
complete -c omni -n "__omni_is events cost rename tag; and __omni_nargs 0" -a "(__omni_json name - ls --all)"
complete -c omni -n "__omni_is tag; and not __omni_nargs 0" -a "(__omni_tag_changes)"
complete -c omni -n "__omni_is resume; and __omni_nargs 0" -a "(__omni_json name ended ls --all)"
complete -c omni -n "__omni_is rm" -a "(__omni_json name ended ls --all)"
complete -c omni -n "__omni_is approve deny; and __omni_nargs 0" -a "(__omni_json id,sessionName pending approvals)"
# approve's --session takes a value only when one follows, so fish sees it as a flag without one.
complete -c omni -n "__omni_is approve; and __omni_prev --session -s" -a "(__omni_json id,sessionName pending approvals)"
complete -c omni -n "__omni_is run; and __omni_nargs 0" -a "(__omni_yaml_files)"
complete -c omni -n "__omni_is daemon; and __omni_nargs 0" -a "start stop status run bridge"
complete -c omni -n "__omni_is hosts; and __omni_nargs 0" -a "add ls rm test"
complete -c omni -n "__omni_is hosts; and __omni_sub add" -l omni -x
complete -c omni -n "__omni_is hosts; and __omni_sub add" -l home -x
complete -c omni -n "__omni_is hosts; and __omni_sub add ls test" -l json
complete -c omni -n "__omni_is prices; and __omni_nargs 0" -a update
complete -c omni -n "__omni_is policy; and __omni_nargs 0" -a "add ls names test"
complete -c omni -n "__omni_is policy; and __omni_sub add ls; and __omni_nargs 1" -a "(__omni_json name live ls)"
complete -c omni -n "__omni_is policy; and __omni_sub add; and __omni_nargs 2" -a "(__omni_json name - policy names) (__omni_yaml_files)"
complete -c omni -n "__omni_is policy; and __omni_sub test; and __omni_nargs 1" -a "(__omni_yaml_files)"
complete -c omni -n "__omni_is help; and __omni_nargs 0" -a "$cmds"
complete -c omni -n "__omni_is worktree; and __omni_nargs 0" -a "ls diff rm"
complete -c omni -n "__omni_is worktree; and __omni_sub diff; and __omni_nargs 1" -a "(__omni_json name - worktree ls)"
complete -c omni -n "__omni_is worktree; and __omni_sub rm; and not __omni_nargs 0" -a "(__omni_json name ended worktree ls)"
complete -c omni -n "__omni_is merge" -a "(__omni_json name - worktree ls)"
complete -c omni -n "__omni_is polly; and __omni_nargs 0" -a "start board merge stop ls"
complete -c omni -n "__omni_is polly; and __omni_sub board merge stop; and __omni_nargs 1" -a "(__omni_json id - polly ls)"
# issue 17: omni share SESSION --user U --role R; share ls; share rm SESSION --user U
complete -c omni -n "__omni_is share; and __omni_nargs 0" -a "ls rm (__omni_json name - ls)"
complete -c omni -n "__omni_is share; and __omni_sub rm; and __omni_nargs 1" -a "(__omni_json name - ls --all)"
complete -c omni -n "__omni_is share; and not __omni_sub ls" -s u -l user -xa "(__fish_complete_users)"
complete -c omni -n "__omni_is share; and not __omni_sub ls rm" -l role -xa "watch drive approve"
complete -c omni -n "__omni_is share" -l json
set -l debby_subs ask debate show view stop ls
complete -c omni -n "__omni_is debby; and __omni_nargs 0" -a "$debby_subs"
complete -c omni -n "__omni_is debby; and __omni_sub ask debate show view stop; and __omni_nargs 1" -a "latest (__omni_json id - debby ls)"

# Flags, and what their values can be.
set -l start claude codex pi opencode gemini copilot qwen run
complete -c omni -n "__omni_is $start" -s n -l name -x
complete -c omni -n "__omni_is $start" -s C -l cwd -xa "(__fish_complete_directories)"
complete -c omni -n "__omni_is $start" -s m -l model -x
complete -c omni -n "__omni_is $start resume fork" -s d -l detach
complete -c omni -n "__omni_is fork" -l name -x
complete -c omni -n "__omni_is fork" -l worktree -d 'its own git worktree'
complete -c omni -n "__omni_is $start" -l sandbox -d "run it in omni's sandbox"
complete -c omni -n "__omni_is $start" -l no-sandbox -d 'run it outside the sandbox'
complete -c omni -n "__omni_is $start ls list send" -s t -l tag -xa "(__omni_json tags - ls --all)"
complete -c omni -n "__omni_is claude codex pi opencode gemini copilot qwen" -s p -l policy -xa "(__omni_json name - policy names) (__omni_yaml_files)"
complete -c omni -n "__omni_is claude codex pi opencode gemini copilot qwen" -l bin -rF
complete -c omni -n "__omni_is mcp" -l agent-socket -rF
complete -c omni -n "__omni_is run" -s H -l harness -xa "claude codex pi opencode gemini copilot qwen"
complete -c omni -n "__omni_is ls list approvals approve deny" -s a -l all
complete -c omni -n "__omni_is ls list" -s w -l wide
complete -c omni -n "__omni_is ls list stop cost" -l tree
complete -c omni -n "__omni_is ls list" -l all-hosts -d "every host of omni hosts ls, with a HOST column"
complete -c omni -n "__omni_is ls list" -l host-timeout -r -d "ms a host has to answer (--all-hosts)"
complete -c omni -n "__omni_is rm prune" -s n -l dry-run
complete -c omni -n "__omni_is prune" -l older-than -x
complete -c omni -n "__omni_is send" -l to -xa "(__omni_to)" -d 'comma-separated sessions'
complete -c omni -n "__omni_is send" -s f -l file -rF
complete -c omni -n "__omni_is send" -l no-submit
complete -c omni -n "__omni_is send" -l force
complete -c omni -n "__omni_is wait" -l for -xa "idle waiting running exited attention"
complete -c omni -n "__omni_is wait" -s t -l timeout -x
complete -c omni -n "__omni_is status-line" -l timeout -x
complete -c omni -n "__omni_is events" -s f -l follow
complete -c omni -n "__omni_is events" -l since -x
complete -c omni -n "__omni_is events" -s n -l last -x
complete -c omni -n "__omni_is cost" -l by -xa "session harness model day"
complete -c omni -n "__omni_is approve" -s s -l session -d 'for the rest of the session; with --all, whose asks'
complete -c omni -n "__omni_is deny" -s s -l session -xa "(__omni_json id,sessionName pending approvals)"
complete -c omni -n "__omni_is deny" -s r -l reason -x
complete -c omni -n "__omni_is status-line" -l tmux
complete -c omni -n "__omni_is prices; and not __omni_sub update" -s H -l harness -xa "claude codex pi opencode gemini copilot qwen"
complete -c omni -n "__omni_is prices; and not __omni_sub update" -l provider -x
complete -c omni -n "__omni_is prices; and __omni_sub update" -l registry -x
complete -c omni -n "__omni_is prices; and __omni_sub update" -s f -l force
complete -c omni -n "__omni_is daemon; and __omni_sub start" -s q -l quiet
complete -c omni -n "__omni_is worktree; and __omni_sub diff" -l stat
complete -c omni -n "__omni_is worktree; and __omni_sub rm" -s f -l force
complete -c omni -n "__omni_is worktree; and __omni_sub ls rm" -l json
complete -c omni -n "__omni_is merge" -l into -x
complete -c omni -n "__omni_is merge" -l check -x
complete -c omni -n "__omni_is merge" -s y -l yes
complete -c omni -n "__omni_is merge" -l json
# omni polly "goal" is omni polly start "goal": any word but another subcommand is a goal.
set -l pstart "__omni_is polly; and not __omni_sub board merge stop ls"
complete -c omni -n $pstart -l workers -x -d 'worker harnesses, comma-separated'
complete -c omni -n $pstart -l reviewers -x -d 'reviewer harnesses, comma-separated'
complete -c omni -n $pstart -l check -x
complete -c omni -n $pstart -l parallel -x
complete -c omni -n $pstart -l rounds -x
complete -c omni -n $pstart -l lead -xa "claude codex pi opencode gemini copilot qwen"
complete -c omni -n $pstart -s d -l detach
complete -c omni -n "__omni_is polly; and __omni_sub merge" -l task -x
complete -c omni -n "__omni_is polly; and __omni_sub merge" -l check -x
complete -c omni -n "__omni_is polly; and __omni_sub merge" -s y -l yes
complete -c omni -n "__omni_is polly" -l json
complete -c omni -n "__omni_is debby; and not __omni_sub $debby_subs" -l heads -xa "claude,codex claude,codex,pi claude,pi codex,pi"
complete -c omni -n "__omni_is debby; and not __omni_sub $debby_subs" -s d -l detach
complete -c omni -n "__omni_is debby; and not __omni_sub ask show view stop ls" -l synth -x
complete -c omni -n "__omni_is debby; and __omni_sub debate" -s r -l rounds -x
complete -c omni -n "__omni_is debby; and __omni_sub ask debate" -l timeout -x
complete -c omni -n "__omni_is debby; and not __omni_sub view" -l json
complete -c omni -n "__omni_is $start dashboard doctor ls list tag send wait events stop rm prune resume fork rename interrupt approvals approve deny status-line cost prices" -l json
complete -c omni -n "__omni_is policy; and __omni_sub add ls names test" -l json
complete -c omni -n "__omni_is daemon; and __omni_sub start stop status" -l json
complete -c omni -s h -l help
