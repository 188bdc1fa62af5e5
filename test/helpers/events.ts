import type { OmniEvent } from '../../src/core/events.js';
import type { FakeModel } from '../fake-model/server.js';

/** `omni events --json` output, parsed. */
export function parseEvents(stdout: unknown): OmniEvent[] {
  return String(stdout)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as OmniEvent);
}

/** What the harness sent back to the model for one tool call (Anthropic, Responses or Chat shapes). */
export function toolResultText(fake: FakeModel, toolUseId: string): string | undefined {
  for (const r of fake.requests) {
    const body = r.body as { messages?: Array<{ role?: string; content?: unknown; tool_call_id?: string }>; input?: Array<{ type?: string; call_id?: string; output?: unknown }> };
    for (const m of body?.messages ?? []) {
      if (m.role === 'tool' && m.tool_call_id === toolUseId) return JSON.stringify(m.content);
      if (!Array.isArray(m.content)) continue;
      for (const b of m.content as Array<{ type?: string; tool_use_id?: string; content?: unknown }>) {
        if (b.type === 'tool_result' && b.tool_use_id === toolUseId) return JSON.stringify(b.content);
      }
    }
    for (const item of Array.isArray(body?.input) ? body.input : []) {
      if (item.type === 'function_call_output' && item.call_id === toolUseId) return JSON.stringify(item.output);
    }
  }
  return undefined;
}
