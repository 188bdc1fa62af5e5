# fish completion for omni. Copy to ~/.config/fish/completions/omni.fish
function __omni_sessions
    omni ls --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{for(const x of JSON.parse(s))console.log(x.name)}catch{}})'
end
set -l cmds claude codex pi run ls attach send wait events stop resume interrupt policy approvals approve deny status-line doctor cost prices daemon
complete -c omni -f
complete -c omni -n "not __fish_seen_subcommand_from $cmds" -a "$cmds"
complete -c omni -n "__fish_seen_subcommand_from attach send wait events stop interrupt resume cost" -a "(__omni_sessions)"
complete -c omni -n "__fish_seen_subcommand_from daemon" -a "start stop status run"
complete -c omni -n "__fish_seen_subcommand_from wait" -l for -xa "idle waiting running exited"
complete -c omni -n "__fish_seen_subcommand_from wait" -l timeout -x
complete -c omni -n "__fish_seen_subcommand_from events" -l follow
complete -c omni -n "__fish_seen_subcommand_from events" -l since -x
complete -c omni -n "__fish_seen_subcommand_from claude codex pi run" -l name -x
complete -c omni -n "__fish_seen_subcommand_from claude codex pi" -l policy -r
complete -c omni -n "__fish_seen_subcommand_from run" -l harness -xa "claude codex pi"
complete -c omni -n "__fish_seen_subcommand_from policy" -a "add ls"
complete -c omni -n "__fish_seen_subcommand_from approve" -l session
complete -c omni -n "__fish_seen_subcommand_from deny" -l reason -x
complete -c omni -n "__fish_seen_subcommand_from claude" -l cwd -xa "(__fish_complete_directories)"
complete -c omni -n "__fish_seen_subcommand_from claude" -l model -x
complete -c omni -n "__fish_seen_subcommand_from claude" -l detach
complete -c omni -l json
