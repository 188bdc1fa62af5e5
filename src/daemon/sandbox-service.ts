import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from './config.js';
import { OmniError } from '../core/errors.js';
import type { NewEvent } from '../core/events.js';
import { readJsonFile, writeFileAtomic } from '../core/fsutil.js';
import type { SessionRecord } from '../core/session.js';
import type { EgressProxy, UpstreamContexts } from '../egress/proxy.js';
import { compileRules, evaluateNetwork } from '../egress/rules.js';
import type { EgressDecision, EgressRequest, ResolvedSecret, SessionCaPems } from '../egress/types.js';
import type { DecisionRequest, HarnessAdapter, LaunchSpec, Verdict } from '../harnesses/types.js';
import type { LoadedPolicy, Policy } from '../policy/types.js';
import { sandboxLaunchScript, type SandboxPlan } from '../sandbox/bwrap.js';
import { detectBwrap, SandboxUnavailable } from '../sandbox/detect.js';
import { harnessPath, unreachable } from '../sandbox/harness-path.js';
import { proxyEnv, sandboxEnv } from '../sandbox/env.js';
import { writeSeccompFile } from '../sandbox/seccomp.js';
import { placeholderFor, resolveSecret } from '../sandbox/secrets.js';
import { mergeSandbox, type SandboxLayer } from '../sandbox/settings.js';
import type { SandboxSettings, SecretInjection } from '../sandbox/types.js';

/** The port the in-sandbox forwarder listens on (loopback of the sandbox's own network namespace). */
export const PROXY_PORT = 3128;

/** What is kept on disk for a sandboxed session, so a restarted daemon rebuilds its proxy. */
interface Persisted {
  settings: SandboxSettings;
  /** Secret name → the placeholder the sandbox holds. */
  placeholders: Record<string, string>;
  /** Model credentials turned into secrets (name → injection), per the adapter at launch. */
  model: { endpoints: string[]; secrets: Array<{ name: string; env: string; header: string; value: string; endpoints?: string[] }> };
}

interface Running {
  proxy: EgressProxy;
  network: LoadedPolicy;
}

export interface SandboxServiceDeps {
  /** `run/agent/<id>/`: bound read-only into the sandbox (hook.sock, proxy.sock, ca.pem). */
  agentDir(id: string): string;
  /** `state/sessions/<id>/`: never visible inside. */
  sessionDir(id: string): string;
  omniHome: string;
  configDir: string;
  /** omni's own package (hook client, forwarder) and node, readable inside. */
  pkgRoot: string;
  node: string;
  decide(rec: SessionRecord, req: DecisionRequest, signal: AbortSignal, extra: LoadedPolicy[]): Promise<Verdict>;
  emit(rec: SessionRecord, ev: NewEvent): void;
  log(msg: string): void;
  /** The daemon's own environment: where `from: {env}` secrets are looked up again after a restart. */
  daemonEnv: Record<string, string>;
}

/**
 * Sandboxed sessions (docs/SANDBOX.md): the bwrap launch, the session CA, the secrets (real
 * values only in this process), and the per-session egress proxy whose decisions go through
 * the policy engine at the `egress` phase. Per-harness knowledge comes from the adapter's
 * `sandboxNeeds`; nothing here knows a harness by name.
 */
interface EgressParts {
  ca: typeof import('../egress/ca.js');
  proxy: typeof import('../egress/proxy.js');
  upstreamContexts: UpstreamContexts;
}

export class SandboxService {
  private running = new Map<string, Running>();
  /** Per session: when its sandbox was launched, and why its harness cannot start there, if known. */
  private launches = new Map<string, { at: number; harness: string; unreachable?: string }>();
  private egressParts: Promise<EgressParts> | undefined;

  constructor(private readonly deps: SandboxServiceDeps) {}

  /**
   * The egress proxy and its CA code (x509: ~200 ms to load) are loaded when a first sandbox
   * needs them, not on every daemon start: most daemons run no sandbox.
   */
  private egress(): Promise<EgressParts> {
    return (this.egressParts ??= Promise.all([import('../egress/ca.js'), import('../egress/proxy.js')]).then(([ca, proxy]) => ({ ca, proxy, upstreamContexts: new proxy.UpstreamContexts() })));
  }

  /** config.yaml's `sandbox:`/`secrets:` with the request's layers over it (agent spec, flag). */
  settings(layers: SandboxLayer[]): SandboxSettings {
    return mergeSandbox(loadConfig(this.deps.configDir).sandbox, ...layers);
  }

  savedSettings(id: string): SandboxSettings | undefined {
    return readJsonFile<Persisted>(path.join(this.deps.sessionDir(id), 'sandbox.json'))?.settings;
  }

  /**
   * Prepare a sandboxed launch: check bwrap, resolve secrets, start the proxy, and return the
   * environment the adapter should prepare against (placeholders, not model keys) plus a
   * function that turns the adapter's LaunchSpec into the pane script.
   */
  async begin(
    rec: SessionRecord,
    adapter: HarnessAdapter,
    callerEnv: Record<string, string>,
    settings: SandboxSettings,
  ): Promise<{ env: Record<string, string>; started: NewEvent; script(spec: LaunchSpec): string }> {
    if (process.platform !== 'linux') {
      throw new OmniError(`--sandbox runs on Linux (bubblewrap) only for now; on ${process.platform} the Seatbelt profile is generated but not wired`, 'sandbox_unavailable');
    }
    if (!adapter.sandboxNeeds) throw new OmniError(`${adapter.displayName} cannot run in omni's sandbox yet`, 'sandbox_unavailable');
    let bwrap: { path: string };
    try {
      bwrap = await detectBwrap(callerEnv);
    } catch (err) {
      if (err instanceof SandboxUnavailable) throw new OmniError(err.message, 'sandbox_unavailable');
      throw err;
    }
    const home = callerEnv.HOME ? path.resolve(callerEnv.HOME) : undefined;
    if (home && (rec.cwd === home || !path.relative(rec.cwd, home).startsWith('..'))) {
      // The working folder is bound writable: it would bring all of $HOME back in.
      throw new OmniError(`--sandbox: the working folder ${rec.cwd} contains your home folder, whose secrets the sandbox hides; start it in a project folder`, 'bad_request');
    }
    const needs = adapter.sandboxNeeds(callerEnv, rec.cwd);
    // Model keys become secrets bound to the model endpoints: the harness holds a placeholder.
    const model: Persisted['model'] = { endpoints: needs.modelEndpoints, secrets: [] };
    for (const c of needs.modelCredentials) {
      if (callerEnv[c.env]) model.secrets.push({ name: `model:${c.env}`, ...c });
    }
    const placeholders: Record<string, string> = {};
    for (const s of settings.secrets) placeholders[s.name] = placeholderFor(s.name);
    for (const m of model.secrets) placeholders[m.name] = placeholderFor(m.env);
    const persisted: Persisted = { settings, placeholders, model };
    const values = await this.resolveAll(persisted, callerEnv);
    // Values read from the caller's environment cannot be read again after a daemon restart;
    // they are kept beside the session (0600, outside every sandbox) until it ends.
    const fromEnv: Record<string, string> = {};
    for (const s of settings.secrets) if ('env' in s.from) fromEnv[s.name] = values[s.name]!;
    for (const m of model.secrets) fromEnv[m.name] = values[m.name]!;
    const sdir = this.deps.sessionDir(rec.id);
    writeFileAtomic(path.join(sdir, 'sandbox.json'), JSON.stringify(persisted, null, 2) + '\n', 0o600);
    writeFileAtomic(path.join(sdir, 'secrets.json'), JSON.stringify(fromEnv) + '\n', 0o600);
    const ca = await (await this.egress()).ca.createSessionCa(`omni session ${rec.id}`);
    writeFileAtomic(path.join(sdir, 'egress-ca.json'), JSON.stringify(ca) + '\n', 0o600);
    await this.startProxy(rec, persisted, ca, values);

    const adir = this.deps.agentDir(rec.id);
    const caFile = path.join(adir, 'ca.pem');
    const bundleFile = path.join(adir, 'ca-bundle.pem');
    // The adapter prepares against what the sandbox will hold: placeholders for model keys.
    const adapterEnv = { ...callerEnv };
    for (const m of model.secrets) adapterEnv[m.env] = placeholders[m.name]!;
    const seccomp = path.join(sdir, 'seccomp.bpf');
    writeSeccompFile(seccomp);

    const started: NewEvent = {
      type: 'sandbox.started',
      data: {
        backend: 'bwrap',
        writable: [rec.cwd, ...needs.writable, ...settings.write],
        allow: this.allowRules(persisted),
        unknown: settings.network.unknown,
        secrets: settings.secrets.map((s) => s.name),
        modelEndpoints: needs.modelEndpoints,
      },
    };

    return {
      env: adapterEnv,
      started,
      script: (spec: LaunchSpec) => {
        const set: Record<string, string> = {
          ...proxyEnv(PROXY_PORT, caFile, bundleFile),
          ...Object.fromEntries((needs.caEnv ?? []).map((v) => [v, bundleFile])),
          ...spec.env,
          HOME: callerEnv.HOME ?? '/',
          TMPDIR: '/tmp',
          // bin/omni-hook must not start a daemon from inside: it could not reach anything.
          OMNI_SANDBOXED: '1',
        };
        for (const s of settings.secrets) for (const v of s.env) set[v] = placeholders[s.name]!;
        for (const m of model.secrets) set[m.env] = placeholders[m.name]!;
        Object.assign(set, gitIdentity(callerEnv));
        const { env } = sandboxEnv(adapterEnv, { pass: [...needs.env, ...settings.env], set });
        const hidden = [callerEnv.HOME ?? '/root', this.deps.omniHome, this.deps.configDir].map((p) => path.resolve(p));
        const harness = harnessPath(spec.command, { path: callerEnv.PATH, home: callerEnv.HOME, hidden });
        const plan: SandboxPlan = {
          home: callerEnv.HOME ?? '/root',
          hide: [this.deps.omniHome, this.deps.configDir],
          cwd: rec.cwd,
          writable: [...gitCommonDir(rec.cwd), ...needs.writable, ...settings.write],
          readable: [...this.readable(callerEnv), ...harness.readable, ...(spec.generated ?? []), ...needs.readable, ...settings.read],
          agentDir: adir,
          env,
          command: spec.command,
          args: spec.args,
          proxy: { socket: path.join(adir, 'proxy.sock'), port: PROXY_PORT, forwarder: path.join(this.deps.pkgRoot, 'dist', 'sandbox', 'forwarder.js'), node: this.deps.node },
          seccomp,
        };
        const binds = [plan.cwd, plan.agentDir, ...plan.writable, ...plan.readable].map((p) => path.resolve(p));
        this.launches.set(rec.id, { at: Date.now(), harness: adapter.binaryName, unreachable: unreachable(adapter.binaryName, harness, { hidden, binds }) });
        return sandboxLaunchScript(plan, bwrap.path);
      },
    };
  }

  /** After a daemon restart: the same CA, settings and secrets, a new proxy on the same path. */
  async adopt(rec: SessionRecord): Promise<void> {
    if (!rec.sandbox || this.running.has(rec.id)) return;
    const sdir = this.deps.sessionDir(rec.id);
    const persisted = readJsonFile<Persisted>(path.join(sdir, 'sandbox.json'));
    const ca = readJsonFile<SessionCaPems>(path.join(sdir, 'egress-ca.json'));
    if (!persisted || !ca) {
      this.deps.emit(rec, { type: 'error', data: { message: 'the sandbox state of this session is missing; its network stays closed', code: 'sandbox_state_missing' } });
      return;
    }
    const kept = readJsonFile<Record<string, string>>(path.join(sdir, 'secrets.json')) ?? {};
    const values = await this.resolveAll(persisted, { ...this.deps.daemonEnv }, kept).catch((err: Error) => {
      this.deps.emit(rec, { type: 'error', data: { message: `${err.message}; requests that need it go out without it`, code: 'secret_unavailable' } });
      return {} as Record<string, string>;
    });
    await this.startProxy(rec, persisted, ca, values);
  }

  async close(id: string, opts: { forget?: boolean } = {}): Promise<void> {
    const r = this.running.get(id);
    this.running.delete(id);
    await r?.proxy.close().catch(() => {});
    // A session that ended keeps no secret on disk.
    if (opts.forget) fs.rmSync(path.join(this.deps.sessionDir(id), 'secrets.json'), { force: true });
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.close(id)));
  }

  private async resolveAll(p: Persisted, env: Record<string, string>, kept: Record<string, string> = {}): Promise<Record<string, string>> {
    const values: Record<string, string> = {};
    for (const s of p.settings.secrets) {
      values[s.name] = 'env' in s.from && kept[s.name] ? kept[s.name]! : await resolveSecret(s.name, s.from, env);
    }
    for (const m of p.model.secrets) {
      const v = kept[m.name] ?? env[m.env];
      if (v) values[m.name] = v;
    }
    return values;
  }

  /** Hosts always reachable: the model endpoints and every host a secret is bound to. */
  private allowRules(p: Persisted): string[] {
    const out = new Set(p.settings.network.allow);
    for (const e of p.model.endpoints) out.add(endpointRule(e));
    for (const s of p.settings.secrets) for (const i of s.inject) out.add(i.host);
    return [...out];
  }

  private async startProxy(rec: SessionRecord, p: Persisted, ca: SessionCaPems, values: Record<string, string>): Promise<void> {
    const egress = await this.egress();
    const { caBundle } = egress.ca;
    const adir = this.deps.agentDir(rec.id);
    fs.mkdirSync(adir, { recursive: true, mode: 0o700 });
    writeFileAtomic(path.join(adir, 'ca.pem'), ca.certPem, 0o644);
    writeFileAtomic(path.join(adir, 'ca-bundle.pem'), caBundle(ca.certPem), 0o644);
    const secrets: ResolvedSecret[] = [];
    for (const s of p.settings.secrets) {
      if (values[s.name]) secrets.push({ name: s.name, value: values[s.name]!, placeholder: p.placeholders[s.name]!, inject: s.inject, push: s.push });
    }
    for (const m of p.model.secrets) {
      if (!values[m.name]) continue;
      // Only to the endpoints this key is for: an API key must not replace, say, a login's token elsewhere.
      const inject: SecretInjection[] = (m.endpoints ?? p.model.endpoints).map((e) => ({ host: endpointHost(e), header: m.header, value: m.value }));
      secrets.push({ name: m.name, value: values[m.name]!, placeholder: p.placeholders[m.name]!, inject, push: [], loopbackHttp: true });
    }
    const network = networkPolicy(this.allowRules(p), p.settings.network.deny, p.settings.network.unknown);
    const upstreamCa = p.settings.network.upstreamCa.map((f) => {
      try {
        return fs.readFileSync(f, 'utf8');
      } catch (err) {
        throw new OmniError(`sandbox.network.upstream_ca: cannot read ${f} (${(err as NodeJS.ErrnoException).code})`, 'config_invalid');
      }
    });
    const modelEndpoints = new Set(p.model.endpoints.map(endpointHostPort));
    const proxy = new egress.proxy.EgressProxy({
      listen: { path: path.join(adir, 'proxy.sock') },
      ca,
      secrets,
      resolve: p.settings.network.resolve,
      // The model endpoints the user configured may be on loopback (a local gateway, tests).
      trusted: p.model.endpoints.map(endpointHostPort),
      upstreamCa,
      upstreamContexts: egress.upstreamContexts,
      // A request to a model endpoint is the next model message: budgets may refuse it (cost_budget).
      decide: (req, signal) => this.decide(rec, modelEndpoints.has(`${req.host}:${req.port}`) ? { ...req, model: true } : req, signal, network),
      onEvent: (ev) => this.deps.emit(rec, { type: 'egress.request', data: ev }),
      log: (msg) => this.deps.log(`${rec.id}: egress: ${msg}`),
    });
    await proxy.start();
    this.running.set(rec.id, { proxy, network });
  }

  private async decide(rec: SessionRecord, req: EgressRequest & { model?: boolean }, signal: AbortSignal, network: LoadedPolicy): Promise<EgressDecision> {
    const v = await this.deps.decide(rec, { phase: 'egress', ...req }, signal, [network]);
    // The network policy always has an opinion; `none` can only mean no policy ran at all.
    if (v.verdict === 'allow') return { verdict: 'allow', reason: v.reason };
    return { verdict: 'deny', reason: v.reason ?? 'no rule allows this request' };
  }

  /**
   * Why a sandboxed harness that ended at once (exit 126/127, or within 10 s of its launch)
   * ended, when the sandbox is the likely cause: shown by `omni ls` and in session.exited.
   */
  whyExited(rec: SessionRecord, code: number | null): string | undefined {
    const l = this.launches.get(rec.id);
    this.launches.delete(rec.id);
    if (!rec.sandbox || !l || code === null || code === 0) return undefined;
    const secs = Math.round((Date.now() - l.at) / 1000);
    if (code !== 126 && code !== 127 && secs > 10) return undefined;
    return l.unreachable ?? `${l.harness} exited with status ${code} ${secs} s after starting in the sandbox; its last screen stays in the pane (omni attach ${rec.name})`;
  }

  /** What must stay readable when $HOME is hidden: omni itself, node, PATH dirs (the harness: harnessPath()). */
  private readable(env: Record<string, string>): string[] {
    const out = new Set<string>([this.deps.pkgRoot, path.dirname(path.dirname(this.deps.node))]);
    const home = env.HOME;
    for (const dir of (env.PATH ?? '').split(':')) if (home && dir.startsWith(home + '/')) out.add(dir);
    return [...out];
  }
}

/** The `sandbox.network` section as the policy engine sees it (`egress` phase, evaluated last). */
export function networkPolicy(allow: string[], deny: string[], unknown: 'deny' | 'ask'): LoadedPolicy {
  const rules = { allow: compileRules(allow), deny: compileRules(deny) };
  const policy: Policy = {
    name: 'sandbox_network',
    phases: ['egress'],
    source: 'sandbox.network',
    evaluate(subject) {
      const e = subject.egress!;
      const req: EgressRequest = { scheme: e.scheme ?? 'https', host: e.host, port: e.port ?? 443, method: e.method ?? 'GET', path: e.path ?? '/' };
      const v = evaluateNetwork(rules, req);
      if (v === 'deny') return { verdict: 'deny', reason: `${req.method} ${req.host}${req.path} is denied by sandbox.network.deny` };
      if (v === 'allow') return { verdict: 'allow' };
      if (unknown === 'deny') return { verdict: 'deny', reason: `${req.host} is not in sandbox.network.allow` };
      // "Approve for the session" opens the host, not just this path.
      return { verdict: 'ask', reason: `the agent wants to reach ${req.host}, which sandbox.network.allow does not list`, grantKey: req.host };
    },
  };
  return { policy, level: 'global' };
}

function endpointHost(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

function endpointHostPort(url: string): string {
  const u = new URL(url);
  return `${endpointHost(url)}:${u.port || (u.protocol === 'http:' ? '80' : '443')}`;
}

function endpointRule(url: string): string {
  const u = new URL(url);
  return u.port ? endpointHostPort(url) : endpointHost(url);
}

/** A worktree's `.git` is a file pointing into the main repository: git writes there too. */
function gitCommonDir(cwd: string): string[] {
  try {
    const text = fs.readFileSync(path.join(cwd, '.git'), 'utf8');
    const m = /^gitdir:\s*(.+)$/m.exec(text);
    if (!m) return [];
    const gitdir = path.resolve(cwd, m[1]!.trim());
    const common = fs.existsSync(path.join(gitdir, 'commondir')) ? path.resolve(gitdir, fs.readFileSync(path.join(gitdir, 'commondir'), 'utf8').trim()) : gitdir;
    return [...new Set([gitdir, common])];
  } catch {
    return [];
  }
}

/** ~/.gitconfig stays hidden (it may hold tokens in URLs); commits still get the user's name. */
function gitIdentity(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const file = env.HOME ? path.join(env.HOME, '.gitconfig') : '';
  let text = '';
  try {
    text = file ? fs.readFileSync(file, 'utf8') : '';
  } catch {
    return out;
  }
  const user = /\[user\]([^[]*)/i.exec(text)?.[1] ?? '';
  const name = /^\s*name\s*=\s*(.+)$/im.exec(user)?.[1]?.trim();
  const email = /^\s*email\s*=\s*(.+)$/im.exec(user)?.[1]?.trim();
  if (name) out.GIT_AUTHOR_NAME = out.GIT_COMMITTER_NAME = name;
  if (email) out.GIT_AUTHOR_EMAIL = out.GIT_COMMITTER_EMAIL = email;
  return out;
}
