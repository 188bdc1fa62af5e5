/**
 * omni's tmux.conf. It is only read by omni's private server (tmux -S <sock> -f <this>),
 * so nothing here changes the user's own tmux. Everything not set keeps tmux's defaults.
 */
export const TMUX_CONFIG = `# Written by omni for its private tmux server. Regenerated on start; edits are lost.

# Keep a pane (and its last screen) after the agent exits or crashes, so omni can read the
# exit status (#{pane_dead_status}) and show what happened instead of losing the window.
set -gw remain-on-exit on

# The line tmux prints into a dead pane. -q: the option is new in tmux 3.3; older servers
# skip it silently instead of reporting a config error.
set -gqw remain-on-exit-format "[omni] process exited (#{?pane_dead_signal,signal #{pane_dead_signal},status #{pane_dead_status}})"

# Agents print long transcripts; omni captures history to show and summarize them.
# Applies to panes created after this is set, which is all of omni's panes.
set -g history-limit 50000

# exit-empty stays at its default (on): with no omni sessions left the server exits, and the
# next new-session starts a fresh one with this file. Nothing needs the server to idle.

# Show which omni session a human is looking at when attached.
# (The window carries the omni session name; the tmux session is the omni session id.)
set -g status-left "[omni #{window_name} #{session_name}] "
set -g status-left-length 60

# A human attached to an agent pane presses Escape often (it interrupts Claude Code and
# Codex); tmux's 500 ms default makes that feel broken. Only affects attached clients.
set -s escape-time 10

# default-terminal is deliberately not set: tmux's build-time default already names a
# terminfo entry present on the host, and forcing another one could give agents a TERM
# their host cannot resolve. mouse is left at tmux's default (off).
`;
