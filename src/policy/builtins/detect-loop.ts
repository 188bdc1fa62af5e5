import type { PolicyDecision, StateUpdate, ToolSubject } from '../types.js';
import type { Builtin } from './types.js';
import { clip, commandLine, shortHash, stableJson } from './util.js';

/** What makes two calls "the same": the tool name and its normalized input. */
export function callFingerprint(t: ToolSubject): { hash: string; label: string } {
  let norm: string;
  let label: string;
  if (t.shell) {
    norm = t.shell.commands.map(commandLine).join('\n');
    label = `${t.name} ${clip(norm.replace(/\n/g, '; '), 80)}`;
  } else {
    const input = t.input && typeof t.input === 'object' && !Array.isArray(t.input) ? { ...(t.input as Record<string, unknown>) } : t.input;
    if (input && typeof input === 'object' && !Array.isArray(input)) delete (input as Record<string, unknown>).description;
    norm = stableJson(input);
    label = t.writes[0] ?? t.reads[0] ? `${t.name} ${t.writes[0] ?? t.reads[0]}` : t.name;
  }
  return { hash: shortHash(`${t.name}\u0000${norm}`), label };
}

/**
 * Ask when the same call (tool + normalized input; for shell, the parsed commands, so quoting
 * and a changing `description` do not matter) is made `repeats` times within the last `window`
 * tool calls. State: counter `<policy>:seq` numbers the calls that went ahead, and the set
 * `<policy>:ring` holds `<seq>:<hash>` for the last `window` of them (older entries are removed
 * as new ones are added, so it stays bounded).
 */
export const detectLoop: Builtin = {
  name: 'detect_loop',
  summary: 'ask when the same tool call repeats N times within the last W calls',
  params: {
    repeats: { type: 'int', min: 2, default: 3, doc: 'how many identical calls count as a loop' },
    window: { type: 'int', min: 2, default: 10, doc: 'how many recent calls to look at (this one included)' },
  },
  create(p, ctx) {
    const repeats = p.repeats as number;
    const window = p.window as number;
    const seqKey = `${ctx.name}:seq`;
    const ringKey = `${ctx.name}:ring`;
    return {
      name: ctx.name,
      phases: ['tool_call'],
      source: ctx.source,
      evaluate(s, state): PolicyDecision {
        const t = s.tool;
        if (!t) return {};
        const { hash, label } = callFingerprint(t);
        const seq = state.counter(seqKey) + 1;
        let same = 1;
        const stale: string[] = [];
        for (const e of state.set(ringKey)) {
          const i = e.indexOf(':');
          const n = Number(e.slice(0, i));
          if (!(n > seq - window)) stale.push(e);
          else if (e.slice(i + 1) === hash) same++;
        }
        const updates: StateUpdate[] = [
          { op: 'incr', name: seqKey },
          { op: 'add', set: ringKey, values: [`${seq}:${hash}`] },
        ];
        if (stale.length) updates.push({ op: 'remove', set: ringKey, values: stale });
        if (same >= repeats) {
          return { verdict: 'ask', reason: `possible loop: ${label} made ${same} times in the last ${window} tool calls`, grantKey: `loop:${hash}`, updates };
        }
        return { updates };
      },
    };
  },
  check(p) {
    if ((p.window as number) < (p.repeats as number)) return { param: 'window', message: `window (${String(p.window)}) must be at least repeats (${String(p.repeats)})` };
    return undefined;
  },
};
