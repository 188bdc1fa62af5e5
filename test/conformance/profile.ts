import type { FakeModel } from '../fake-model/server.js';
import type { TestEnv } from '../helpers/omni.js';

/** The capabilities the conformance suite checks, one row per harness. */
export interface ConformanceRow {
  /** Starts interactively and reaches idle with no first-run screen. */
  startsClean: boolean;
  /** `omni send` → the scripted reply appears as message.assistant. */
  sendReply: boolean;
  /** A shell tool call yields tool.call (kind shell, with the command) and tool.result. */
  toolEvents: boolean;
  /** A policy deny stops the command, and the model receives the reason. */
  deny: boolean;
  /** An ask holds the command until `omni approve`; then it runs. */
  heldAsk: boolean;
  /** usage events carry the fake's fixed token counts. */
  usage: boolean;
  /** Those usage events carry a cost in dollars (reported by the harness, or computed from the price book). */
  cost: boolean;
  /** `omni interrupt` stops a generation in flight; the session returns to idle. */
  interrupt: boolean;
  /** `omni stop` then `omni resume` continues the same conversation. */
  resume: boolean;
  /**
   * `--sandbox`: the harness reaches the model through omni's proxy, its shell command writes in
   * the work dir, and a file elsewhere in $HOME is hidden from it.
   */
  sandbox: boolean;
}

/**
 * How to run one harness in the conformance suite against the fake model. One per adapter,
 * in `test/conformance/profiles/<harness>.ts`.
 */
export interface HarnessTestProfile {
  harness: string;
  /** Which of the fake's APIs the harness talks to. */
  api: 'anthropic' | 'openai-responses' | 'openai-chat' | 'gemini';
  /** The binary under test/harness-clis; the suite skips (and says so) when absent. */
  binary: string;
  /** Per-test preparation inside the test's isolated HOME (config files pointing at the fake). */
  setup(t: TestEnv, fake: FakeModel): Promise<{ env?: Record<string, string>; args?: string[] }>;
  /** How the model asks this harness to run a shell command. */
  shellTool: { name: string; input(command: string): unknown };
  /**
   * The harness asks its user before it runs a shell command when omni has no opinion (Gemini
   * CLI's and Copilot CLI's defaults; OpenCode's for a command reaching outside the project). The cells that need a command to run then start the session with an omni
   * policy allowing the command: omni's allow answers for the harness, as a user's would.
   */
  asksBeforeCommands?: boolean;
  /** What this harness's adapter declares it can do. */
  expected: ConformanceRow;
}
