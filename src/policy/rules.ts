import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ToolKind } from '../core/events.js';
import { BUILTINS, builtinNames, describeParams, instantiateBuiltin, parseBuiltinParams } from './builtins/index.js';
import { displayPaths } from './builtins/display.js';
import { clip, commandLine } from './builtins/util.js';
import { globError, hostMatcher, nameMatcher, pathGlobs, subjectHost } from './match.js';
import { OverlayState } from './overlay.js';
import { commandPatternError } from './patterns.js';
import { matchCommand, parsePattern, type ShellCommand } from './shell.js';
import { PHASES, type Level, type LoadedPolicy, type Phase, type Policy, type PolicyDecision, type PolicySubject, type StateUpdate, type StateView, type VerdictKind } from './types.js';
import { YamlSource, suggest, type YVal } from '../core/yaml.js';


/*
 * The policy rule language (docs/POLICIES.md). A policy file is `policies:`, a list of entries;
 * each is a builtin (`use:` + `with:`) or a rule policy (`name:` + `rules:`). A rule policy
 * evaluates its rules in order: every matching rule contributes its `then` updates, and the
 * first matching rule with a `verdict` decides (later rules are not looked at). Later rules
 * see the updates of earlier matching rules in the same evaluation; nothing is written to the
 * session's state unless the action goes ahead (engine.ts).
 */

export const SELECTORS = [
  'phase', 'tool', 'kind', 'command', 'opaque', 'path', 'read', 'write', 'prompt', 'host', 'ok', 'mcp_tool',
  'label', 'labels', 'not_label', 'counter', 'in_set', 'not_in_set', 'any', 'not',
] as const;
type SelectorName = (typeof SELECTORS)[number];
export const RULE_KEYS = ['when', 'verdict', 'reason', 'then', 'grant', 'description'] as const;
export const UPDATE_KEYS = ['label', 'unlabel', 'incr', 'reset', 'add', 'remove'] as const;
const RULE_POLICY_KEYS = ['name', 'description', 'rules'];
const USE_POLICY_KEYS = ['use', 'name', 'description', 'with'];
const ENTRY_KEYS = ['use', 'name', 'description', 'with', 'rules'];
const KINDS: readonly ToolKind[] = ['shell', 'read', 'write', 'edit', 'web', 'mcp', 'other'];
const VERDICTS: readonly VerdictKind[] = ['allow', 'deny', 'ask'];
const COMPARATORS = ['gte', 'gt', 'lte', 'lt', 'eq'] as const;
/** `${…}` names usable in `reason` and `grant` (plus `counter.NAME`). */
export const TEMPLATE_VARS = ['tool', 'kind', 'phase', 'command', 'program', 'path', 'write', 'read', 'host', 'prompt', 'session', 'agent', 'harness', 'cwd', 'policy'] as const;
/** `$…` values usable in `in_set`/`not_in_set`/`add`/`remove`. */
export const VALUE_VARS = ['$path', '$write', '$read', '$command', '$program', '$tool', '$kind', '$host', '$phase', '$session'] as const;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:@/+-]*$/;

/** Which phases a selector can match at. */
const SELECTOR_PHASES: Partial<Record<SelectorName, readonly Phase[]>> = {
  tool: ['tool_call', 'tool_result'],
  kind: ['tool_call', 'tool_result'],
  command: ['tool_call', 'tool_result'],
  opaque: ['tool_call', 'tool_result'],
  path: ['tool_call', 'tool_result'],
  read: ['tool_call', 'tool_result'],
  write: ['tool_call', 'tool_result'],
  prompt: ['prompt'],
  ok: ['tool_result'],
  host: ['egress', 'tool_call', 'tool_result'],
  mcp_tool: ['mcp'],
};

export interface ParsePolicyOptions {
  /** Home directory for `~` in globs (default os.homedir()). */
  home?: string;
}

interface Ctx {
  s: PolicySubject;
  state: StateView;
  policy: string;
  /** Commands the rule's `command` selector matched (for `${command}` / `$command`). */
  matched?: ShellCommand[];
}

type Test = (ctx: Ctx) => boolean;
type Values = (ctx: Ctx) => string[];
type Template = (ctx: Ctx) => string;

interface CompiledRule {
  n: number;
  line: number;
  phases: readonly Phase[];
  test: Test;
  verdict?: VerdictKind;
  reason?: Template;
  grant?: Template;
  updates: Array<(ctx: Ctx) => StateUpdate[]>;
}

// ---------------------------------------------------------------------------------------------
// Values and templates

const toolCommands = (ctx: Ctx): ShellCommand[] => ctx.matched ?? ctx.s.tool?.shell?.commands ?? [];

function singleValue(ctx: Ctx, name: string): string | undefined {
  const s = ctx.s;
  switch (name) {
    case 'tool':
      return s.tool?.name ?? s.mcp?.tool;
    case 'kind':
      return s.tool?.kind;
    case 'phase':
      return s.phase;
    case 'host':
      return subjectHost(s);
    case 'session':
      return s.session.name;
    case 'agent':
      return s.session.agent;
    case 'harness':
      return s.session.harness;
    case 'cwd':
      return s.session.cwd;
    case 'policy':
      return ctx.policy;
    case 'prompt':
      return s.prompt ? clip(s.prompt.text.replace(/\s+/g, ' ').trim(), 200) : undefined;
  }
  return undefined;
}

function multiValue(ctx: Ctx, name: string): string[] | undefined {
  const t = ctx.s.tool;
  switch (name) {
    case 'path':
      return t ? [...new Set([...t.writes, ...t.reads])] : [];
    case 'write':
      return t?.writes ?? [];
    case 'read':
      return t?.reads ?? [];
    case 'command':
      return [...new Set(toolCommands(ctx).map(commandLine))];
    case 'program':
      return [...new Set(toolCommands(ctx).map((c) => c.program))];
  }
  return undefined;
}

function compileValue(v: YVal, what: string): Values {
  const parts = v.strings(what).map(({ value, at }): Values => {
    if (value.startsWith('$$')) return () => [value.slice(1)];
    if (!value.startsWith('$')) return () => [value];
    if (!(VALUE_VARS as readonly string[]).includes(value)) {
      const hint = suggest(value, VALUE_VARS);
      at.fail(`unknown value "${value}" in ${what}${hint ? ` (did you mean "${hint}"?)` : ''}; valid: ${VALUE_VARS.join(', ')}, or a literal (write $$ for a literal $)`);
    }
    const name = value.slice(1);
    return (ctx) => {
      const multi = multiValue(ctx, name);
      if (multi) return multi;
      const one = singleValue(ctx, name);
      return one === undefined ? [] : [one];
    };
  });
  return (ctx) => [...new Set(parts.flatMap((p) => p(ctx)))];
}

function compileTemplate(v: YVal, what: string): Template {
  const text = v.string(what, { nonEmpty: false });
  const pieces: Array<string | ((ctx: Ctx) => string)> = [];
  let last = 0;
  for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
    pieces.push(text.slice(last, m.index));
    last = m.index + m[0].length;
    const name = (m[1] ?? '').trim();
    if (name.startsWith('counter.') && name.length > 8) {
      const c = name.slice(8);
      pieces.push((ctx) => String(ctx.state.counter(c)));
      continue;
    }
    if (!(TEMPLATE_VARS as readonly string[]).includes(name)) {
      const hint = suggest(name, TEMPLATE_VARS);
      v.fail(`unknown variable \${${name}} in ${what}${hint ? ` (did you mean \${${hint}}?)` : ''}; valid: ${TEMPLATE_VARS.map((n) => `\${${n}}`).join(', ')}, \${counter.NAME}`);
    }
    pieces.push((ctx) => {
      if (name === 'command' && !ctx.matched) {
        const script = ctx.s.tool?.script;
        if (script !== undefined) return clip(script.replace(/\s+/g, ' ').trim(), 200);
      }
      if (name === 'command') return clip(toolCommands(ctx).map((c) => c.text || commandLine(c)).join('; '), 200);
      const multi = multiValue(ctx, name);
      if (multi) return name === 'program' ? multi.join(' ') : displayPaths(multi, ctx.s.session.cwd, 5);
      return singleValue(ctx, name) ?? '';
    });
  }
  pieces.push(text.slice(last));
  return (ctx) => pieces.map((p) => (typeof p === 'string' ? p : p(ctx))).join('');
}

// ---------------------------------------------------------------------------------------------
// Selectors

function compileRegex(v: YVal, what: string): RegExp {
  const src = v.string(what);
  const lit = /^\/(.*)\/([a-z]*)$/s.exec(src);
  const [body, flags] = lit ? [lit[1]!, lit[2]!] : [src, ''];
  const badFlag = [...flags].find((f) => !'imsu'.includes(f));
  if (badFlag) v.fail(`${what}: unsupported regex flag "${badFlag}"; valid flags: i, m, s, u`);
  try {
    return new RegExp(body, flags);
  } catch (err) {
    return v.fail(`${what}: invalid regular expression (JavaScript syntax, optionally /…/flags): ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

function compileGlobs(v: YVal, what: string): string[] {
  return v.strings(what).map(({ value, at }) => {
    const err = globError(value);
    if (err) at.fail(`${what}: ${err}`);
    return value;
  });
}

function compilePathSelector(key: 'path' | 'read' | 'write', v: YVal, home: string): Test {
  let mode: 'any' | 'all' | 'outside' = 'any';
  let globsVal = v;
  if (v.kind() === 'map') {
    const entries = v.map(`${key} (use one of any, all, outside)`, ['any', 'all', 'outside']);
    if (entries.length !== 1) v.fail(`${key} takes exactly one of any, all, outside`);
    mode = entries[0]!.key as typeof mode;
    globsVal = entries[0]!.value;
  }
  const globs = pathGlobs(compileGlobs(globsVal, key), home);
  return (ctx) => {
    const t = ctx.s.tool;
    if (!t) return false;
    const paths = key === 'read' ? t.reads : key === 'write' ? t.writes : [...t.writes, ...t.reads];
    const cwd = ctx.s.session.cwd;
    const hit = (p: string): boolean => globs.some((g) => g.matches(p, cwd));
    if (mode === 'any') return paths.some(hit);
    if (mode === 'all') return paths.length > 0 && paths.every(hit);
    return paths.some((p) => !hit(p));
  };
}

interface WhenResult {
  test: Test;
  /** Selectors used anywhere inside (for phase inference). */
  used: Set<SelectorName>;
  /** Top-level selectors with their key nodes (for phase checks). */
  top: Array<{ name: SelectorName; at: YVal }>;
  phase?: { phases: Phase[]; at: YVal };
}

function compileWhen(v: YVal, what: string, nested: boolean, home: string): WhenResult {
  const tests: Test[] = [];
  const used = new Set<SelectorName>();
  const top: WhenResult['top'] = [];
  let phase: WhenResult['phase'];
  for (const { key, keyVal, value } of v.map(what, SELECTORS)) {
    const name = key as SelectorName;
    used.add(name);
    top.push({ name, at: keyVal });
    switch (name) {
      case 'phase': {
        if (nested) keyVal.fail(`phase belongs in a rule's top-level when, not inside ${what}`);
        const phases = value.strings('phase').map(({ value: p, at }) => {
          if (!(PHASES as readonly string[]).includes(p)) {
            const hint = suggest(p, PHASES);
            at.fail(`unknown phase "${p}"${hint ? ` (did you mean "${hint}"?)` : ''}; valid: ${PHASES.join(', ')}`);
          }
          return p as Phase;
        });
        phase = { phases, at: keyVal };
        tests.push((ctx) => phases.includes(ctx.s.phase));
        break;
      }
      case 'tool': {
        const globs = compileGlobs(value, 'tool').map(nameMatcher);
        tests.push((ctx) => !!ctx.s.tool && globs.some((m) => m(ctx.s.tool!.name)));
        break;
      }
      case 'kind': {
        const kinds = value.strings('kind').map(({ value: k, at }) => {
          if (!(KINDS as readonly string[]).includes(k)) at.fail(`unknown tool kind "${k}"; valid: ${KINDS.join(', ')}`);
          return k;
        });
        tests.push((ctx) => !!ctx.s.tool && kinds.includes(ctx.s.tool.kind));
        break;
      }
      case 'command': {
        const patterns = value.strings('command').map(({ value: p, at }) => {
          const err = commandPatternError(p);
          if (err) at.fail(`command: ${err}`);
          return parsePattern(p);
        });
        tests.push((ctx) => {
          const cmds = ctx.s.tool?.shell?.commands ?? [];
          const hits = cmds.filter((c) => patterns.some((p) => matchCommand(c, p)));
          if (!hits.length) return false;
          ctx.matched = hits;
          return true;
        });
        break;
      }
      case 'opaque': {
        const want = value.boolean('opaque');
        tests.push((ctx) => {
          const sh = ctx.s.tool?.shell;
          if (!sh) return false;
          return (sh.opaque.length > 0 || sh.errors.length > 0) === want;
        });
        break;
      }
      case 'path':
      case 'read':
      case 'write':
        tests.push(compilePathSelector(name, value, home));
        break;
      case 'prompt': {
        const re = compileRegex(value, 'prompt');
        tests.push((ctx) => ctx.s.prompt !== undefined && re.test(ctx.s.prompt.text));
        break;
      }
      case 'host': {
        const globs = compileGlobs(value, 'host').map(hostMatcher);
        tests.push((ctx) => {
          const h = subjectHost(ctx.s);
          return h !== undefined && globs.some((m) => m(h));
        });
        break;
      }
      case 'mcp_tool': {
        // omni's own MCP tools (omni_spawn, omni_send, …), at phase mcp.
        const globs = compileGlobs(value, 'mcp_tool').map(nameMatcher);
        tests.push((ctx) => !!ctx.s.mcp && globs.some((m) => m(ctx.s.mcp!.tool)));
        break;
      }
      case 'ok': {
        const want = value.boolean('ok');
        tests.push((ctx) => ctx.s.result !== undefined && ctx.s.result.ok === want);
        break;
      }
      case 'label':
      case 'labels': {
        const names = value.strings(name).map((x) => x.value);
        tests.push((ctx) => names.every((l) => ctx.state.hasLabel(l)));
        break;
      }
      case 'not_label': {
        const names = value.strings(name).map((x) => x.value);
        tests.push((ctx) => !names.some((l) => ctx.state.hasLabel(l)));
        break;
      }
      case 'counter': {
        const counters = value.map('counter (counter name: { gte|gt|lte|lt|eq: N })');
        if (!counters.length) value.fail('counter needs at least one counter name: { gte|gt|lte|lt|eq: N }');
        for (const c of counters) {
          const cmps = c.value.map(`counter ${c.key}`, COMPARATORS);
          if (!cmps.length) c.value.fail(`counter ${c.key} needs a comparison: ${COMPARATORS.join(', ')}`);
          for (const cmp of cmps) {
            const n = cmp.value.number(`counter ${c.key} ${cmp.key}`);
            const counterName = c.key;
            const op = cmp.key as (typeof COMPARATORS)[number];
            tests.push((ctx) => {
              const x = ctx.state.counter(counterName);
              return op === 'gte' ? x >= n : op === 'gt' ? x > n : op === 'lte' ? x <= n : op === 'lt' ? x < n : x === n;
            });
          }
        }
        break;
      }
      case 'in_set':
      case 'not_in_set': {
        const { set, values } = compileSetRef(value, name);
        if (name === 'in_set') {
          tests.push((ctx) => {
            const vs = values(ctx);
            return vs.length > 0 && vs.every((x) => ctx.state.inSet(set, x));
          });
        } else {
          tests.push((ctx) => values(ctx).some((x) => !ctx.state.inSet(set, x)));
        }
        break;
      }
      case 'any': {
        const items = value.list('any (a list of when blocks)');
        if (!items.length) value.fail('any must list at least one when block');
        const subs = items.map((it, i) => compileWhen(it, `any[${i}]`, true, home));
        for (const sub of subs) for (const u of sub.used) used.add(u);
        tests.push((ctx) => subs.some((sub) => sub.test(ctx)));
        break;
      }
      case 'not': {
        const sub = compileWhen(value, 'not', true, home);
        for (const u of sub.used) used.add(u);
        tests.push((ctx) => {
          const saved = ctx.matched;
          const r = !sub.test(ctx);
          ctx.matched = saved;
          return r;
        });
        break;
      }
    }
  }
  return { test: (ctx) => tests.every((t) => t(ctx)), used, top, phase };
}

function compileSetRef(v: YVal, what: string): { set: string; values: Values } {
  const entries = v.map(`${what} ({ set: NAME, value: VALUE })`, ['set', 'value']);
  const setE = entries.find((e) => e.key === 'set');
  const valE = entries.find((e) => e.key === 'value');
  if (!setE) v.fail(`${what} needs set: (the state set's name)`);
  if (!valE) v.fail(`${what} needs value: (a literal or one of ${VALUE_VARS.join(', ')})`);
  return { set: setE.value.string(`${what}.set`), values: compileValue(valE.value, `${what}.value`) };
}

function rulePhases(w: WhenResult, at: YVal): Phase[] {
  if (w.phase) {
    for (const { name, at: selAt } of w.top) {
      const ok = SELECTOR_PHASES[name];
      if (ok && !w.phase.phases.some((p) => ok.includes(p))) {
        selAt.fail(`selector ${name} never matches at phase ${w.phase.phases.join('/')}; it applies at: ${ok.join(', ')}`);
      }
    }
    return w.phase.phases;
  }
  let phases: Phase[] = [...PHASES];
  const seen: SelectorName[] = [];
  for (const name of w.used) {
    const ok = SELECTOR_PHASES[name];
    if (!ok) continue;
    const next = phases.filter((p) => ok.includes(p));
    if (!next.length) at.fail(`selectors ${[...seen, name].join(' and ')} never apply at the same phase; split the rule or give a phase`);
    phases = next;
    seen.push(name);
  }
  if (phases.some((p) => p === 'tool_call' || p === 'prompt' || p === 'egress')) phases = phases.filter((p) => p !== 'tool_result' && p !== 'usage');
  // omni's own MCP calls are decided only by rules that name them (phase: mcp, mcp_tool): a
  // rule file written before the phase existed keeps meaning what it meant.
  if (phases.length > 1) phases = phases.filter((p) => p !== 'mcp');
  return phases;
}

// ---------------------------------------------------------------------------------------------
// Updates

function compileUpdates(v: YVal): Array<(ctx: Ctx) => StateUpdate[]> {
  const out: Array<(ctx: Ctx) => StateUpdate[]> = [];
  const entries = v.map('then', UPDATE_KEYS);
  if (!entries.length) v.fail(`then must set at least one of ${UPDATE_KEYS.join(', ')}`);
  for (const { key, value } of entries) {
    switch (key) {
      case 'label':
      case 'unlabel': {
        const names = value.strings(`then.${key}`).map((x) => x.value);
        out.push(() => names.map((name) => ({ op: key, name })));
        break;
      }
      case 'reset': {
        const names = value.strings('then.reset').map((x) => x.value);
        out.push(() => names.map((name) => ({ op: 'reset', name })));
        break;
      }
      case 'incr': {
        const items = value.kind() === 'list' ? value.list('then.incr') : [value];
        for (const it of items) {
          if (it.kind() === 'string') {
            const name = it.string('then.incr');
            out.push(() => [{ op: 'incr', name }]);
          } else if (it.kind() === 'map') {
            const es = it.map('then.incr ({ name: NAME, by: N })', ['name', 'by']);
            const nameE = es.find((e) => e.key === 'name') ?? it.fail('then.incr needs name:');
            const name = nameE.value.string('then.incr.name');
            const byE = es.find((e) => e.key === 'by');
            const by = byE ? byE.value.number('then.incr.by') : 1;
            out.push(() => [{ op: 'incr', name, by }]);
          } else it.fail('then.incr must be a counter name, { name, by }, or a list of those');
        }
        break;
      }
      case 'add':
      case 'remove': {
        const items = value.kind() === 'list' ? value.list(`then.${key}`) : [value];
        for (const it of items) {
          const { set, values } = compileSetRef(it, `then.${key}`);
          out.push((ctx) => {
            const vs = values(ctx);
            return vs.length ? [{ op: key, set, values: vs }] : [];
          });
        }
        break;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rules and policies

function compileRule(v: YVal, n: number, src: YamlSource, home: string): CompiledRule {
  const entries = v.map(`rule ${n}`, RULE_KEYS);
  const get = (k: string): YVal | undefined => entries.find((e) => e.key === k)?.value;
  const whenV = get('when');
  const when: WhenResult = whenV && whenV.kind() !== 'null' ? compileWhen(whenV, 'when', false, home) : { test: () => true, used: new Set(), top: [] };
  const verdictV = get('verdict');
  const verdict = verdictV ? verdictV.oneOf('verdict', VERDICTS) : undefined;
  const thenV = get('then');
  if (!verdict && !thenV) v.fail(`rule ${n} does nothing: give it a verdict (allow, deny, ask) or then (${UPDATE_KEYS.join(', ')})`);
  const reasonV = get('reason');
  if (reasonV && !verdict) reasonV.fail('reason needs a verdict in the same rule');
  const grantV = get('grant');
  if (grantV && verdict !== 'ask') grantV.fail('grant applies only to verdict: ask');
  const descV = get('description');
  if (descV) descV.string('description');
  const rule: CompiledRule = {
    n,
    line: src.pos(v.start).line,
    phases: rulePhases(when, whenV ?? v),
    test: when.test,
    updates: thenV ? compileUpdates(thenV) : [],
  };
  if (verdict) rule.verdict = verdict;
  if (reasonV) rule.reason = compileTemplate(reasonV, 'reason');
  if (grantV) rule.grant = compileTemplate(grantV, 'grant');
  return rule;
}

function rulePolicy(name: string, rules: CompiledRule[], source: string): Policy {
  const phases = PHASES.filter((p) => rules.some((r) => r.phases.includes(p)));
  return {
    name,
    phases,
    source,
    evaluate(s: PolicySubject, state: StateView): PolicyDecision {
      const overlay = new OverlayState(state);
      const updates: StateUpdate[] = [];
      for (const rule of rules) {
        if (!rule.phases.includes(s.phase)) continue;
        const ctx: Ctx = { s, state: overlay, policy: name };
        if (!rule.test(ctx)) continue;
        const u = rule.updates.flatMap((f) => f(ctx));
        if (rule.verdict) {
          const d: PolicyDecision = { verdict: rule.verdict, updates: [...updates, ...u] };
          const reason = rule.reason?.(ctx);
          if (reason) d.reason = reason;
          if (rule.verdict === 'ask') d.grantKey = rule.grant?.(ctx) || `rule${rule.n}:${s.tool?.name ?? s.phase}`;
          return d;
        }
        updates.push(...u);
        overlay.apply(u);
      }
      return updates.length ? { updates } : {};
    },
  };
}

function policyName(v: YVal): string {
  const name = v.string('name');
  if (!NAME_RE.test(name)) v.fail(`invalid policy name "${name}": use letters, digits and _ . : @ / + - (starting with a letter or digit)`);
  return name;
}

function compileEntry(v: YVal, src: YamlSource, source: string, home: string): Policy {
  const entries = v.map('a policy entry', ENTRY_KEYS);
  const get = (k: string): YVal | undefined => entries.find((e) => e.key === k)?.value;
  const useV = get('use');
  const rulesV = get('rules');
  const line = src.pos(v.start).line;
  const where = `${source}:${line}`;
  if (useV && rulesV) entries.find((e) => e.key === 'rules')!.keyVal.fail('a policy entry has either use: (a builtin) or rules:, not both');
  if (get('description')) get('description')!.string('description');
  if (useV) {
    for (const e of entries) if (!USE_POLICY_KEYS.includes(e.key)) e.keyVal.fail(`unknown key "${e.key}" in a builtin policy entry; valid: ${USE_POLICY_KEYS.join(', ')}`);
    const name = useV.string('use');
    const hint = suggest(name, builtinNames());
    const b = BUILTINS[name] ?? useV.fail(`unknown builtin policy "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; builtins: ${builtinNames().join(', ')}`);
    const params = parseBuiltinParams(b, get('with'), useV);
    const nameV = get('name');
    return instantiateBuiltin(b, params, { name: nameV ? policyName(nameV) : b.name, home, source: where });
  }
  if (!rulesV) {
    v.fail(`a policy entry needs use: (a builtin: ${builtinNames().join(', ')}) or name: and rules:`);
  }
  for (const e of entries) if (!RULE_POLICY_KEYS.includes(e.key)) e.keyVal.fail(`unknown key "${e.key}" in a rule policy; valid: ${RULE_POLICY_KEYS.join(', ')}`);
  const nameV = get('name');
  if (!nameV) v.fail('a rule policy needs a name:');
  const name = policyName(nameV);
  const ruleVals = rulesV.list('rules');
  if (!ruleVals.length) rulesV.fail('rules must list at least one rule');
  const rules = ruleVals.map((r, i) => compileRule(r, i + 1, src, home));
  return rulePolicy(name, rules, where);
}

/**
 * Parse a policy file's text. `source` names it in errors (`policies.yaml:7:11: …`) and in each
 * policy's `source` (`file:line`). Throws YamlError.
 */
export function parsePolicyText(text: string, source: string, level: Level, opts: ParsePolicyOptions = {}): LoadedPolicy[] {
  const src = new YamlSource(source, text);
  const root = src.root();
  if (root.kind() === 'null') root.fail('empty policy file: expected a mapping with policies: (a list of policies)');
  const top = root.map('the policy file', ['policies']);
  const listE = top.find((e) => e.key === 'policies') ?? root.fail('a policy file needs policies: (a list of policies)');
  const items = listE.value.list('policies');
  const home = opts.home ?? os.homedir();
  const seen = new Map<string, number>();
  return items.map((item) => {
    const policy = compileEntry(item, src, source, home);
    const line = src.pos(item.start).line;
    const prev = seen.get(policy.name);
    if (prev !== undefined) item.fail(`policy name "${policy.name}" is already used at line ${prev}; give one of them a different name:`);
    seen.set(policy.name, line);
    return { policy, level };
  });
}

export interface LoadPolicyRefOptions {
  /** Relative file refs resolve against this. */
  cwd: string;
  /** `<configDir>/policies/<ref>.yaml` is looked up for a bare name. */
  configDir: string;
  level: Level;
  home?: string;
}

export interface LoadedPolicyRef {
  policies: LoadedPolicy[];
  /** The file it came from, or `builtin:<name>`. */
  source: string;
  /** Policy file text (for a builtin, an equivalent policy file), to persist and reload. */
  text: string;
}

function policyFilesIn(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => f.replace(/\.ya?ml$/, ''))
      .sort();
  } catch {
    return [];
  }
}

/**
 * Load a policy reference: a builtin name (`blast_radius`, or `blast_radius:{"ask":["make deploy"]}`
 * with JSON/YAML flow params), a bare name of `<configDir>/policies/<ref>.yaml` (or `.yml`), or
 * a file path (relative to `cwd`). Builtin names win over files of the same name (use a path,
 * e.g. `./blast_radius.yaml`, for the file).
 */
export function loadPolicyRef(ref: string, opts: LoadPolicyRefOptions): LoadedPolicyRef {
  const parseOpts = { home: opts.home };
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([\s\S]*))?$/.exec(ref);
  if (m && BUILTINS[m[1]!]) {
    const name = m[1]!;
    let withText = '';
    if (m[2] !== undefined && m[2].trim() !== '') {
      const paramSrc = new YamlSource(`${name} params`, m[2]);
      const v = paramSrc.root();
      if (v.kind() !== 'map') v.fail(`parameters for ${name} must be a mapping like {"key": value}; ${name} takes: ${describeParams(BUILTINS[name]!)}`);
      parseBuiltinParams(BUILTINS[name]!, v, v); // errors point into the ref's own text
      withText = `    with: ${JSON.stringify(v.js())}\n`;
    }
    const text = `policies:\n  - use: ${name}\n${withText}`;
    const source = `builtin:${name}`;
    return { policies: parsePolicyText(text, source, opts.level, parseOpts), source, text };
  }
  const dir = path.join(opts.configDir, 'policies');
  const candidates: string[] = [];
  if (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(ref) && !/\.ya?ml$/.test(ref)) candidates.push(path.join(dir, `${ref}.yaml`), path.join(dir, `${ref}.yml`));
  candidates.push(path.resolve(opts.cwd, ref));
  for (const file of candidates) {
    let text: string;
    try {
      if (!fs.statSync(file).isFile()) continue;
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    return { policies: parsePolicyText(text, file, opts.level, parseOpts), source: file, text };
  }
  if (looksLikePolicyFile(ref)) {
    const file = path.resolve(opts.cwd, ref);
    throw new Error(`no such file ${ref}${file !== ref ? ` (${file})` : ''}`);
  }
  const files = policyFilesIn(dir);
  const hint = suggest(ref, [...builtinNames(), ...files]);
  throw new Error(
    `unknown policy "${ref}"${hint ? ` (did you mean "${hint}"?)` : ''}: not a builtin, not ${path.join(dir, `${ref}.yaml`)}, and no file ${path.resolve(opts.cwd, ref)}. ` +
      `Builtins: ${builtinNames().join(', ')}. Policy files in ${dir}: ${files.length ? files.join(', ') : '(none)'}.`,
  );
}

/**
 * A policy reference that can only mean a file (a path, or a name ending in .yaml/.yml), so a
 * missing one is "no such file", not an unknown builtin or named policy. A builtin with
 * parameters (`deny_paths:{"paths":["/etc"]}`) is not one, whatever its parameters hold.
 */
export function looksLikePolicyFile(ref: string): boolean {
  if (/^[A-Za-z_][A-Za-z0-9_]*:/.test(ref)) return false;
  return ref.includes('/') || ref.startsWith('.') || ref.startsWith('~') || /\.ya?ml$/.test(ref);
}
