import { promptSubmitted, toolCalled } from '../signals.js';
import type { HarnessSession, HookReply, SignalContext } from '../types.js';
import { ABORTED, opencodeUsage, type OpenCodeMessage } from './events.js';
import { opencodeNormalize } from './tools.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * One omni session under OpenCode: everything arrives through omni's plugin (./plugin-runtime.ts).
 * It remembers OpenCode's sub-agent sessions (the task tool's), whose text is not the reply.
 */
export class OpenCodeSession implements HarnessSession {
  private readonly children = new Set<string>();

  async handleHook(event: string, payload: Record<string, unknown>, ctx: SignalContext): Promise<HookReply> {
    const sid = str(payload.sessionID);
    switch (event) {
      case 'PluginStart':
        // Loaded, but the TUI may not have drawn its prompt yet: the pane says when (screens.ts).
        return {};
      case 'Session':
        if (sid && payload.parentID) this.children.add(sid);
        else if (sid) ctx.update({ harnessSessionId: sid });
        return {};
      case 'Prompt': {
        if (sid && !this.children.has(sid)) ctx.update({ harnessSessionId: sid });
        // A sub-agent's prompt is written by the model, not the user: not a prompt to gate.
        if (sid && this.children.has(sid)) return {};
        const v = await promptSubmitted(ctx, str(payload.text) ?? '', { key: str(payload.messageID) });
        if (v.verdict === 'deny' || v.verdict === 'ask') return { exitCode: 2, stderr: v.reason ?? 'blocked by omni policy' };
        return {};
      }
      case 'ToolCall': {
        const tool = str(payload.tool) ?? 'unknown';
        const input = payload.args ?? null;
        const v = await toolCalled(ctx, { callId: str(payload.callID) ?? '', tool, input, call: opencodeNormalize(tool, input) });
        // An ask is held inside decide(); one that still comes back here could not be held: refused.
        if (v.verdict === 'deny' || v.verdict === 'ask') return { exitCode: 2, stderr: v.reason ?? (v.verdict === 'ask' ? 'needs approval, which omni could not hold' : 'blocked by omni policy') };
        // "allow": the plugin answers OpenCode's own question for this call; no opinion leaves it to the person.
        return v.verdict === 'allow' ? { stdout: 'allow' } : {};
      }
      case 'ToolResult': {
        const tool = str(payload.tool) ?? 'unknown';
        const callId = str(payload.callID) ?? '';
        const exit = payload.exit;
        const ok = typeof exit === 'number' ? exit === 0 : true;
        const output = payload.output ?? null;
        ctx.emit({ type: 'tool.result', data: { callId, tool, ok, output } });
        ctx.setStatus('running', undefined, 'hook');
        const input = payload.args ?? null;
        const v = await ctx.decide({ phase: 'tool_result', callId, tool, input, call: opencodeNormalize(tool, input), ok, output });
        if (v.verdict === 'deny') return { exitCode: 2, stderr: `omni policy: ${v.reason ?? 'blocked by omni policy'}` };
        return {};
      }
      case 'Text': {
        const text = str(payload.text);
        if (text?.trim() && !(sid && this.children.has(sid))) ctx.emit({ type: 'message.assistant', data: { text, ...(str(payload.messageID) ? { messageId: str(payload.messageID) } : {}) } });
        return {};
      }
      case 'MessageEnd': {
        const m = (payload.message ?? {}) as OpenCodeMessage;
        const usage = opencodeUsage(m);
        if (usage) ctx.emit({ type: 'usage', data: usage });
        if (m.error?.name === ABORTED) {
          if (!(sid && this.children.has(sid))) ctx.setStatus('idle', 'interrupted', 'hook');
        } else if (m.error) ctx.emit({ type: 'error', data: { message: `OpenCode: ${m.error.message ?? m.error.name ?? 'the model request failed'}`, code: 'harness_model_error' } });
        return {};
      }
      case 'SessionError': {
        const e = payload.error as { name?: string; message?: string } | null;
        if (e && e.name !== ABORTED) ctx.emit({ type: 'error', data: { message: `OpenCode: ${e.message ?? e.name ?? 'error'}`, code: 'harness_error' } });
        return {};
      }
      case 'Idle':
        if (!(sid && this.children.has(sid))) ctx.setStatus('idle', undefined, 'hook');
        return {};
      case 'PermissionAsked':
        // Answered by the plugin when omni's gate allowed the call; otherwise a person must.
        if (payload.answered !== true) ctx.setStatus('waiting', `OpenCode asks permission: ${str(payload.permission) ?? 'a tool call'}`, 'hook');
        return {};
      default:
        return {};
    }
  }

  // Everything arrives through the plugin; there is no log to read.
  createIngestor(): undefined {
    return undefined;
  }

  close(): void {}
}
