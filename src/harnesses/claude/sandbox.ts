/**
 * How a sandboxed Claude Code is launched (docs/harnesses/claude.md, "In the sandbox").
 *
 * Claude's default mode ("auto") sends a tool call that needs its server-side safety check to
 * Anthropic; behind omni's loopback forwarder that check cannot get through, and Claude stops on
 * a screen ("Auto mode can't check actions in this session … Your requests go through
 * 127.0.0.1:PORT") until someone at the pane picks a mode. In the sandbox the guards are omni's
 * policies (PreToolUse hooks, which gate in every mode) and the sandbox's walls, so Claude runs
 * with its own prompts off: `--permission-mode bypassPermissions`. Claude refuses that mode as
 * root unless IS_SANDBOX=1, and shows a one-time warning unless skipDangerousModePermissionPrompt
 * is set (omni sets it in its own --settings file, for this session only).
 */

/** Flags by which the user chose a mode themselves: then omni adds nothing. */
const USER_MODE_FLAGS = ['--permission-mode', '--dangerously-skip-permissions'];

export function userChoseMode(args: readonly string[]): boolean {
  return args.some((a) => USER_MODE_FLAGS.some((f) => a === f || a.startsWith(`${f}=`)));
}

export interface SandboxedClaudeLaunch {
  args: string[];
  env: Record<string, string>;
  settings: Record<string, unknown>;
}

/** What a sandboxed launch adds; nothing when the user passed a permission flag of their own. */
export function sandboxedLaunch(extraArgs: readonly string[]): SandboxedClaudeLaunch {
  if (userChoseMode(extraArgs)) return { args: [], env: {}, settings: {} };
  return { args: ['--permission-mode', 'bypassPermissions'], env: { IS_SANDBOX: '1' }, settings: { skipDangerousModePermissionPrompt: true } };
}
