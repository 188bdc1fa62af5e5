import type { PolicyDecision } from '../types.js';
import type { Builtin } from './types.js';

/**
 * Deny tool calls past `max` per session. The count is the state counter `<policy>:calls`,
 * incremented only for calls that go ahead (a denied call does not count; an ask counts once
 * approved).
 */
export const maxToolCalls: Builtin = {
  name: 'max_tool_calls',
  summary: 'deny tool calls past a maximum per session',
  params: {
    max: { type: 'int', min: 0, default: 200, doc: 'tool calls allowed per session' },
  },
  create(p, ctx) {
    const max = p.max as number;
    const counter = `${ctx.name}:calls`;
    return {
      name: ctx.name,
      phases: ['tool_call'],
      source: ctx.source,
      evaluate(s, state): PolicyDecision {
        if (!s.tool) return {};
        const n = state.counter(counter);
        if (n >= max) return { verdict: 'deny', reason: `tool call limit reached: ${n} of ${max} calls allowed in this session` };
        return { updates: [{ op: 'incr', name: counter }] };
      },
    };
  },
};
