# bash completion for omni / omnigent.  source this file, or copy it to
# /etc/bash_completion.d/ (or ~/.local/share/bash-completion/completions/omni).
# Dynamic words come from `omni … --json`: sessions, tags, pending approvals, policy names.

# _omni_json FIELDS FILTER -- omni args...: each FIELD (comma-separated; an array field gives
# each element) of the items of the JSON array omni prints, one a line, each word once.
# FILTER: live | ended | pending (by status), =REF (the item whose id or name is REF), or - for every item.
_omni_json() {
  local field=$1 filter=$2; shift 3
  omni "$@" --json 2>/dev/null | node -e '
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
    });' "$field" "$filter"
}
_omni_sessions() { _omni_json name live -- ls; }
_omni_all_sessions() { _omni_json name - -- ls --all; }
_omni_ended_sessions() { _omni_json name ended -- ls --all; }
_omni_worktree_sessions() { _omni_json name "$1" -- worktree ls; }
_omni_tags() { _omni_json tags - -- ls --all; }
# What approve/deny take: a pending ask's id, or a session that has one.
_omni_approval_targets() { _omni_json id,sessionName pending -- approvals; }
_omni_yaml() {
  COMPREPLY+=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -S / -- "$cur"))
  compopt -o nospace 2>/dev/null
}
_omni_policies() {
  COMPREPLY=($(compgen -W "$(_omni_json name - -- policy names)" -- "$cur"))
  _omni_yaml
}

# _omni_valued CMD FLAG: does FLAG of CMD take a value (so the next word is that value, not an argument)?
_omni_valued() {
  case "$2" in
    --name|--cwd|-C|--model|-m|--bin|--policy|-p|--tag|-t|--harness|-H|--to|--file|--for|--timeout|--since|--last|--older-than|--session|-s|--reason|-r|--by|--provider|--registry|--into|--check|--agent-socket|--workers|--reviewers|--parallel|--rounds|--lead|--task|--heads|--synth|--omni|--home|--user|-u|--role) return 0 ;;
    -n) case "$1" in claude|codex|pi|opencode|gemini|copilot|qwen|run) return 0 ;; esac ;; # elsewhere -n is --dry-run
    -f) [ "$1" = send ] && return 0 ;;                         # elsewhere -f is --follow or --force
  esac
  return 1
}

_omni() {
  local cur prev words cword
  COMPREPLY=()
  _init_completion 2>/dev/null || { cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"; cword=$COMP_CWORD; words=("${COMP_WORDS[@]}"); }
  local commands="claude codex pi opencode gemini copilot qwen run dashboard doctor ls list tag attach watch fork send wait events stop rm prune resume rename interrupt policy worktree merge polly debby share approvals approve deny status-line cost prices daemon hosts mcp help"
  if [ "$cword" -eq 1 ]; then
    COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur")); return
  fi
  local cmd=${words[1]} sub=${words[2]}
  # The value of a flag first: what follows --policy, --by, --for… is never another flag.
  if _omni_valued "$cmd" "$prev"; then
    case "$prev" in
      --policy|-p) _omni_policies ;;
      --by) COMPREPLY=($(compgen -W "session harness model day" -- "$cur")) ;;
      --for) COMPREPLY=($(compgen -W "idle waiting running exited attention" -- "$cur")) ;;
      --harness|-H|--lead) COMPREPLY=($(compgen -W "claude codex pi opencode gemini copilot qwen" -- "$cur")) ;;
      --heads) COMPREPLY=($(compgen -W "claude,codex claude,codex,pi claude,pi codex,pi" -- "$cur")) ;;
      --cwd|-C) COMPREPLY=($(compgen -d -- "$cur")) ;;
      --user|-u) COMPREPLY=($(compgen -u -- "$cur")) ;;
      --role) COMPREPLY=($(compgen -W "watch drive approve" -- "$cur")) ;;
      --file|-f|--bin|--agent-socket) COMPREPLY=($(compgen -f -- "$cur")) ;;
      --tag|-t) [ "$cmd" != wait ] && COMPREPLY=($(compgen -W "$(_omni_tags)" -- "$cur")) ;;
      --to) # comma-separated: complete the last one, keep those before it
        local pre="" last=$cur
        [[ $cur == *,* ]] && pre=${cur%,*}, last=${cur##*,}
        COMPREPLY=($(compgen -P "$pre" -W "$(_omni_sessions)" -- "$last")); compopt -o nospace 2>/dev/null ;;
      --session|-s)
        # approve's --session takes a value only when one follows; a flag may come instead.
        if [[ $cmd == approve && $cur == -* ]]; then :; else COMPREPLY=($(compgen -W "$(_omni_approval_targets)" -- "$cur")); return; fi ;;
      *) COMPREPLY=() ;;
    esac
    [[ $prev == --session || $prev == -s ]] || return
  fi
  # Arguments given so far (words that are neither flags nor a flag's value).
  local nargs=0 i first=""
  for ((i = 2; i < cword; i++)); do
    if [[ ${words[i]} == -* ]]; then _omni_valued "$cmd" "${words[i]}" && ((i++))
    else nargs=$((nargs + 1)); [ -z "$first" ] && first=${words[i]}; fi
  done
  local arg=""; [[ $cur != -* ]] && arg=$nargs # which argument is being typed ("" for a flag)
  local flags=""
  case "$cmd" in
    claude|codex|pi|opencode|gemini|copilot|qwen) flags="--name --cwd --model --detach --json --bin --policy --sandbox --no-sandbox --tag" ;;
    run)
      flags="--harness --model --name --cwd --detach --json --sandbox --no-sandbox --tag"
      if [ "$arg" = 0 ]; then _omni_yaml; return; fi ;;
    dashboard|doctor) flags="--json" ;;
    ls|list) flags="--all --wide --tree --tag --json --all-hosts --host-timeout" ;;
    tag)
      flags="--json"
      case "$arg:$cur" in
        0:*) COMPREPLY=($(compgen -W "$(_omni_all_sessions)" -- "$cur")); return ;;
        # +TAG adds a tag known anywhere (so does a bare one); -TAG removes one this session has.
        *:+*) COMPREPLY=($(compgen -P + -W "$(_omni_tags)" -- "${cur#+}")); return ;;
        :--*) ;;
        :-*) [ -n "$first" ] && COMPREPLY=($(compgen -P - -W "$(_omni_json tags "=$first" -- ls --all)" -- "${cur#-}")) ;;
        *) COMPREPLY=($(compgen -W "$(_omni_tags)" -- "$cur")); return ;;
      esac ;;
    fork)
      flags="--name --worktree --detach --json"
      if [ "$arg" = 0 ]; then COMPREPLY=($(compgen -W "$(_omni_all_sessions)" -- "$cur")); return; fi ;;
    attach|watch|stop|interrupt)
      flags="--json"; [[ $cmd == attach || $cmd == watch ]] && flags=""; [ "$cmd" = stop ] && flags="--tree --json"
      if [ "$arg" = 0 ]; then COMPREPLY=($(compgen -W "$(_omni_sessions)" -- "$cur")); return; fi ;;
    send)
      flags="--tag --to --file --no-submit --force --json"
      # With --tag or --to the sessions are given; the arguments are the text.
      local many=""; for ((i = 2; i < cword; i++)); do case "${words[i]}" in --tag|-t|--to) many=1 ;; esac; done
      if [[ $arg == 0 && -z $many ]]; then COMPREPLY=($(compgen -W "$(_omni_sessions)" -- "$cur")); return; fi ;;
    wait)
      flags="--for --timeout --json"
      if [ "$arg" = 0 ]; then COMPREPLY=($(compgen -W "$(_omni_sessions)" -- "$cur")); return; fi ;;
    events)
      flags="--follow --json --since --last"
      if [ "$arg" = 0 ]; then COMPREPLY=($(compgen -W "$(_omni_all_sessions)" -- "$cur")); return; fi ;;
    rm)
      flags="--dry-run --json"
      if [ -n "$arg" ]; then COMPREPLY=($(compgen -W "$(_omni_ended_sessions)" -- "$cur")); return; fi ;;
    prune) flags="--older-than --dry-run --json" ;;
    resume)
      flags="--detach --json"
      if [ "$arg" = 0 ]; then COMPREPLY=($(compgen -W "$(_omni_ended_sessions)" -- "$cur")); return; fi ;;
    rename)
      flags="--json"
      if [ "$arg" = 0 ]; then COMPREPLY=($(compgen -W "$(_omni_all_sessions)" -- "$cur")); return; fi
      [ "$arg" = 1 ] && return ;; # the new name
    cost)
      flags="--by --tree --json"
      if [ "$arg" = 0 ]; then COMPREPLY=($(compgen -W "$(_omni_all_sessions)" -- "$cur")); return; fi ;;
    approve|deny)
      flags="--all --session --json"; [ "$cmd" = deny ] && flags="--all --session --reason --json"
      if [ "$arg" = 0 ]; then COMPREPLY=($(compgen -W "$(_omni_approval_targets)" -- "$cur")); return; fi ;;
    approvals) flags="--all --json" ;;
    status-line) flags="--tmux --timeout --json" ;;
    prices)
      flags="--harness --provider --json"
      if [ "$sub" = update ]; then flags="--registry --force --json"
      elif [ "$arg" = 0 ]; then COMPREPLY=($(compgen -W "update" -- "$cur")); return; fi ;;
    mcp) flags="--agent-socket" ;;
    daemon)
      if [ "$cword" -eq 2 ]; then COMPREPLY=($(compgen -W "start stop status run bridge" -- "$cur")); return; fi
      case "$sub" in start) flags="--quiet --json" ;; stop|status) flags="--json" ;; esac ;;
    hosts)
      if [ "$cword" -eq 2 ]; then COMPREPLY=($(compgen -W "add ls rm test" -- "$cur")); return; fi
      case "$sub" in add) flags="--omni --home --json" ;; ls|test) flags="--json" ;; esac ;;
    policy)
      if [ "$cword" -eq 2 ]; then COMPREPLY=($(compgen -W "add ls names test" -- "$cur")); return; fi
      flags="--json"
      case "$sub:$arg" in
        add:1|ls:1) COMPREPLY=($(compgen -W "$(_omni_sessions)" -- "$cur")); return ;;
        add:2) _omni_policies; return ;;
        test:1) _omni_yaml; return ;;
      esac ;;
    worktree)
      if [ "$cword" -eq 2 ]; then COMPREPLY=($(compgen -W "ls diff rm" -- "$cur")); return; fi
      case "$sub" in ls) flags="--json" ;; diff) flags="--stat" ;; rm) flags="--force --json" ;; esac
      case "$sub:$arg" in
        diff:1) COMPREPLY=($(compgen -W "$(_omni_worktree_sessions -)" -- "$cur")); return ;;
        rm:[1-9]*) COMPREPLY=($(compgen -W "$(_omni_worktree_sessions ended)" -- "$cur")); return ;;
      esac ;;
    merge)
      flags="--into --check --yes --json"
      if [ -n "$arg" ]; then COMPREPLY=($(compgen -W "$(_omni_worktree_sessions -)" -- "$cur")); return; fi ;;
    polly)
      # `omni polly "goal"` is `omni polly start "goal"`: a word that is no subcommand is a goal.
      case "$sub" in
        start|board|merge|stop|ls) ;;
        *) if [[ $cword -eq 2 && $cur != -* ]]; then COMPREPLY=($(compgen -W "start board merge stop ls" -- "$cur")); return; fi; sub=start ;;
      esac
      case "$sub" in
        start) flags="--workers --reviewers --check --parallel --rounds --lead --detach --json" ;;
        merge) flags="--task --check --yes --json" ;;
        *) flags="--json" ;;
      esac
      if [[ $arg == 1 && $sub =~ ^(board|merge|stop)$ && ${words[2]} == "$sub" ]]; then COMPREPLY=($(compgen -W "$(_omni_json id - -- polly ls)" -- "$cur")); return; fi ;;
    debby)
      if [[ $cword -eq 2 && $cur != -* ]]; then COMPREPLY=($(compgen -W "ask debate show view stop ls" -- "$cur")); return; fi
      case "$sub" in
        ask) flags="--timeout --json" ;;
        debate) flags="--rounds --synth --timeout --json" ;;
        show|stop|ls) flags="--json" ;;
        view) flags="" ;;
        *) flags="--heads --synth --detach --json" ;;
      esac
      case "$sub:$arg" in
        ask:1|debate:1|show:1|view:1|stop:1) COMPREPLY=($(compgen -W "latest $(_omni_json id - -- debby ls)" -- "$cur")); return ;;
      esac ;;
    share) # issue 17: `omni share SESSION --user U --role R`, `share ls`, `share rm SESSION --user U`
      if [[ $cword -eq 2 && $cur != -* ]]; then COMPREPLY=($(compgen -W "ls rm $(_omni_json name - -- ls)" -- "$cur")); return; fi
      case "$sub" in
        ls) flags="--json" ;;
        rm) flags="--user --json"; if [[ $arg == 1 ]]; then COMPREPLY=($(compgen -W "$(_omni_json name - -- ls --all)" -- "$cur")); return; fi ;;
        *) flags="--user --role --json" ;;
      esac ;;
    help) COMPREPLY=($(compgen -W "$commands" -- "$cur")); return ;;
  esac
  COMPREPLY+=($(compgen -W "$flags --help" -- "$cur"))
}
complete -F _omni omni omnigent
