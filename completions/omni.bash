# bash completion for omni / omnigent.  source this file, or copy it to
# /etc/bash_completion.d/ (or ~/.local/share/bash-completion/completions/omni).
_omni_sessions() {
  omni ls --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{for(const x of JSON.parse(s))console.log(x.name)}catch{}})'
}
_omni() {
  local cur prev words cword
  _init_completion 2>/dev/null || { cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"; cword=$COMP_CWORD; words=("${COMP_WORDS[@]}"); }
  local commands="claude codex pi run ls attach send wait events stop resume interrupt policy approvals approve deny status-line doctor cost prices daemon help"
  if [ "$cword" -eq 1 ]; then
    COMPREPLY=($(compgen -W "$commands" -- "$cur")); return
  fi
  case "${words[1]}" in
    attach|send|wait|events|stop|interrupt|resume|cost)
      if [ "$cword" -eq 2 ]; then COMPREPLY=($(compgen -W "$(_omni_sessions)" -- "$cur")); return; fi
      case "$prev" in
        --for) COMPREPLY=($(compgen -W "idle waiting running exited" -- "$cur")); return ;;
        --file|-f) COMPREPLY=($(compgen -f -- "$cur")); return ;;
      esac
      COMPREPLY=($(compgen -W "--json --follow --since --for --timeout --file --no-submit" -- "$cur")) ;;
    daemon) COMPREPLY=($(compgen -W "start stop status run" -- "$cur")) ;;
    policy)
      if [ "$cword" -eq 2 ]; then COMPREPLY=($(compgen -W "add ls" -- "$cur")); return; fi
      if [ "$cword" -eq 3 ]; then COMPREPLY=($(compgen -W "$(_omni_sessions)" -- "$cur")); return; fi
      COMPREPLY=($(compgen -f -- "$cur")) ;;
    run) COMPREPLY=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -- "$cur") $(compgen -W "--harness --model --name --cwd --detach --json" -- "$cur")) ;;
    approve) COMPREPLY=($(compgen -W "--session --json" -- "$cur")) ;;
    deny) COMPREPLY=($(compgen -W "--reason --json" -- "$cur")) ;;
    prices) COMPREPLY=($(compgen -W "update --harness --provider --json" -- "$cur")) ;;
    claude|codex|pi)
      case "$prev" in --cwd|-C) COMPREPLY=($(compgen -d -- "$cur")); return ;; esac
      COMPREPLY=($(compgen -W "--name --cwd --model --policy --detach --json --bin" -- "$cur")) ;;
    ls|list) COMPREPLY=($(compgen -W "--all --json" -- "$cur")) ;;
  esac
}
complete -F _omni omni omnigent
