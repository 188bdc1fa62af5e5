import { OmniError } from '../core/errors.js';
import { MCP_TOOLS, type McpToolName } from '../mcp/tools.js';

/**
 * Check a tool call's arguments against its input schema (src/mcp/tools.ts): the subset of JSON
 * Schema those use (required, additionalProperties: false, string/boolean/integer/number,
 * arrays of strings, enum, minimum/maximum, minItems). A `bad_request` says what is wrong.
 */
export function checkArgs(tool: string, args: unknown): { tool: McpToolName; args: Record<string, unknown> } {
  const def = MCP_TOOLS.find((t) => t.name === tool);
  if (!def) throw new OmniError(`no omni tool "${tool}"; tools: ${MCP_TOOLS.map((t) => t.name).join(', ')}`, 'bad_request');
  if (args === undefined || args === null) args = {};
  if (typeof args !== 'object' || Array.isArray(args)) throw new OmniError(`${tool}: the arguments must be an object`, 'bad_request');
  const a = args as Record<string, unknown>;
  const props = def.inputSchema.properties as Record<string, Prop>;
  for (const k of def.inputSchema.required ?? []) if (a[k] === undefined) throw new OmniError(`${tool}: "${k}" is required`, 'bad_request');
  for (const [k, v] of Object.entries(a)) {
    const p = props[k];
    if (!p) throw new OmniError(`${tool}: unknown argument "${k}"; it takes: ${Object.keys(props).join(', ') || 'none'}`, 'bad_request');
    if (v === undefined) continue;
    const bad = propError(p, v);
    if (bad) throw new OmniError(`${tool}: "${k}" ${bad}`, 'bad_request');
  }
  return { tool: def.name, args: a };
}

interface Prop {
  type?: string;
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  items?: Prop;
}

function propError(p: Prop, v: unknown): string | undefined {
  switch (p.type) {
    case 'string':
      if (typeof v !== 'string') return 'must be a string';
      if (p.enum && !p.enum.includes(v)) return `must be one of ${p.enum.join(', ')}`;
      return undefined;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : 'must be true or false';
    case 'integer':
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a number';
      if (p.type === 'integer' && !Number.isInteger(v)) return 'must be a whole number';
      if (p.minimum !== undefined && v < p.minimum) return `must be at least ${p.minimum}`;
      if (p.maximum !== undefined && v > p.maximum) return `must be at most ${p.maximum}`;
      return undefined;
    case 'array': {
      if (!Array.isArray(v)) return 'must be a list';
      if (p.minItems !== undefined && v.length < p.minItems) return `must list at least ${p.minItems}`;
      for (const x of v) {
        const bad = p.items ? propError(p.items, x) : undefined;
        if (bad) return `items ${bad.replace(/^must/, 'must each')}`;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
