export { TmuxError, TMUX_NOT_INSTALLED, isNoServerError } from './errors.js';
export { createTmuxRunner, tmuxClientEnv, escapeTmuxArg, type TmuxRunner, type TmuxRunResult, type TmuxRunnerOptions } from './runner.js';
export { KeyedSerialQueue } from './serial.js';
export { TMUX_CONFIG, SUPERVISE_CHANNEL, tmuxConfig, parseTmuxSettings, DEFAULT_TMUX_SETTINGS, TMUX_CONFIG_KEY, type TmuxSettings } from './config.js';
export {
  Tmux, isValidSessionName, chunkUtf8,
  type TmuxOptions, type NewSessionOptions, type PaneInfo, type AttachCommand,
} from './tmux.js';
