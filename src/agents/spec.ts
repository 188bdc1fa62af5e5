import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { YamlError, YamlSource, type YEntry, type YVal } from '../core/yaml.js';
import { parseSandboxBlock, parseSecretsBlock, type SandboxLayer } from '../sandbox/settings.js';

/**
 * An agent spec (docs/AGENTS.md): who the agent is, what it is told, which harness runs it, the
 * policies it runs under, and (with `spawn: true`) the sub-agents it may start. The same spec
 * runs on any harness: `executor.harness` (or `omni run --harness`) is the only thing that changes.
 */
export interface AgentSpec {
  /** The file it is written in (for an inline sub-agent, its parent's file). */
  file: string;
  name: string;
  description?: string;
  prompt?: string;
  executor: { harness: string; model?: string };
  /** Policy files (resolved against the spec's folder) or names (builtins, config policies). */
  policies: Array<{ ref: string; file?: string }>;
  /**
   * The agent's layer of the sandbox settings (docs/SANDBOX.md): top-level `sandbox:` and
   * `secrets:` (inside, as `secrets`); absent when the spec has neither. A `sandbox:` mapping
   * means enabled unless it says `enabled: false`. Paths resolved against the spec's folder.
   */
  sandbox?: SandboxLayer;
  /** Started as a sub-agent, it gets its own git worktree. Default false; `omni run` ignores it. */
  worktree: boolean;
  /** It may start sub-agents through omni's MCP tools. */
  spawn: boolean;
  /** What it may start (`agents:`), by name; empty with `spawn: true` = any harness ad hoc. */
  agents: AgentSpec[];
  /** `limits:`, as SpawnLimits in grant.ts (that file reads specs: the type is spelt here so the two do not import each other). */
  limits?: SpecLimits;
}

export interface SpecLimits {
  maxChildren?: number;
  maxDepth?: number;
  maxConcurrent?: number;
}

const KEYS = ['name', 'description', 'prompt', 'executor', 'policies', 'sandbox', 'secrets', 'worktree', 'spawn', 'agents', 'limits'] as const;
const EXECUTOR_KEYS = ['harness', 'model'] as const;
const LIMIT_KEYS = { max_children: 'maxChildren', max_depth: 'maxDepth', max_concurrent: 'maxConcurrent' } as const;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

interface Ctx {
  harnesses: readonly string[];
  home: string;
  /** Spec files being read, outermost first: a reference to one of them is a cycle. */
  files: string[];
  /** YAML nodes being read: an alias to an enclosing entry would never end. */
  nodes: Set<unknown>;
}

/** Parse and validate; every error names file, line and column (in the file where it is) and says what is valid. */
export function parseAgentSpec(text: string, file: string, harnesses: readonly string[], opts: { home?: string } = {}): AgentSpec {
  return parseFile(text, file, { harnesses, home: opts.home ?? os.homedir(), files: [], nodes: new Set() });
}

export function loadAgentSpec(file: string, harnesses: readonly string[], opts: { home?: string } = {}): AgentSpec {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    throw new YamlError(abs, 1, 1, `cannot read the agent spec: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseAgentSpec(text, abs, harnesses, opts);
}

function parseFile(text: string, file: string, ctx: Ctx): AgentSpec {
  const root = new YamlSource(file, text).root();
  if (root.kind() === 'null') root.fail('the agent spec is empty; it needs at least name and executor.harness');
  return parseSpec(root, file, { ...ctx, files: [...ctx.files, file] });
}

/** One spec: a file's top level, or an inline entry of `agents:` (then `name` defaults to its key). */
function parseSpec(v: YVal, file: string, ctx: Ctx, key?: string): AgentSpec {
  const what = key === undefined ? 'an agent spec' : `agents.${key}`;
  const entries = v.map(what, KEYS);
  const get = (k: string) => entries.find((e) => e.key === k);
  const nameE = get('name');
  if (!nameE && key === undefined) return v.fail('an agent spec needs a "name"');
  const name = nameE ? nameE.value.string('name') : key!;
  if (!NAME_RE.test(name)) (nameE?.value ?? v).fail(`name "${name}" must use letters, digits, "-" and "_"`);
  const exE = get('executor');
  if (!exE) return v.fail(`${what} needs "executor: { harness: … }"`);
  const ex = exE.value.map('executor', EXECUTOR_KEYS);
  const hE = ex.find((e) => e.key === 'harness');
  if (!hE) return exE.value.fail(`executor needs a "harness" (one of ${ctx.harnesses.join(', ')})`);
  const harness = hE.value.oneOf('executor.harness', ctx.harnesses);
  const mE = ex.find((e) => e.key === 'model');
  const model = mE ? mE.value.string('executor.model') : undefined;
  const prompt = get('prompt')?.value.string('prompt');
  const description = get('description')?.value.string('description');
  const policies: AgentSpec['policies'] = [];
  const polE = get('policies');
  if (polE && polE.value.kind() !== 'null') {
    for (const item of polE.value.list('policies')) {
      const ref = item.string('each item of policies (a policy file or a builtin name)');
      if (/[/\\]|\.ya?ml$/.test(ref)) {
        const f = path.resolve(path.dirname(file), ref);
        if (!fs.existsSync(f)) item.fail(`policy file ${ref} not found (looked for ${f})`);
        policies.push({ ref, file: f });
      } else {
        policies.push({ ref });
      }
    }
  }
  const settingsOpts = { baseDir: path.dirname(file), home: ctx.home, inAgentSpec: true };
  const sbE = get('sandbox');
  const secE = get('secrets');
  let sandbox: SandboxLayer | undefined;
  if (sbE || secE) {
    sandbox = sbE ? parseSandboxBlock(sbE.value, settingsOpts) : {};
    if (secE) sandbox.secrets = parseSecretsBlock(secE.value, settingsOpts);
  }
  const worktree = get('worktree')?.value.boolean('worktree') ?? false;
  const spawnE = get('spawn');
  const spawn = spawnE?.value.boolean('spawn (whether this agent may start sub-agents)') ?? false;
  const needsSpawn = (e: YEntry | undefined, why: string) => {
    if (e && !spawn) e.keyVal.fail(`"${e.key}:" ${why}: it needs "spawn: true" next to it${spawnE ? ' (spawn is false)' : ''}`);
  };
  const agentsE = get('agents');
  const limitsE = get('limits');
  needsSpawn(agentsE, 'lists the sub-agents this agent may start');
  needsSpawn(limitsE, 'bounds the sub-agents this agent starts');
  const agents = agentsE ? parseAgents(agentsE.value, file, ctx) : [];
  const limits = limitsE ? parseLimits(limitsE.value) : undefined;
  return {
    file,
    name,
    ...(description !== undefined ? { description } : {}),
    ...(prompt !== undefined ? { prompt } : {}),
    executor: { harness, ...(model ? { model } : {}) },
    policies,
    ...(sandbox ? { sandbox } : {}),
    worktree,
    spawn,
    agents,
    ...(limits ? { limits } : {}),
  };
}

/** `agents:` is a mapping, name → inline spec, or name → a spec file relative to this one. */
function parseAgents(v: YVal, file: string, ctx: Ctx): AgentSpec[] {
  const what = 'agents (a mapping: name → an inline spec, or name → a spec file relative to this one)';
  if (v.kind() !== 'map') v.fail(`${what} must be a mapping, not ${v.kind() === 'list' ? 'a list' : v.kind() === 'null' ? 'nothing' : `a ${v.kind()}`}; leave it out to let the agent start any harness`);
  const out: AgentSpec[] = [];
  const seen = new Map<string, YVal>();
  for (const e of v.map(what)) {
    if (!NAME_RE.test(e.key)) e.keyVal.fail(`agent name "${e.key}" must use letters, digits, "-" and "_"`);
    const sub = parseEntry(e, file, ctx);
    if (seen.has(sub.name)) e.keyVal.fail(`two sub-agents are named "${sub.name}"; names must differ (the lead starts them by name)`);
    seen.set(sub.name, e.keyVal);
    out.push(sub);
  }
  if (!out.length) v.fail('agents must name at least one sub-agent; leave it out to let the agent start any harness');
  return out;
}

function parseEntry(e: YEntry, file: string, ctx: Ctx): AgentSpec {
  const v = e.value;
  const k = v.kind();
  if (k === 'map') {
    if (ctx.nodes.has(v.node)) v.fail(`agents.${e.key} refers to an agent that contains it (a YAML alias); a spec cannot include itself`);
    return parseSpec(v, file, { ...ctx, nodes: new Set([...ctx.nodes, v.node]) }, e.key);
  }
  if (k !== 'string') return v.fail(`agents.${e.key} must be a mapping (an inline spec) or a string (a spec file relative to this one), not ${k === 'list' ? 'a list' : k === 'null' ? 'nothing' : `a ${k}`}`);
  const ref = v.string(`agents.${e.key}`);
  const target = path.resolve(path.dirname(file), ref.startsWith('~/') ? path.join(ctx.home, ref.slice(2)) : ref);
  const at = ctx.files.indexOf(target);
  if (at >= 0) {
    const chain = [...ctx.files.slice(at), target].map((f) => path.relative(path.dirname(ctx.files[0]!), f) || path.basename(f));
    v.fail(`agents.${e.key}: ${ref} includes itself (${chain.join(' → ')}); a spec cannot include itself, directly or not`);
  }
  let text: string;
  try {
    text = fs.readFileSync(target, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return v.fail(code === 'ENOENT' ? `agent spec file ${ref} not found (looked for ${target})` : `cannot read agent spec file ${ref} (${target}): ${code ?? (err as Error).message}`);
  }
  const root = new YamlSource(target, text).root();
  if (root.kind() === 'null') root.fail('the agent spec is empty; it needs at least name and executor.harness');
  // The key is the name the lead starts it by; the file's own `name` is for `omni run` of it.
  return { ...parseSpec(root, target, { ...ctx, files: [...ctx.files, target] }), name: e.key };
}

function parseLimits(v: YVal): SpecLimits {
  const out: SpecLimits = {};
  for (const e of v.map('limits', Object.keys(LIMIT_KEYS))) {
    out[LIMIT_KEYS[e.key as keyof typeof LIMIT_KEYS]] = e.value.int(`limits.${e.key}`, 1);
  }
  return out;
}
