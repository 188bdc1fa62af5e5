# bash completion for omni / omnigent.  source this file, or copy it to
# /etc/bash_completion.d/ (or ~/.local/share/bash-completion/completions/omni).
# Dynamic words come from `omni … --json`: sessions, pending approvals, policy names.

# _omni_json FIELD [FILTER] -- omni args...: one FIELD a line from the JSON array omni prints.
# FILTER: live | ended | pending (by status), or - for every item.
_omni_json() {
  local field=$1 filter=$2; shift 3
  omni "$@" --json 2>/dev/null | node -e '
    const [field, filter] = process.argv.slice(1); let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", () => {
      try {
        for (const x of JSON.parse(s)) {
          const ended = x.status === "exited" || x.status === "failed";
          if ((filter === "live" && ended) || (filter === "ended" && !ended) || (filter === "pending" && x.status !== "pending")) continue;
          console.log(x[field]);
        }
      } catch {}
    });' "$field" "$filter"
}
_omni_sessions() { _omni_json name live -- ls; }
_omni_all_sessions() { _omni_json name - -- ls --all; }
_omni_ended_sessions() { _omni_json name ended -- ls --all; }
_omni_approval_ids() { _omni_json id pending -- approvals; }
_omni_policies() {
  COMPREPLY=($(compgen -W "$(_omni_json name - -- policy names)" -- "$cur") $(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -S / -- "$cur"))
  compopt -o nospace 2>/dev/null
}

_omni() {
  local cur prev words cword
  _init_completion 2>/dev/null || { cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"; cword=$COMP_CWORD; words=("${COMP_WORDS[@]}"); }
  local commands="claude codex pi run dashboard doctor ls list attach send wait events stop rm prune resume interrupt policy approvals approve deny status-line cost prices daemon help"
  if [ "$cword" -eq 1 ]; then
    COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur")); return
  fi
  local cmd=${words[1]} sub=${words[2]}
  # The value of a flag first: what follows --policy, --by, --for… is never another flag.
  case "$prev" in
    --policy|-p) case "$cmd" in claude|codex|pi) _omni_policies; return ;; esac ;;
    --by) COMPREPLY=($(compgen -W "session harness model day" -- "$cur")); return ;;
    --for) COMPREPLY=($(compgen -W "idle waiting running exited" -- "$cur")); return ;;
    --harness|-H) COMPREPLY=($(compgen -W "claude codex pi" -- "$cur")); return ;;
    --cwd|-C) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --file|-f) case "$cmd" in send) COMPREPLY=($(compgen -f -- "$cur")); return ;; esac ;;
    --bin) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --name|-n|--model|-m|--since|--timeout|-t|--reason|-r|--provider|--registry|--older-than) COMPREPLY=(); return ;;
  esac
  # The first argument after the command, when it is not a flag.
  local nargs=0 i
  for ((i = 2; i < cword; i++)); do [[ ${words[i]} != -* ]] && nargs=$((nargs + 1)); done
  local flags=""
  case "$cmd" in
    claude|codex|pi) flags="--name --cwd --model --detach --json --bin --policy --sandbox --no-sandbox" ;;
    run)
      flags="--harness --model --name --cwd --detach --json --sandbox --no-sandbox"
      if [[ $cur != -* && $nargs -eq 0 ]]; then COMPREPLY=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -S / -- "$cur")); compopt -o nospace 2>/dev/null; return; fi ;;
    dashboard|doctor) flags="--json" ;;
    ls|list) flags="--all --wide --json" ;;
    attach|stop|interrupt)
      flags="--json"; [ "$cmd" = attach ] && flags=""
      if [[ $cur != -* && $nargs -eq 0 ]]; then COMPREPLY=($(compgen -W "$(_omni_sessions)" -- "$cur")); return; fi ;;
    send)
      flags="--file --no-submit --force --json"
      if [[ $cur != -* && $nargs -eq 0 ]]; then COMPREPLY=($(compgen -W "$(_omni_sessions)" -- "$cur")); return; fi ;;
    wait)
      flags="--for --timeout --json"
      if [[ $cur != -* && $nargs -eq 0 ]]; then COMPREPLY=($(compgen -W "$(_omni_sessions)" -- "$cur")); return; fi ;;
    events)
      flags="--follow --json --since"
      if [[ $cur != -* && $nargs -eq 0 ]]; then COMPREPLY=($(compgen -W "$(_omni_all_sessions)" -- "$cur")); return; fi ;;
    rm)
      flags="--dry-run --json"
      if [[ $cur != -* ]]; then COMPREPLY=($(compgen -W "$(_omni_ended_sessions)" -- "$cur")); return; fi ;;
    prune) flags="--older-than --dry-run --json" ;;
    resume)
      flags="--detach --json"
      if [[ $cur != -* && $nargs -eq 0 ]]; then COMPREPLY=($(compgen -W "$(_omni_ended_sessions)" -- "$cur")); return; fi ;;
    cost)
      flags="--by --json"
      if [[ $cur != -* && $nargs -eq 0 ]]; then COMPREPLY=($(compgen -W "$(_omni_all_sessions)" -- "$cur")); return; fi ;;
    approve|deny)
      flags="--session --json"; [ "$cmd" = deny ] && flags="--reason --json"
      if [[ $cur != -* && $nargs -eq 0 ]]; then COMPREPLY=($(compgen -W "$(_omni_approval_ids)" -- "$cur")); return; fi ;;
    approvals) flags="--all --json" ;;
    status-line) flags="--tmux --timeout --json" ;;
    prices)
      flags="--harness --provider --json"
      if [ "$sub" = update ]; then flags="--registry --force --json"
      elif [[ $cur != -* && $nargs -eq 0 ]]; then COMPREPLY=($(compgen -W "update" -- "$cur")); return; fi ;;
    daemon)
      if [ "$cword" -eq 2 ]; then COMPREPLY=($(compgen -W "start stop status run" -- "$cur")); return; fi
      case "$sub" in start) flags="--quiet --json" ;; stop|status) flags="--json" ;; esac ;;
    policy)
      if [ "$cword" -eq 2 ]; then COMPREPLY=($(compgen -W "add ls names test" -- "$cur")); return; fi
      flags="--json"
      if [[ $cur != -* ]]; then
        case "$sub:$nargs" in
          add:1|ls:1) COMPREPLY=($(compgen -W "$(_omni_sessions)" -- "$cur")); return ;;
          add:2) _omni_policies; return ;;
          test:1) COMPREPLY=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -S / -- "$cur")); compopt -o nospace 2>/dev/null; return ;;
        esac
      fi ;;
    help) COMPREPLY=($(compgen -W "$commands" -- "$cur")); return ;;
  esac
  COMPREPLY=($(compgen -W "$flags --help" -- "$cur"))
}
complete -F _omni omni omnigent
