import fs from 'node:fs';
import { promptSubmitted, toolCalled } from '../signals.js';
import type { HarnessSession, HookReply, IngestCursor, Ingestor, SignalContext } from '../types.js';
import { qwenNormalize } from './tools.js';
import { callKey, QwenTranscript } from './transcript.js';

/** How many PermissionRequest decisions wait for their PreToolUse at most. */
const MAX_DECIDED = 64;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A decision taken at PermissionRequest, waiting for the PreToolUse of the same call. */
interface Decided {
  callId: string;
  verdict: string;
}

/**
 * One omni session under Qwen Code: its hooks, and the chat log reader once ingestion starts.
 *
 * Qwen (0.24.4) asks two hooks about a tool call. When it would ask the user, PermissionRequest
 * fires first, before its dialog, with the tool and input but no call id; a decision there
 * answers the dialog (allow/deny). PreToolUse fires after that, right before the call runs, with
 * the model's call id; a deny there blocks it. omni decides once per call: at PermissionRequest
 * when it fires (taking the call id from the chat log, where the model's call is already
 * written), else at PreToolUse.
 */
export class QwenSession implements HarnessSession {
  private transcript?: QwenTranscript;
  /** Decisions PermissionRequest took, by tool and input, oldest first. */
  private decided = new Map<string, Decided[]>();
  /** The callId tool.call reported, by the id Qwen's later hooks name, where they differ. */
  private alias = new Map<string, string>();
  private seq = 0;

  async handleHook(event: string, payload: Record<string, unknown>, ctx: SignalContext): Promise<HookReply> {
    noteIdentity(payload, ctx);
    switch (event) {
      case 'SessionStart':
        ctx.setStatus('idle', undefined, 'hook');
        return {};
      case 'UserPromptSubmit': {
        const prompt = str(payload.prompt) ?? '';
        // Qwen fires it again with an empty prompt when it sends tool results back: not the user.
        if (!prompt.trim()) return {};
        const v = await promptSubmitted(ctx, prompt, { key: str(payload.prompt_id) });
        if (v.verdict === 'deny' || v.verdict === 'ask') return { stdout: JSON.stringify({ decision: 'block', reason: v.reason ?? 'blocked by omni policy' }) };
        return {};
      }
      case 'PermissionRequest':
        return this.permissionRequest(payload, ctx);
      case 'PreToolUse':
        return this.preToolUse(payload, ctx);
      case 'PostToolUse':
      case 'PostToolUseFailure': {
        const ok = event === 'PostToolUse';
        const tool = str(payload.tool_name) ?? 'unknown';
        const id = str(payload.tool_call_id) ?? str(payload.tool_use_id) ?? '';
        const callId = this.alias.get(id) ?? id;
        this.alias.delete(id);
        const input = payload.tool_input ?? null;
        const output = ok ? (payload.tool_response ?? null) : (payload.error ?? payload.tool_response ?? null);
        ctx.emit({ type: 'tool.result', data: { callId, tool, ok, output } });
        ctx.setStatus('running', undefined, 'hook');
        void ctx.flushIngest().catch(() => {});
        const v = await ctx.decide({ phase: 'tool_result', callId, tool, input, call: qwenNormalize(tool, input, str(payload.cwd)), ok, output });
        if (v.verdict === 'deny') return { stdout: JSON.stringify({ decision: 'block', reason: v.reason ?? 'blocked by omni policy' }) };
        return {};
      }
      case 'Notification': {
        const type = str(payload.notification_type);
        if (type === 'permission_prompt') ctx.setStatus('waiting', str(payload.message) ?? 'Qwen Code asks permission', 'hook');
        else if (type === 'idle_prompt') ctx.setStatus('idle', undefined, 'hook');
        return {};
      }
      case 'Stop':
        await ctx.flushIngest({ lastText: str(payload.last_assistant_message), timeoutMs: 3000 });
        ctx.setStatus('idle', undefined, 'hook');
        return {};
      case 'StopFailure':
        // The turn ended on an API error (or loop detection) instead of a Stop.
        await ctx.flushIngest();
        ctx.setStatus('idle', `the turn failed: ${str(payload.error) ?? str(payload.error_type) ?? 'model error'}`, 'hook');
        return {};
      case 'SessionEnd':
        await ctx.flushIngest();
        return {};
      default:
        return {};
    }
  }

  private async permissionRequest(payload: Record<string, unknown>, ctx: SignalContext): Promise<HookReply> {
    const tool = str(payload.tool_name) ?? 'unknown';
    const input = payload.tool_input ?? null;
    // The model's call is in the chat log before Qwen schedules it: its id names the call.
    await ctx.flushIngest().catch(() => {});
    const callId = this.transcript?.takeCallId(tool, input) ?? `qwen-call-${++this.seq}`;
    const v = await toolCalled(ctx, { callId, tool, input, call: qwenNormalize(tool, input, str(payload.cwd)) });
    if (v.verdict === 'deny' || v.verdict === 'ask') {
      // An ask is held inside decide(); one that still comes back here could not be held: refused.
      const message = v.reason ?? (v.verdict === 'ask' ? 'needs approval, which omni could not hold' : 'blocked by omni policy');
      return { stdout: JSON.stringify({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'deny', message } } }) };
    }
    const key = callKey(tool, input);
    // Calls the person then refused at Qwen's dialog never reach PreToolUse: keep the list short.
    if (this.decided.size >= MAX_DECIDED) this.decided.delete(this.decided.keys().next().value!);
    this.decided.set(key, [...(this.decided.get(key) ?? []), { callId, verdict: v.verdict }]);
    if (v.verdict === 'allow') return { stdout: JSON.stringify({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'allow' } } }) };
    // No opinion: Qwen's own dialog asks the person at the pane, as it would without omni.
    ctx.setStatus('waiting', `Qwen Code asks permission for ${tool}`, 'hook');
    return {};
  }

  private async preToolUse(payload: Record<string, unknown>, ctx: SignalContext): Promise<HookReply> {
    const tool = str(payload.tool_name) ?? 'unknown';
    const input = payload.tool_input ?? null;
    const id = str(payload.tool_call_id) ?? str(payload.tool_use_id) ?? '';
    const key = callKey(tool, input);
    const earlier = this.decided.get(key);
    const prior = earlier?.find((d) => d.callId === id) ?? earlier?.[0];
    if (prior && earlier) {
      // Decided at PermissionRequest (and answered there, or by the person at the dialog).
      earlier.splice(earlier.indexOf(prior), 1);
      if (!earlier.length) this.decided.delete(key);
      if (prior.callId !== id) this.alias.set(id, prior.callId);
      ctx.setStatus('running', undefined, 'hook');
      return {};
    }
    this.transcript?.claim(tool, input, id);
    const v = await toolCalled(ctx, { callId: id, tool, input, call: qwenNormalize(tool, input, str(payload.cwd)) });
    if (v.verdict === 'deny' || v.verdict === 'ask') {
      const reason = v.reason ?? (v.verdict === 'ask' ? 'needs approval, which omni could not hold' : 'blocked by omni policy');
      return { stdout: JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: reason } }) };
    }
    return {};
  }

  createIngestor(ctx: SignalContext, seen: IngestCursor): Ingestor {
    this.transcript = new QwenTranscript(() => ctx.session.transcriptPath, ctx, seen);
    return this.transcript;
  }

  close(): void {
    this.transcript = undefined;
    this.decided.clear();
    this.alias.clear();
  }
}

function noteIdentity(payload: Record<string, unknown>, ctx: SignalContext): void {
  const sid = str(payload.session_id);
  const transcript = str(payload.transcript_path);
  const isNewTranscript = transcript !== undefined && transcript !== ctx.session.transcriptPath;
  ctx.update({ harnessSessionId: sid, transcriptPath: transcript });
  if (isNewTranscript || (transcript && fs.existsSync(transcript))) ctx.ingest();
}
