import os from 'node:os';
import { stringify } from 'yaml';
import { globError } from '../match.js';
import { commandPatternError } from '../patterns.js';
import type { LoadedPolicy, Level, Policy } from '../types.js';
import { YamlSource, type YVal } from '../../core/yaml.js';
import { askOnShell } from './ask-on-shell.js';
import { askOnWrite } from './ask-on-write.js';
import { blastRadius } from './blast-radius.js';
import { costBudget } from './cost-budget.js';
import { detectLoop } from './detect-loop.js';
import { maxToolCalls } from './max-tool-calls.js';
import { noMergePush } from './no-merge-push.js';
import { allowPaths, denyPaths } from './paths.js';
import { spawnBounds } from './spawn-bounds.js';
import { taintThenAsk } from './taint-then-ask.js';
import type { Builtin, BuiltinContext, ParamSpec } from './types.js';
import { writeOnlyCreated } from './write-only-created.js';

export type { Builtin, BuiltinContext, ParamSpec } from './types.js';

/** Every builtin policy, by name (`use: <name>` in a policy file, or a ref on the command line). */
export const BUILTINS: Readonly<Record<string, Builtin>> = Object.fromEntries(
  [askOnShell, askOnWrite, maxToolCalls, detectLoop, blastRadius, noMergePush, taintThenAsk, writeOnlyCreated, costBudget, allowPaths, denyPaths, spawnBounds].map((b) => [b.name, b]),
);

export const builtinNames = (): string[] => Object.keys(BUILTINS);

function paramType(spec: ParamSpec): string {
  switch (spec.type) {
    case 'int':
      return spec.min !== undefined ? `a whole number >= ${spec.min}` : 'a whole number';
    case 'number':
      return spec.min !== undefined ? `a number >= ${spec.min}` : 'a number';
    case 'enum':
      return spec.values.join('|');
    case 'commands':
      return 'command pattern(s)';
    case 'globs':
      return 'path glob(s)';
    case 'strings':
      return 'string(s)';
    default:
      return `a ${spec.type}`;
  }
}

/** `name (type, default x)` for each param: for error messages and docs. */
export function describeParams(b: Builtin): string {
  const ps = Object.entries(b.params);
  if (!ps.length) return 'none';
  return ps
    .map(([k, spec]) => {
      const def = spec.default !== undefined ? `default ${JSON.stringify(spec.default)}` : 'optional' in spec && spec.optional ? 'optional' : 'required';
      return `${k} (${paramType(spec)}, ${def})`;
    })
    .join(', ');
}

/**
 * Validate a `with:` block against a builtin's parameter schema: unknown names, wrong types,
 * bad globs or command patterns and missing required params fail with file:line:column.
 * `withVal` undefined means no `with:` (defaults only); `at` is where to point for a missing one.
 */
export function parseBuiltinParams(b: Builtin, withVal: YVal | undefined, at: YVal): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const given = new Map<string, YVal>();
  if (withVal && withVal.kind() !== 'null') {
    const valid = Object.keys(b.params);
    if (!valid.length) withVal.fail(`builtin ${b.name} takes no parameters`);
    for (const e of withVal.map(`the parameters of ${b.name}`, valid)) given.set(e.key, e.value);
  }
  for (const [key, spec] of Object.entries(b.params)) {
    const v = given.get(key);
    const what = `${b.name} parameter ${key}`;
    if (!v || v.kind() === 'null') {
      if (spec.default === undefined && 'optional' in spec && spec.optional) continue;
      if (spec.default === undefined) (v ?? withVal ?? at).fail(`${b.name} needs the parameter ${key} (${paramType(spec)}): ${spec.doc}`);
      out[key] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
      continue;
    }
    switch (spec.type) {
      case 'int':
        out[key] = v.int(what, spec.min);
        break;
      case 'number': {
        const n = v.number(what);
        if (!Number.isFinite(n)) v.fail(`${what} must be a finite number, not ${n}`);
        if (spec.min !== undefined && n < spec.min) v.fail(`${what} must be at least ${spec.min}, not ${n}`);
        out[key] = n;
        break;
      }
      case 'boolean':
        out[key] = v.boolean(what);
        break;
      case 'enum':
        out[key] = v.oneOf(what, spec.values);
        break;
      case 'string':
        out[key] = v.string(what);
        break;
      case 'strings':
      case 'globs':
      case 'commands':
        out[key] = v.strings(what).map(({ value, at: itemAt }) => {
          const err = spec.type === 'globs' ? globError(value) : spec.type === 'commands' ? commandPatternError(value) : undefined;
          if (err) itemAt.fail(`${what}: ${err}`);
          return value;
        });
        break;
    }
  }
  const bad = b.check?.(out);
  if (bad) (given.get(bad.param) ?? withVal ?? at).fail(`${b.name}: ${bad.message}`);
  return out;
}

export interface BuiltinOptions {
  /** Policy name (default: the builtin's). */
  name?: string;
  home?: string;
  source?: string;
}

/** Create a builtin policy from already-validated params (see parseBuiltinParams). */
export function instantiateBuiltin(b: Builtin, params: Record<string, unknown>, opts: BuiltinOptions = {}): Policy {
  const ctx: BuiltinContext = { name: opts.name ?? b.name, home: opts.home ?? os.homedir(), source: opts.source ?? `builtin:${b.name}` };
  // Keep which builtin and which parameters: `omni policy ls` and the dashboard show them.
  return { ...b.create(params, ctx), builtin: { name: b.name, params } };
}

/**
 * A builtin policy from code: `builtinPolicy('blast_radius', { ask: ['make deploy'] })`. Params
 * are validated like a policy file's `with:` (errors point into their YAML rendering).
 */
export function builtinPolicy(name: string, params: Record<string, unknown> = {}, opts: BuiltinOptions & { level?: Level } = {}): LoadedPolicy {
  const b = BUILTINS[name];
  if (!b) throw new Error(`unknown builtin policy "${name}"; builtins: ${builtinNames().join(', ')}`);
  const src = new YamlSource(`builtin ${name} params`, Object.keys(params).length ? stringify(params) : '{}\n');
  const root = src.root();
  return { policy: instantiateBuiltin(b, parseBuiltinParams(b, root, root), opts), level: opts.level ?? 'session' };
}
