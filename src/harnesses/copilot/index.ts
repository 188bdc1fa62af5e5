import fs from 'node:fs';
import path from 'node:path';
import { findBinary } from '../binary.js';
import { vendorFromModel } from '../model-vendor.js';
import { promptSubmitted, toolCalled } from '../signals.js';
import type { HarnessAdapter, HarnessSession, HookReply, IngestCursor, Ingestor, LaunchContext, LaunchSpec, SignalContext } from '../types.js';
import { copilotEventsFile, copilotHome, trustCopilotFolder, writeCopilotPlugin } from './config.js';
import { copilotDoctor } from './doctor.js';
import { CopilotEventsFile } from './events-file.js';
import { copilotMcpArgs } from './mcp.js';
import { copilotSandboxLaunch, copilotSandboxNeeds } from './sandbox.js';
import { copilotIdle, copilotInputReady, copilotInputText, detectCopilotScreen } from './screens.js';
import { copilotNormalize, isOmniMcpTool } from './tools.js';

export { copilotToolKind } from './tools.js';

/**
 * GitHub Copilot CLI (@github/copilot 1.0.102) under omni. See docs/harnesses/copilot.md for
 * what was measured.
 */

/** Beside the plugin: what the daemon-side session needs to know of the launch (Copilot's home). */
const STATE_FILE = 'omni-state.json';

/** A permissionRequest this soon after omni allowed a call is Copilot asking about that call. */
const ALLOW_WINDOW_MS = 10_000;
/** preToolUse and permissionRequest spell an MCP tool differently (`omni-omni_agents`, `omni/omni_agents`). */
const sameTool = (name: string) => name.replace('/', '-');

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export const copilotAdapter: HarnessAdapter = {
  name: 'copilot',
  displayName: 'GitHub Copilot CLI',
  binaryName: 'copilot',
  installHint: 'install it with `npm install -g @github/copilot` (or see https://github.com/github/copilot-cli)',
  doctor: copilotDoctor,
  capabilities: {
    interactive: true,
    headless: true,
    toolEvents: true,
    deny: true,
    heldAsk: true,
    costSource: 'tokens',
    interrupt: true,
    resume: true,
    fork: false,
  },
  // Ctrl-C cancels a running turn (events.jsonl: `abort`, reason user_initiated); at the prompt
  // one only shows "ctrl+c again to exit". Esc Esc sent by tmux did not stop a turn reliably (1.0.102).
  interruptKeys: ['C-c'],
  submitDelayMs: 100,

  findBinary(env, versions) {
    return findBinary('copilot', env, env.OMNI_BINARY_OVERRIDE, versions);
  },

  async prepareLaunch(ctx: LaunchContext): Promise<LaunchSpec> {
    const plugin = writeCopilotPlugin(ctx.sessionDir, ctx.hooks);
    const home = copilotHome(ctx.env);
    fs.writeFileSync(path.join(plugin.dir, STATE_FILE), JSON.stringify({ copilotHome: home }) + '\n', { mode: 0o600 });
    const notes = [`Copilot runs on your own ${home} with omni's hooks as a plugin loaded with --plugin-dir (nothing written to your hooks or repo)`];
    notes.push(...trustCopilotFolder(ctx.env, ctx.session.cwd));
    const args = ['--plugin-dir', plugin.dir];
    if (ctx.mcp) args.push(...copilotMcpArgs(ctx.mcp));
    const sandbox = ctx.sandboxed ? copilotSandboxLaunch(ctx.env) : undefined;
    if (sandbox) args.push(...sandbox.args);
    if (ctx.session.model) args.push('--model', ctx.session.model);
    if (ctx.resume) args.push('--resume', ctx.resume.harnessSessionId);
    return {
      command: ctx.binary.path,
      args: [...args, ...ctx.extraArgs],
      env: { OMNI_SESSION_ID: ctx.session.id, OMNI_SESSION_NAME: ctx.session.name, ...sandbox?.env },
      notes: [...notes, ...(ctx.mcp ? [`omni's MCP server wired in as "omni" (--additional-mcp-config)`] : [])],
      generated: [...plugin.files, path.join(plugin.dir, STATE_FILE)],
    };
  },

  sandboxNeeds: copilotSandboxNeeds,

  normalizeToolCall: copilotNormalize,

  // Copilot runs many vendors' models (GitHub's routing, or the user's own provider).
  vendor: (model) => vendorFromModel(model, 'github'),

  provider(model) {
    const v = vendorFromModel(model, '');
    return v === 'anthropic' || v === 'openai' || v === 'google' ? v : undefined;
  },

  open: (session) => new CopilotSession(session.command),

  detectScreen: detectCopilotScreen,
  inputReady: copilotInputReady,
  inputText: copilotInputText,
  idleAfterInterrupt: copilotIdle,
};

/** One omni session under Copilot: the event log reader (assistant text, usage, call ids). */
class CopilotSession implements HarnessSession {
  private events?: CopilotEventsFile;
  /** The last prompt was blocked: the model got a stand-in (see userPromptSubmitted). */
  private promptBlocked = false;
  private readonly home?: string;

  constructor(command: readonly string[]) {
    this.home = homeFromCommand(command);
  }

  async handleHook(event: string, payload: Record<string, unknown>, ctx: SignalContext): Promise<HookReply> {
    this.noteIdentity(payload, ctx);
    switch (event) {
      case 'sessionStart':
        return {};
      case 'userPromptSubmitted': {
        const v = await promptSubmitted(ctx, str(payload.prompt) ?? '');
        // This hook cannot refuse a prompt (a non-zero exit is only a warning, 1.0.102), but its
        // `modifiedPrompt` replaces what the model gets: the blocked text never reaches it.
        this.promptBlocked = v.verdict === 'deny' || v.verdict === 'ask';
        if (this.promptBlocked) return { stdout: JSON.stringify({ modifiedPrompt: blockedPrompt(v.reason) }) };
        return {};
      }
      case 'preToolUse': {
        const tool = str(payload.toolName) ?? 'unknown';
        const input = payload.toolArgs ?? null;
        const callId = (await this.callIdOf(ctx, tool, input)) ?? `copilot-${Date.now().toString(36)}`;
        this.calls.push({ callId, tool, key: JSON.stringify(input) });
        if (this.calls.length > 100) this.calls.shift();
        const v = await toolCalled(ctx, { callId, tool, input, call: copilotNormalize(tool, input, str(payload.cwd)) });
        // The daemon holds an ask itself; one that still got here could not be held: refused.
        if (v.verdict === 'deny' || v.verdict === 'ask') {
          const reason = v.reason ?? (v.verdict === 'ask' ? 'needs approval, which omni could not hold' : 'blocked by omni policy');
          return { stdout: JSON.stringify({ permissionDecision: 'deny', permissionDecisionReason: reason }) };
        }
        // No opinion from omni: Copilot asks its own question, as without omni (permissionRequest
        // then reports `waiting`). omni's own MCP tools are decided at omni's `mcp` phase.
        if (v.verdict === 'none' && !isOmniMcpTool(tool)) return {};
        // "allow" skips Copilot's own permission prompt for a shell call; an MCP tool still asks,
        // and the permissionRequest hook that follows answers it (measured, 1.0.102).
        this.allowed.push({ tool: sameTool(tool), at: Date.now() });
        return { stdout: JSON.stringify({ permissionDecision: 'allow' }) };
      }
      case 'permissionRequest': {
        // Copilot asks for a call omni's preToolUse just allowed: say yes for the person.
        // Only for the same tool: an allow of one call must not answer the question about another.
        const now = Date.now();
        this.allowed = this.allowed.filter((a) => now - a.at < ALLOW_WINDOW_MS);
        const match = this.allowed.findIndex((a) => a.tool === sameTool(str(payload.toolName) ?? ''));
        if (match >= 0) {
          this.allowed.splice(match, 1);
          return { stdout: JSON.stringify({ behavior: 'allow' }) };
        }
        const input = payload.toolInput as { command?: unknown } | undefined;
        const what = typeof input?.command === 'string' ? `: ${clip(input.command, 80)}` : '';
        ctx.setStatus('waiting', `Copilot asks permission to run ${str(payload.toolName) ?? 'a tool'}${what}`, 'hook');
        return {};
      }
      case 'postToolUse':
      case 'postToolUseFailure': {
        const tool = str(payload.toolName) ?? 'unknown';
        const input = payload.toolArgs ?? null;
        const callId = this.takeCall(tool, input);
        const result = payload.toolResult as { resultType?: unknown; textResultForLlm?: unknown } | undefined;
        const ok = event === 'postToolUse' && resultOk(result);
        const output = result ?? payload.error ?? null;
        ctx.emit({ type: 'tool.result', data: { callId, tool, ok, output } });
        ctx.setStatus('running', undefined, 'hook');
        await ctx.decide({ phase: 'tool_result', callId, tool, input, call: copilotNormalize(tool, input, str(payload.cwd)), ok, output });
        return {};
      }
      case 'agentStop':
        await ctx.flushIngest({ turnEnd: true, timeoutMs: 3000 });
        // The stand-in turn of a blocked prompt ends as the blocked prompt did: idle, and why.
        ctx.setStatus('idle', this.promptBlocked ? 'prompt blocked by policy' : undefined, 'hook');
        this.promptBlocked = false;
        return {};
      case 'errorOccurred':
        // The same error lands in events.jsonl as `session.error` right after, with the plain
        // message; the ingestor reports it there (and ends the turn).
        await ctx.flushIngest();
        return {};
      case 'sessionEnd':
        await ctx.flushIngest();
        return {};
      default:
        return {};
    }
  }

  /** When omni's preToolUse allowed a call, oldest first: each answers one permissionRequest. */
  /** Calls omni allowed lately, by tool: Copilot may still ask about them (MCP tools). */
  private allowed: Array<{ tool: string; at: number }> = [];

  /** Calls whose preToolUse was seen, for the postToolUse that names no id. */
  private readonly calls: Array<{ callId: string; tool: string; key: string }> = [];

  /**
   * The model's id for this call: its assistant.message in events.jsonl names it (the hook does
   * not). That line is normally on disk before the hook runs; give it a moment when it is not.
   */
  private async callIdOf(ctx: SignalContext, tool: string, input: unknown): Promise<string | undefined> {
    const deadline = Date.now() + 1500;
    for (;;) {
      await ctx.flushIngest().catch(() => {});
      const id = this.events?.claim(tool, input);
      if (id || Date.now() >= deadline) return id;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private takeCall(tool: string, input: unknown): string {
    const key = JSON.stringify(input);
    const i = this.calls.findIndex((c) => c.tool === tool && c.key === key);
    if (i < 0) return '';
    return this.calls.splice(i, 1)[0]!.callId;
  }

  createIngestor(ctx: SignalContext, seen: IngestCursor): Ingestor {
    this.events = new CopilotEventsFile(() => ctx.session.transcriptPath, ctx, seen);
    return this.events;
  }

  close(): void {
    this.events = undefined;
  }

  private noteIdentity(payload: Record<string, unknown>, ctx: SignalContext): void {
    const sid = str(payload.sessionId);
    const transcript = str(payload.transcriptPath) ?? (sid && this.home ? copilotEventsFile({ COPILOT_HOME: this.home }, sid) : undefined);
    if (!sid && !transcript) return;
    const isNew = transcript !== undefined && transcript !== ctx.session.transcriptPath;
    ctx.update({ harnessSessionId: sid, transcriptPath: transcript });
    if (isNew || (transcript && fs.existsSync(transcript))) ctx.ingest();
  }
}

/** Copilot's home as prepareLaunch recorded it beside the plugin named by `--plugin-dir`. */
function homeFromCommand(command: readonly string[]): string | undefined {
  const i = command.indexOf('--plugin-dir');
  const dir = i >= 0 ? command[i + 1] : undefined;
  if (!dir) return undefined;
  try {
    return str((JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), 'utf8')) as { copilotHome?: unknown }).copilotHome);
  } catch {
    return undefined;
  }
}

/** A shell call's result text ends with `<shellId: N completed with exit code C>`. */
export function resultOk(result: { resultType?: unknown; textResultForLlm?: unknown } | undefined): boolean {
  if (!result) return true;
  if (result.resultType !== undefined && result.resultType !== 'success') return false;
  const m = typeof result.textResultForLlm === 'string' ? /completed with exit code (-?\d+)>\s*$/.exec(result.textResultForLlm) : null;
  return m ? m[1] === '0' : true;
}

/** What the model gets instead of a prompt omni's policy blocked. */
export function blockedPrompt(reason: string | undefined): string {
  return `[omni: the user's prompt was blocked by policy${reason ? `: ${reason}` : ''}. Do nothing; reply only "Prompt blocked by omni policy."]`;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
