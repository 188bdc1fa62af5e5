import type { PolicyDecision, Phase } from '../types.js';
import type { Builtin } from './types.js';

const BOUNDS = ['max_children', 'max_depth', 'max_concurrent', 'max_per_turn', 'max_tree_usd'] as const;

/**
 * Bounds on starting sub-agents (`omni_spawn`, phase `mcp`): children in all, depth of the tree,
 * live descendants at once, spawns per turn, and the tree's spend. Each bound is optional; an
 * agent spec's `limits:` becomes one of these at level agent. The per-turn count is the state
 * counter `<policy>:turn_spawns`, incremented on an allowed spawn and reset at each prompt.
 */
export const spawnBounds: Builtin = {
  name: 'spawn_bounds',
  summary: 'deny omni_spawn past bounds on children, depth, concurrency, per-turn spawns and tree spend',
  params: {
    max_children: { type: 'int', min: 0, optional: true, doc: 'children a session may start in all (ended ones count)' },
    max_depth: { type: 'int', min: 0, optional: true, doc: 'deepest a child may sit in the tree (the root session is depth 0, its children 1)' },
    max_concurrent: { type: 'int', min: 0, optional: true, doc: 'live descendants at once' },
    max_per_turn: { type: 'int', min: 0, optional: true, doc: 'spawns per turn (reset at each prompt)' },
    max_tree_usd: { type: 'number', min: 0, optional: true, doc: 'the spend of the session and its descendants (USD) past which no spawn is allowed' },
  },
  check(p) {
    if (!BOUNDS.some((b) => p[b] !== undefined)) return { param: 'max_children', message: `give at least one bound: ${BOUNDS.join(', ')}` };
    return undefined;
  },
  create(p, ctx) {
    const maxChildren = p.max_children as number | undefined;
    const maxDepth = p.max_depth as number | undefined;
    const maxConcurrent = p.max_concurrent as number | undefined;
    const maxPerTurn = p.max_per_turn as number | undefined;
    const maxTreeUsd = p.max_tree_usd as number | undefined;
    const counter = `${ctx.name}:turn_spawns`;
    // The prompt phase only resets the per-turn count: without that bound it is not watched
    // (a prompt policy makes every send wait for its decision).
    const phases: Phase[] = maxPerTurn !== undefined ? ['mcp', 'prompt'] : ['mcp'];
    return {
      name: ctx.name,
      phases,
      source: ctx.source,
      evaluate(s, state): PolicyDecision {
        if (s.phase === 'prompt') return state.counter(counter) ? { updates: [{ op: 'reset', name: counter }] } : {};
        if (s.mcp?.tool !== 'omni_spawn') return {};
        const { children, live, depth } = s.mcp.tree;
        const deny = (reason: string): PolicyDecision => ({ verdict: 'deny', reason: `${ctx.name}: ${reason}` });
        if (maxChildren !== undefined && children >= maxChildren) return deny(`${children} children started already, max_children is ${maxChildren}`);
        if (maxDepth !== undefined && depth + 1 > maxDepth) return deny(`the child would be at depth ${depth + 1}, max_depth is ${maxDepth}`);
        if (maxConcurrent !== undefined && live >= maxConcurrent) return deny(`${live} sub-agents live now, max_concurrent is ${maxConcurrent}`);
        const turn = state.counter(counter);
        if (maxPerTurn !== undefined && turn >= maxPerTurn) return deny(`${turn} spawns this turn already, max_per_turn is ${maxPerTurn}`);
        const usd = s.spend?.tree.usd ?? 0;
        if (maxTreeUsd !== undefined && usd >= maxTreeUsd) return deny(`the tree has spent $${usd.toFixed(4)}, max_tree_usd is $${maxTreeUsd}`);
        return maxPerTurn !== undefined ? { updates: [{ op: 'incr', name: counter }] } : {};
      },
    };
  },
};
