import fs from 'node:fs';
import { proxyEnv } from '../../sandbox/env.js';
import { findBinary } from '../binary.js';
import { promptSubmitted, toolCalled } from '../signals.js';
import type { HarnessAdapter, HarnessSession, HookReply, IngestCursor, Ingestor, LaunchContext, LaunchSpec, ScreenMatch, SignalContext } from '../types.js';
import { codexHome, codexHomeNotes, codexModelEndpoints, codexOverrides, codexProvider, codexSandboxLaunch } from './config.js';
import { codexDoctor } from './doctor.js';
import { codexMcpOverrides } from './mcp.js';
import { CodexRollout } from './rollout.js';
import { codexIdleAfterInterrupt, codexInputReady, detectCodexScreen } from './screens.js';
import { codexNormalize } from './tools.js';

export { codexToolKind } from './tools.js';

/**
 * Codex CLI (codex-cli 0.169.0) under omni. See docs/harnesses/codex.md and
 * test/fixtures/codex/FINDINGS.md for what was measured.
 */


/** The NO_PROXY every process in omni's sandbox gets; the commands Codex runs keep it. */
const SANDBOX_NO_PROXY = proxyEnv(1, '/', '/').NO_PROXY ?? '';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const codexAdapter: HarnessAdapter = {
  name: 'codex',
  displayName: 'Codex',
  binaryName: 'codex',
  installHint: 'install it with `npm install -g @openai/codex` (or see https://github.com/openai/codex)',
  doctor: codexDoctor,
  capabilities: {
    interactive: true,
    headless: true,
    toolEvents: true,
    deny: true,
    heldAsk: true,
    costSource: 'tokens',
    interrupt: true,
    resume: true,
    fork: true,
  },
  interruptKeys: ['Escape'],
  submitDelayMs: 50,

  findBinary(env, versions) {
    return findBinary('codex', env, env.OMNI_BINARY_OVERRIDE, versions);
  },

  async prepareLaunch(ctx: LaunchContext): Promise<LaunchSpec> {
    const flags = [...codexOverrides(ctx.hooks, ctx.session.cwd), ...(ctx.mcp ? codexMcpOverrides(ctx.mcp) : []), '--dangerously-bypass-hook-trust'];
    // In omni's sandbox: Codex's own sandbox off (omni's replaces it), no update check, and its own
    // start-up housekeeping and loopback MCP server kept off the proxy (see codexSandboxLaunch).
    const sandbox = ctx.sandboxed ? codexSandboxLaunch(ctx.env, SANDBOX_NO_PROXY) : undefined;
    if (sandbox) flags.push(...sandbox.args);
    if (ctx.session.model) flags.push('--model', ctx.session.model);
    // `codex resume <id>` continues a thread; `codex fork <id>` starts a new one with its history.
    // A fork runs where the thread was recorded unless told (-C): a fork into a worktree must run there.
    const sub = ctx.resume ? ['resume', ctx.resume.harnessSessionId] : ctx.fork ? ['fork', ctx.fork.harnessSessionId, '-C', ctx.session.cwd] : [];
    const args = [...sub, ...flags, ...ctx.extraArgs];
    return {
      command: ctx.binary.path,
      args,
      env: { OMNI_SESSION_ID: ctx.session.id, OMNI_SESSION_NAME: ctx.session.name, ...sandbox?.env },
      notes: [
        `Codex runs on your own Codex home with omni's hooks, folder trust and notices as -c overrides (nothing written to config.toml)`,
        ...codexHomeNotes(ctx.env),
        ...(ctx.mcp ? [`omni's MCP server wired in as mcp_servers.omni (-c)`] : []),
      ],
    };
  },

  sandboxNeeds(env) {
    const home = codexHome(env);
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    const endpoints = codexModelEndpoints(env);
    const keyVar = codexProvider(env).envKey ?? 'OPENAI_API_KEY';
    return {
      env: ['CODEX_*', 'OPENAI_*', 'RUST_LOG', keyVar],
      writable: [home],
      readable: [],
      modelEndpoints: endpoints,
      // Without a custom provider the key is for the OpenAI API only; chatgpt.com carries a login's own token.
      modelCredentials: [{ env: keyVar, header: 'authorization', value: 'Bearer ${secret}', endpoints: endpoints.filter((e) => !/^https:\/\/chatgpt\.com\//.test(e)) }],
      // Codex's own HTTP client reads its trust store from here, not from SSL_CERT_FILE.
      caEnv: ['CODEX_CA_CERTIFICATE'],
    };
  },

  normalizeToolCall: codexNormalize,

  vendor: () => 'openai',

  provider() {
    return 'openai';
  },

  open: () => new CodexSession(),

  detectScreen(text: string): ScreenMatch | undefined {
    return detectCodexScreen(text);
  },

  inputReady: codexInputReady,
  idleAfterInterrupt: codexIdleAfterInterrupt,
};

/** One omni session under Codex: the turn the last prompt started, and the rollout reader (for exit codes). */
class CodexSession implements HarnessSession {
  private turnId?: string;
  private rollout?: CodexRollout;

  async handleHook(event: string, payload: Record<string, unknown>, ctx: SignalContext): Promise<HookReply> {
    noteIdentity(payload, ctx);
    switch (event) {
      case 'SessionStart':
        // Fires with the first prompt (source startup | resume | clear), right before
        // UserPromptSubmit: readiness at launch comes from the pane instead.
        return {};
      case 'UserPromptSubmit': {
        const turnId = str(payload.turn_id);
        if (turnId) this.turnId = turnId;
        // A blocked prompt never reaches the model and no Stop follows (the helper leaves it idle).
        const v = await promptSubmitted(ctx, str(payload.prompt) ?? '', { key: turnId });
        if (v.verdict === 'deny' || v.verdict === 'ask') return { exitCode: 2, stderr: v.reason ?? 'blocked by omni policy' };
        return {};
      }
      case 'PreToolUse': {
        const tool = str(payload.tool_name) ?? 'unknown';
        const input = payload.tool_input ?? null;
        const v = await toolCalled(ctx, { callId: str(payload.tool_use_id) ?? '', tool, input, call: codexNormalize(tool, input, str(payload.cwd)) });
        // Codex has no `ask` (and rejects `allow` as "unsupported permissionDecision"): the daemon
        // holds an ask itself and answers allow (say nothing) or deny. An ask that still got
        // here could not be held, so it is refused rather than let through.
        if (v.verdict === 'deny' || v.verdict === 'ask') {
          const reason = v.reason ?? (v.verdict === 'ask' ? 'needs approval, which omni could not hold' : 'blocked by omni policy');
          return { stdout: JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: reason } }) };
        }
        return {};
      }
      case 'PermissionRequest': {
        // Codex's own approval dialog is on screen (e.g. a command that asks to leave the sandbox).
        const input = payload.tool_input as { command?: unknown } | undefined;
        const what = typeof input?.command === 'string' ? `: ${clip(input.command, 80)}` : '';
        ctx.setStatus('waiting', `Codex asks permission to run ${str(payload.tool_name) ?? 'a tool'}${what}`, 'hook');
        return {};
      }
      case 'PostToolUse': {
        const tool = str(payload.tool_name) ?? 'unknown';
        const callId = str(payload.tool_use_id) ?? '';
        const input = payload.tool_input ?? null;
        const call = codexNormalize(tool, input, str(payload.cwd));
        const output = payload.tool_response ?? null;
        // PostToolUse fires for failed commands too; the exit code is only in the rollout.
        const ok = call.kind === 'shell' ? await this.commandOk(ctx, callId) : true;
        ctx.emit({ type: 'tool.result', data: { callId, tool, ok, output } });
        ctx.setStatus('running', undefined, 'hook');
        const v = await ctx.decide({ phase: 'tool_result', callId, tool, input, call, ok, output });
        if (v.verdict === 'deny') return { stdout: JSON.stringify({ decision: 'block', reason: v.reason ?? 'blocked by omni policy' }) };
        return {};
      }
      case 'Stop':
        // Wait briefly for the reply to land in the rollout, so whoever waits for idle finds it.
        await ctx.flushIngest({ lastText: str(payload.last_assistant_message), timeoutMs: 3000 });
        ctx.setStatus('idle', undefined, 'hook');
        return {};
      case 'Interrupt':
        // Esc (or Ctrl-C) during a turn: no Stop follows.
        await ctx.flushIngest();
        ctx.setStatus('idle', 'interrupted', 'hook');
        return {};
      case 'SessionEnd':
        await ctx.flushIngest();
        return {};
      default:
        return {};
    }
  }

  createIngestor(ctx: SignalContext, seen: IngestCursor): Ingestor {
    this.rollout = new CodexRollout(() => ctx.session.transcriptPath, ctx, seen, () => this.turnId);
    return this.rollout;
  }

  close(): void {
    this.rollout = undefined;
  }

  /** Whether a shell call exited 0, from the rollout's CommandExecution item (briefly waited for). */
  private async commandOk(ctx: SignalContext, callId: string): Promise<boolean> {
    const deadline = Date.now() + 500;
    for (;;) {
      await ctx.flushIngest().catch(() => {});
      const outcome = this.rollout?.commandOutcome(callId);
      if (outcome) return outcome.status !== 'failed' && (outcome.exitCode === undefined || outcome.exitCode === 0);
      if (Date.now() >= deadline || !this.rollout) return true;
      await sleep(50);
    }
  }
}

function noteIdentity(payload: Record<string, unknown>, ctx: SignalContext): void {
  const sid = str(payload.session_id);
  const transcript = str(payload.transcript_path);
  const isNewTranscript = transcript !== undefined && transcript !== ctx.session.transcriptPath;
  ctx.update({ harnessSessionId: sid, transcriptPath: transcript });
  if (isNewTranscript || (transcript && fs.existsSync(transcript))) ctx.ingest();
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
