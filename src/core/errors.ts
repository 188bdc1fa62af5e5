/**
 * Exit codes are part of omni's scripting contract (docs/CLI.md). Keep them stable.
 */
export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  notFound: 3,
  daemonUnreachable: 4,
  /** The harness, or what `--sandbox` needs (bubblewrap, user namespaces), is missing. */
  harnessMissing: 5,
  /** `omni wait`: the session ended before reaching the awaited state. */
  waitEnded: 6,
  /** `omni send`: the harness did not accept the input. */
  notAccepted: 7,
  /** Refused: an approval from inside an omni session, an ask already answered, a session that has ended. */
  forbidden: 8,
  /** `omni send` / `omni wait`: the prompt was blocked by policy and never ran. */
  promptBlocked: 9,
  /** `omni wait --for attention`: the session needs a person (an omni approval or the harness's own dialog). */
  needsPerson: 10,
  /** `omni wait`: timeout, like timeout(1). */
  timeout: 124,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error meant for the user: one line, a stable code, and an exit code. */
export class OmniError extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** Defaults to the exit code documented for `code`. */
    readonly exitCode: ExitCodeValue = exitCodeFor(code),
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'OmniError';
  }

  toJSON(): { error: { code: string; message: string; details?: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/** HTTP status the daemon uses for each error code; the client maps back through `code`. */
export function httpStatusFor(code: string): number {
  switch (code) {
    case 'not_found':
    case 'unknown_session':
    case 'unknown_harness':
      return 404;
    case 'bad_request':
    case 'invalid_name':
    case 'bad_json':
    case 'policy_invalid':
    case 'config_invalid':
      return 400;
    case 'forbidden':
      return 403;
    case 'conflict':
    case 'name_taken':
      return 409;
    case 'harness_missing':
    case 'sandbox_unavailable':
    case 'secret_unavailable':
      return 424;
    case 'not_accepted':
      return 422;
    case 'timeout':
      return 408;
    default:
      return 500;
  }
}

export function exitCodeFor(code: string): ExitCodeValue {
  switch (code) {
    case 'unknown_session':
    case 'unknown_harness':
    case 'not_found':
      return ExitCode.notFound;
    case 'bad_request':
    case 'invalid_name':
    case 'bad_json':
    case 'name_taken':
    case 'policy_invalid':
    case 'config_invalid':
      return ExitCode.usage;
    case 'forbidden':
    case 'conflict':
      return ExitCode.forbidden;
    case 'harness_missing':
    case 'sandbox_unavailable':
      return ExitCode.harnessMissing;
    case 'daemon_unreachable':
      return ExitCode.daemonUnreachable;
    case 'timeout':
      return ExitCode.timeout;
    case 'wait_ended':
      return ExitCode.waitEnded;
    case 'not_accepted':
      return ExitCode.notAccepted;
    case 'prompt_blocked':
      return ExitCode.promptBlocked;
    case 'needs_person':
      return ExitCode.needsPerson;
    default:
      return ExitCode.error;
  }
}
