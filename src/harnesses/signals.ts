import type { NormalizedToolCall } from '../policy/types.js';
import type { SignalContext, Verdict } from './types.js';

/**
 * What every adapter does with the same two signals, whatever the harness calls them; each
 * adapter only turns the verdict into its harness's answer.
 */

/** A prompt the harness took: running first (so a waiter never sees the previous turn's idle),
 * then message.user, then the prompt policy. A blocked prompt leaves the session idle. */
export async function promptSubmitted(ctx: SignalContext, text: string, opts: { key?: string; via?: string } = {}): Promise<Verdict> {
  ctx.setStatus('running', undefined, 'hook');
  ctx.emit({ type: 'message.user', data: { text, ...(opts.via ? { via: opts.via } : {}) } });
  const v = await ctx.decide({ phase: 'prompt', text, key: opts.key });
  if (v.verdict === 'deny' || v.verdict === 'ask') ctx.setStatus('idle', 'prompt blocked by policy', 'hook');
  return v;
}

/** A tool call about to run (`call`: the adapter's normalizeToolCall of it): tool.call, running,
 * then the tool_call policy (which may hold an ask). */
export async function toolCalled(ctx: SignalContext, req: { callId: string; tool: string; input: unknown; call: NormalizedToolCall }): Promise<Verdict> {
  ctx.emit({ type: 'tool.call', data: { callId: req.callId, tool: req.tool, kind: req.call.kind, input: req.input } });
  ctx.setStatus('running', undefined, 'hook');
  return ctx.decide({ phase: 'tool_call', ...req });
}
