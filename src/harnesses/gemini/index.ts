import fs from 'node:fs';
import { findBinary } from '../binary.js';
import { vendorFromModel } from '../model-vendor.js';
import { promptSubmitted, toolCalled } from '../signals.js';
import type { HarnessAdapter, HarnessSession, HookReply, IngestCursor, Ingestor, LaunchContext, LaunchSpec, SignalContext } from '../types.js';
import { geminiDoctor } from './doctor.js';
import { prepareGeminiHome } from './home.js';
import { geminiSandboxNeeds } from './sandbox.js';
import { detectGeminiScreen, geminiIdleAfterInterrupt, geminiInputReady, geminiInputText } from './screens.js';
import { GeminiSessionFile } from './session-file.js';
import { geminiNormalize } from './tools.js';

/**
 * Gemini CLI (@google/gemini-cli 0.61.0) under omni. See docs/harnesses/gemini.md for what was
 * measured: hooks through omni's own GEMINI_CLI_HOME (home.ts), the chat file for replies and
 * tokens (session-file.ts).
 */

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export const geminiAdapter: HarnessAdapter = {
  name: 'gemini',
  displayName: 'Gemini CLI',
  binaryName: 'gemini',
  installHint: 'install it with `npm install -g @google/gemini-cli` (or see https://github.com/google-gemini/gemini-cli)',
  doctor: geminiDoctor,
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
  interruptKeys: ['Escape'],
  // Gemini takes an Enter within 40 ms of a paste as part of the paste (its "unsafe paste" timer);
  // on a loaded machine that timer runs late, so Enter waits well past it.
  submitDelayMs: 500,
  clearInputKeys: () => ['C-u'],
  inputText: geminiInputText,

  findBinary(env, versions) {
    return findBinary('gemini', env, env.OMNI_BINARY_OVERRIDE, versions);
  },

  async prepareLaunch(ctx: LaunchContext): Promise<LaunchSpec> {
    const home = prepareGeminiHome(ctx);
    // The session's folder is trusted for this run only (nothing written to trustedFolders.json).
    const args = ['--skip-trust'];
    if (ctx.session.model) args.push('--model', ctx.session.model);
    if (ctx.resume) args.push('--resume', ctx.resume.harnessSessionId);
    return {
      command: ctx.binary.path,
      args: [...args, ...ctx.extraArgs],
      env: {
        OMNI_SESSION_ID: ctx.session.id,
        OMNI_SESSION_NAME: ctx.session.name,
        GEMINI_CLI_HOME: home.cliHome,
        // Without it Gemini re-spawns itself (for a bigger heap) under a parent that ignores SIGHUP
        // and stays the pane's session leader: when the pane goes away the child never hears of it
        // and both live on (measured on 0.61.0). Run as the pane's own process, SIGHUP ends it.
        GEMINI_CLI_NO_RELAUNCH: 'true',
        // omni's sandbox replaces Gemini's own (a sandbox cannot nest).
        ...(ctx.sandboxed ? { GEMINI_SANDBOX: 'false' } : {}),
      },
      notes: home.notes,
      // The home is in ~/.gemini, writable in the sandbox (Gemini writes projects.json there); the policy file only needs reading.
      generated: [home.policyFile],
    };
  },

  sandboxNeeds: (env) => geminiSandboxNeeds(env),

  normalizeToolCall: geminiNormalize,

  vendor: (model) => vendorFromModel(model, 'google'),

  provider: () => 'google',

  open: () => new GeminiSession(),

  detectScreen: detectGeminiScreen,
  inputReady: geminiInputReady,
  idleAfterInterrupt: geminiIdleAfterInterrupt,
};

interface PendingCall {
  id: string;
  tool: string;
  input: string;
}

/**
 * One omni session under Gemini CLI. Its hooks carry no tool call id, so BeforeTool names the
 * call (`gemini-<n>`) and AfterTool finds it again by tool and input.
 */
/** Tool kinds Gemini CLI's default policy asks about (0.61.0: reads and searches run unasked). */
const GEMINI_ASKS_BY_DEFAULT = new Set(['shell', 'write', 'edit', 'web']);

class GeminiSession implements HarnessSession {
  private file?: GeminiSessionFile;
  private calls = 0;
  private readonly pending: PendingCall[] = [];

  async handleHook(event: string, payload: Record<string, unknown>, ctx: SignalContext): Promise<HookReply> {
    noteIdentity(payload, ctx);
    switch (event) {
      case 'SessionStart':
        // Fires before the input box takes keys (a prompt typed right after it was lost, measured
        // after --resume): readiness comes from the pane instead (detectGeminiScreen).
        return {};
      case 'BeforeAgent': {
        const v = await promptSubmitted(ctx, str(payload.prompt) ?? '');
        if (v.verdict === 'deny' || v.verdict === 'ask') return { stdout: JSON.stringify({ decision: 'deny', reason: v.reason ?? 'blocked by omni policy' }) };
        return {};
      }
      case 'BeforeTool': {
        const tool = str(payload.tool_name) ?? 'unknown';
        const input = payload.tool_input ?? null;
        const call: PendingCall = { id: `gemini-${++this.calls}`, tool, input: JSON.stringify(input) };
        this.pending.push(call);
        const normalized = geminiNormalize(tool, input, str(payload.cwd));
        const v = await toolCalled(ctx, { callId: call.id, tool, input, call: normalized });
        // An ask is held by the daemon until answered; one that still gets here could not be held.
        if (v.verdict === 'deny' || v.verdict === 'ask') {
          this.pending.splice(this.pending.indexOf(call), 1);
          const reason = v.reason ?? (v.verdict === 'ask' ? 'needs approval, which omni could not hold' : 'blocked by omni policy');
          return { stdout: JSON.stringify({ decision: 'deny', reason }) };
        }
        // omni's policy file turned Gemini's default questions off, so that an omni allow (or an
        // approved ask) is not asked twice. With no opinion from omni, Gemini asks as it would
        // without omni for what its defaults ask about (commands, writes, edits, web): "ask"
        // forces its dialog; omni reports `waiting` from the Notification that follows.
        if (v.verdict === 'none' && GEMINI_ASKS_BY_DEFAULT.has(normalized.kind)) return { stdout: JSON.stringify({ decision: 'ask' }) };
        return {};
      }
      case 'AfterTool': {
        const tool = str(payload.tool_name) ?? 'unknown';
        const input = payload.tool_input ?? null;
        const callId = this.takeCall(tool, JSON.stringify(input));
        const output = payload.tool_response ?? null;
        const ok = toolOk(output);
        ctx.emit({ type: 'tool.result', data: { callId, tool, ok, output } });
        ctx.setStatus('running', undefined, 'hook');
        const v = await ctx.decide({ phase: 'tool_result', callId, tool, input, call: geminiNormalize(tool, input, str(payload.cwd)), ok, output });
        // "deny" replaces the result the model gets with the reason.
        if (v.verdict === 'deny') return { stdout: JSON.stringify({ decision: 'deny', reason: v.reason ?? 'blocked by omni policy' }) };
        return {};
      }
      case 'Notification':
        // Gemini's own confirmation is on screen (a tool omni's policy file leaves to it, e.g. ask_user).
        if (str(payload.notification_type) === 'ToolPermission') ctx.setStatus('waiting', str(payload.message) ?? 'Gemini CLI asks permission', 'hook');
        return {};
      case 'AfterAgent':
        await ctx.flushIngest({ timeoutMs: 3000 });
        ctx.setStatus('idle', undefined, 'hook');
        return {};
      case 'SessionEnd':
        await ctx.flushIngest();
        return {};
      default:
        return {};
    }
  }

  createIngestor(ctx: SignalContext, seen: IngestCursor): Ingestor {
    this.file = new GeminiSessionFile(() => ctx.session.transcriptPath, ctx, seen);
    return this.file;
  }

  close(): void {
    this.file = undefined;
  }

  /** The id BeforeTool gave this call: the oldest pending one with the same tool and input, else the same tool. */
  private takeCall(tool: string, input: string): string {
    let i = this.pending.findIndex((c) => c.tool === tool && c.input === input);
    if (i === -1) i = this.pending.findIndex((c) => c.tool === tool);
    if (i === -1) return `gemini-${++this.calls}`;
    return this.pending.splice(i, 1)[0]!.id;
  }
}

/** A tool result failed when Gemini says so (`error`), or a shell command exited non-zero. */
export function toolOk(output: unknown): boolean {
  if (!output || typeof output !== 'object') return true;
  const o = output as { error?: unknown; llmContent?: unknown };
  if (o.error) return false;
  return !(typeof o.llmContent === 'string' && /^Exit Code: [1-9]\d*$/m.test(o.llmContent));
}

function noteIdentity(payload: Record<string, unknown>, ctx: SignalContext): void {
  const sid = str(payload.session_id);
  // The path goes through the session's home (its tmp/ links to ~/.gemini/tmp): keep the real one.
  const transcript = realPath(str(payload.transcript_path));
  const isNewTranscript = transcript !== undefined && transcript !== ctx.session.transcriptPath;
  ctx.update({ harnessSessionId: sid, transcriptPath: transcript });
  if (isNewTranscript || (transcript && fs.existsSync(transcript))) ctx.ingest();
}

function realPath(p: string | undefined): string | undefined {
  if (!p) return p;
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}
