import type { YVal } from '../core/yaml.js';

/** config.yaml's `tmux:` section (docs/CONFIG.md): what of omni's tmux server a user may choose. */
export interface TmuxSettings {
  /** tmux's `mouse` option: click to focus, wheel to scroll the agent's history. */
  mouse: boolean;
}

export const TMUX_CONFIG_KEY = 'tmux';
export const DEFAULT_TMUX_SETTINGS: TmuxSettings = { mouse: false };

/** The section's value (null: the defaults); throws YamlError (file:line:column) when it is wrong. */
export function parseTmuxSettings(value: YVal): TmuxSettings {
  const cfg = { ...DEFAULT_TMUX_SETTINGS };
  if (value.kind() === 'null') return cfg;
  for (const e of value.map('tmux', ['mouse'] as const)) {
    if (e.key === 'mouse') cfg.mouse = e.value.boolean('tmux.mouse');
  }
  return cfg;
}

/**
 * omni's tmux.conf. It is only read by omni's private server (tmux -S <sock> -f <this>),
 * so nothing here changes the user's own tmux. Everything not set keeps tmux's defaults.
 */
export function tmuxConfig(settings: TmuxSettings = DEFAULT_TMUX_SETTINGS): string {
  return `${TMUX_BASE}
# What the agents ask of the tmux they run in. Claude Code says "add 'set -g focus-events on'
# to ~/.tmux.conf" without it: focus in/out reaches the pane only with focus-events on.
set -g focus-events on

# Shift+Enter (a newline in Claude Code and Codex) reaches the pane as its own key only with
# extended keys, and only when tmux knows the terminal outside sends them. -q: tmux < 3.2
# does not know these options and skips them instead of failing the config.
set -sq extended-keys on
set -asq terminal-features 'xterm*:extkeys'

# config.yaml tmux.mouse (default off): click to pick a pane, wheel to scroll its history.
set -g mouse ${settings.mouse ? 'on' : 'off'}
`;
}

const TMUX_BASE = `# Written by omni for its private tmux server. Regenerated on start; edits are lost.

# Keep a pane (and its last screen) after the agent exits or crashes, so omni can read the
# exit status (#{pane_dead_status}) and show what happened instead of losing the window.
set -gw remain-on-exit on

# The line tmux prints into a dead pane. -q: the option is new in tmux 3.3; older servers
# skip it silently instead of reporting a config error.
set -gqw remain-on-exit-format "[omni] process exited (#{?pane_dead_signal,signal #{pane_dead_signal},status #{pane_dead_status}})"

# Wake the omni daemon when an agent exits or a session closes (docs/TMUX.md): it waits on
# this channel instead of listing panes on a timer. In-server commands: no process is spawned.
set-hook -g pane-died 'wait-for -S omni-supervise'
set-hook -g pane-exited 'wait-for -S omni-supervise'
set-hook -g session-closed 'wait-for -S omni-supervise'

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
# their host cannot resolve.
`;

/**
 * The channel the hooks below signal and the daemon waits on (`tmux wait-for`). Waking it only
 * makes the daemon list the panes once and decide for itself, so a forged signal can do no
 * more than cause one check; a signal with no daemon waiting is a flag tmux keeps, never a
 * blocked process.
 */
export const SUPERVISE_CHANNEL = 'omni-supervise';

/** The config with the defaults (config.yaml not read). */
export const TMUX_CONFIG = tmuxConfig();
