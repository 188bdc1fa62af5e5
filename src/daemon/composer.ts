import type { SpawnGrant, SubAgent } from '../agents/grant.js';
import type { OmniEvent } from '../core/events.js';
import { OmniError } from '../core/errors.js';
import { findSession, isLive, type SessionRecord, type SessionWorktree } from '../core/session.js';
import type { McpCallReply, McpToolName } from '../mcp/tools.js';
import type { DecisionRequest, Verdict } from '../policy/types.js';
import type { ChildWatch, WaitFor } from './child-watch.js';
import { startChild, type ChildStartRequest } from './child-start.js';
import { checkArgs } from './composer-args.js';
import { compactEntries } from './composer-read.js';
import { readEventLines } from './event-reader.js';
import { treeSpend } from './policy-spend.js';
import { deepestFirst, findNode, sessionTree } from '../core/session-tree.js';
import { depths, descendants } from './session-tree.js';
import type { CreateSessionRequest } from './sessions.js';
import type { SendResult } from './pane-io.js';
import { loadGrant, loadSpawnEnv } from './spawn-grants.js';

/** Who calls: a session through its own agent socket, or the person through the control socket. */
export type McpIdentity = { kind: 'session'; id: string } | { kind: 'user'; env: Record<string, string> };

/** Worktrees (src/worktree/): made for a child before it starts, diffed for omni_diff. */
export interface WorktreePort {
  create(opts: { repoDir: string; root: string; id: string; name: string; base?: string }): Promise<SessionWorktree>;
  diff(wt: SessionWorktree): Promise<{ diff: string; truncated?: boolean }>;
}

export interface ComposerDeps {
  store: { get(id: string): SessionRecord | undefined; all(): SessionRecord[]; sessionDir(id: string): string; eventsFile(id: string): string };
  sessions: {
    create(req: CreateSessionRequest): Promise<SessionRecord>;
    send(rec: SessionRecord, text: string): Promise<SendResult>;
    stop(rec: SessionRecord): Promise<SessionRecord>;
  };
  /** PolicyService.decide: every call of a session is decided at phase `mcp`. */
  decide(rec: SessionRecord, req: DecisionRequest, signal?: AbortSignal): Promise<Verdict>;
  /** The person's calls: the global policies only (user-policies.ts). */
  decideUser(req: Extract<DecisionRequest, { phase: 'mcp' }>, cwd: string): Promise<Verdict>;
  harnessNames(): string[];
  watch: ChildWatch;
  worktrees: WorktreePort;
  /** $OMNI_HOME/worktrees */
  worktreeRoot: string;
  log?(msg: string): void;
}

const WAIT_DEFAULT_S = 300;

/**
 * omni's MCP tools (src/mcp/tools.ts) for one caller: a session sees and drives only its
 * descendants, the person every session. Every call of a session passes the policy engine at
 * phase `mcp` first. Refusals are replies (`{ok: false, error}`), never HTTP errors.
 */
export class Composer {
  constructor(private readonly deps: ComposerDeps) {}

  async call(who: McpIdentity, tool: string, rawArgs: unknown, signal?: AbortSignal): Promise<McpCallReply> {
    try {
      const { tool: name, args } = checkArgs(tool, rawArgs);
      const lead = who.kind === 'session' ? this.session(who.id) : undefined;
      await this.allowed(who, lead, name, args, signal);
      return { ok: true, result: await this.run(who, lead, name, args, signal) };
    } catch (err) {
      const e = err instanceof OmniError ? err : new OmniError((err as Error)?.message ?? String(err), 'internal');
      if (!(err instanceof OmniError)) this.deps.log?.(`mcp ${tool}: ${(err as Error)?.stack ?? err}`);
      return { ok: false, error: { code: e.code, message: e.message } };
    }
  }

  private run(who: McpIdentity, lead: SessionRecord | undefined, tool: McpToolName, a: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> | unknown {
    switch (tool) {
      case 'omni_agents':
        return this.agents(lead);
      case 'omni_spawn':
        return this.spawn(who, lead, a);
      case 'omni_send':
        return this.send(lead, a.session as string, a.text as string);
      case 'omni_wait':
        return this.wait(lead, a.sessions as string[], (a.for as WaitFor | undefined) ?? 'idle', (a.timeout_s as number | undefined) ?? WAIT_DEFAULT_S, signal);
      case 'omni_read':
        return this.read(lead, a.session as string, a.since as number | undefined, a.last as number | undefined);
      case 'omni_diff':
        return this.diff(lead, a.session as string);
      case 'omni_stop':
        return this.stop(lead, a.session as string);
      case 'omni_sessions':
        return this.list(lead);
    }
  }

  private async allowed(who: McpIdentity, lead: SessionRecord | undefined, tool: McpToolName, args: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    const req = { phase: 'mcp' as const, tool, args };
    const v = lead ? await this.deps.decide(lead, req, signal) : await this.deps.decideUser(req, (who.kind === 'user' && who.env.PWD) || '/');
    if (v.verdict === 'deny') throw new OmniError(`${v.reason ?? 'denied by policy'}${v.policy ? ` (policy ${v.policy})` : ''}`, 'denied');
  }

  private agents(lead: SessionRecord | undefined): unknown {
    if (!lead) return { agents: [], anyHarness: true, harnesses: this.deps.harnessNames(), limits: {} };
    const g = this.grant(lead);
    return {
      agents: g.agents.map((e) => ({ name: e.name, ...(e.description ? { description: e.description } : {}), harness: e.executor.harness, ...(e.executor.model ? { model: e.executor.model } : {}), worktree: e.worktree })),
      anyHarness: g.anyHarness === true,
      ...(g.anyHarness ? { harnesses: this.deps.harnessNames() } : {}),
      limits: g.limits ?? {},
    };
  }

  private async spawn(who: McpIdentity, lead: SessionRecord | undefined, a: Record<string, unknown>): Promise<unknown> {
    const grant = lead ? this.grant(lead) : undefined;
    if (a.agent !== undefined && a.harness !== undefined) throw new OmniError('omni_spawn: give agent or harness, not both', 'bad_request');
    let entry: SubAgent | undefined;
    if (a.agent !== undefined) {
      entry = grant?.agents.find((e) => e.name === a.agent);
      if (!entry) {
        const names = grant?.agents.map((e) => e.name) ?? [];
        throw new OmniError(`no agent "${a.agent}" to start; ${names.length ? `agents: ${names.join(', ')}` : 'this caller has no agents list; name a harness'}`, 'not_found');
      }
    } else if (a.harness !== undefined) {
      if (grant && !grant.anyHarness) throw new OmniError(`this session may start only the agents its spec names (${grant.agents.map((e) => e.name).join(', ') || 'none'}), not a harness ad hoc`, 'forbidden');
    } else {
      throw new OmniError(`omni_spawn: name an agent${grant?.agents.length ? ` (${grant.agents.map((e) => e.name).join(', ')})` : ''} or a harness`, 'bad_request');
    }
    const harness = entry?.executor.harness ?? (a.harness as string);
    const harnesses = this.deps.harnessNames();
    if (!harnesses.includes(harness)) throw new OmniError(`no harness "${harness}"; harnesses: ${harnesses.join(', ')}`, 'bad_request');
    const name = (a.name as string | undefined) ?? this.freeName(entry?.name ?? harness);
    const env = lead ? (loadSpawnEnv(this.deps.store.sessionDir(lead.id)) ?? {}) : (who as { env: Record<string, string> }).env;
    const cwd = lead?.cwd ?? env.PWD;
    if (!cwd) throw new OmniError('omni_spawn: the caller\'s environment has no PWD, so there is no directory to start in', 'bad_request');
    const prompt = [entry?.prompt, a.prompt as string].filter((p) => p && p.trim()).join('\n\n');
    const { rec, worktree } = await this.startChild({
      harness,
      name,
      cwd,
      env,
      ...(entry?.executor.model ? { model: entry.executor.model } : {}),
      policies: entry?.policies ?? [],
      ...(prompt ? { prompt } : {}),
      ...(entry ? { agent: { name: entry.name, file: entry.file } } : {}),
      sandbox: entry?.sandbox ? [entry.sandbox] : [],
      ...(lead ? { parent: lead.id } : {}),
      ...(entry?.spawn ? { spawn: withInheritedDepth(entry.spawn, grant?.limits?.maxDepth) } : {}),
      ...(((a.worktree as boolean | undefined) ?? entry?.worktree ?? false) ? { worktree: typeof a.base === 'string' ? { base: a.base } : {} } : {}),
    });
    return { session: rec.id, name: rec.name, harness: rec.harness, ...(worktree ? { worktree: worktree.path, branch: worktree.branch } : {}) };
  }

  /** A session (and its worktree) started the one way omni starts children: child-start.ts. Polly starts its sessions through this too. */
  startChild(req: ChildStartRequest): Promise<{ rec: SessionRecord; worktree?: SessionWorktree }> {
    return startChild(this.deps, req);
  }

  private async send(lead: SessionRecord | undefined, ref: string, text: string): Promise<unknown> {
    const rec = this.resolve(lead, ref);
    if (!text) throw new OmniError('omni_send: "text" is empty', 'bad_request');
    const r = await this.deps.sessions.send(rec, text);
    return { session: rec.id, accepted: r.accepted, ...(r.queued ? { queued: true } : {}), ...(r.blocked ? { blocked: r.blocked } : {}), ...(r.held ? { held: r.held } : {}) };
  }

  private async wait(lead: SessionRecord | undefined, refs: string[], mode: WaitFor, timeoutS: number, signal?: AbortSignal): Promise<unknown> {
    const recs = refs.map((r) => this.resolve(lead, r));
    const { timedOut } = await this.deps.watch.wait(recs.map((r) => r.id), mode, Math.min(timeoutS, 3600) * 1000, signal);
    const sessions = recs.map((r) => {
      const cur = this.deps.store.get(r.id) ?? r;
      return { session: cur.id, name: cur.name, status: cur.status, ...(cur.exitCode != null ? { exitCode: cur.exitCode } : {}) };
    });
    return { sessions, timedOut };
  }

  private async read(lead: SessionRecord | undefined, ref: string, since: number | undefined, last: number | undefined): Promise<unknown> {
    const rec = this.resolve(lead, ref);
    const from = since ?? 0;
    // The log read as `omni events` reads it: `since` found by binary search, a block at a time
    // off the event loop (a child's log can be long, and the daemon must not stall on it).
    const events: OmniEvent[] = [];
    for await (const batch of readEventLines(this.deps.store.eventsFile(rec.id), { since: from })) for (const l of batch) events.push(JSON.parse(l.text) as OmniEvent);
    const { entries, next } = compactEntries(events, { since: from, ...(last !== undefined ? { last } : {}) });
    return { session: rec.id, entries, next };
  }

  private async diff(lead: SessionRecord | undefined, ref: string): Promise<unknown> {
    const rec = this.resolve(lead, ref);
    if (!rec.worktree) throw new OmniError(`session ${rec.name} has no worktree of its own (it was started with worktree: false), so there is no diff to show`, 'bad_request');
    const d = await this.deps.worktrees.diff(rec.worktree);
    return { session: rec.id, branch: rec.worktree.branch, base: rec.worktree.base, diff: d.diff, ...(d.truncated ? { truncated: true } : {}) };
  }

  /** The session and everything it started, deepest first. */
  private async stop(lead: SessionRecord | undefined, ref: string): Promise<unknown> {
    const rec = this.resolve(lead, ref);
    const node = findNode(sessionTree(this.deps.store.all()), rec.id);
    const stopped: string[] = [];
    for (const r of node ? deepestFirst(node) : [rec]) {
      if (!isLive(r.status)) continue;
      await this.deps.sessions.stop(r);
      stopped.push(r.id);
    }
    return { stopped };
  }

  private list(lead: SessionRecord | undefined): unknown {
    const all = this.deps.store.all();
    const rows = this.scope(lead, all);
    const depth = depths(all);
    return {
      sessions: rows.map((r) => ({
        session: r.id,
        name: r.name,
        harness: r.harness,
        status: r.status,
        parent: r.parent ?? null,
        depth: depth.get(r.id) ?? 0,
        ...(r.worktree ? { worktree: r.worktree.path, branch: r.worktree.branch } : {}),
        costUsd: r.cost?.computedUsd ?? 0,
        treeCostUsd: treeSpend(r, all).usd,
      })),
    };
  }

  // ---- identity and scope ----

  private session(id: string): SessionRecord {
    const rec = this.deps.store.get(id);
    if (!rec) throw new OmniError(`session ${id} is not known to the daemon`, 'forbidden');
    return rec;
  }

  private grant(lead: SessionRecord): SpawnGrant {
    const g = lead.spawn ? loadGrant(this.deps.store.sessionDir(lead.id)) : undefined;
    if (!g) throw new OmniError(`session ${lead.name} may not start sub-agents (its spec has no spawn: true)`, 'forbidden');
    return g;
  }

  /** What the caller may see: a session's descendants, or (the person) every session. */
  private scope(lead: SessionRecord | undefined, all = this.deps.store.all()): SessionRecord[] {
    return lead ? descendants(lead.id, all) : all;
  }

  /** A session by id or name among those the caller may address (a name prefers a live one, then the newest). */
  private resolve(lead: SessionRecord | undefined, ref: string): SessionRecord {
    const mine = this.scope(lead);
    const pick = findSession(mine, ref);
    if (pick) return pick;
    const known = mine.map((r) => `${r.name} (${r.id})`);
    throw new OmniError(`no session "${ref}" among ${lead ? 'your sub-agents' : 'the sessions'}; ${known.length ? `you may address: ${known.join(', ')}` : 'you have started none'}`, 'not_found');
  }

  private freeName(base: string): string {
    const taken = new Set(this.deps.store.all().map((s) => s.name));
    for (let n = 1; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }
}

/**
 * A child's own grant, bounded by its parent's `maxDepth` too: depth counts from the root, so
 * the root's bound holds for the whole tree, not only for the root's own spawns.
 */
function withInheritedDepth(grant: SpawnGrant, parentMax: number | undefined): SpawnGrant {
  if (parentMax === undefined) return grant;
  const own = grant.limits?.maxDepth;
  return { ...grant, limits: { ...grant.limits, maxDepth: own === undefined ? parentMax : Math.min(own, parentMax) } };
}
