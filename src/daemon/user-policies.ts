import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isLive, type SessionRecord } from '../core/session.js';
import { evaluatePolicies } from '../policy/engine.js';
import { compileSnapshot } from '../policy/snapshot.js';
import { PolicyState } from '../policy/state.js';
import type { DecisionRequest, SpendView, Verdict } from '../policy/types.js';

export interface UserPoliciesDeps {
  configDir: string;
  listSessions(): SessionRecord[];
  /** Today's spend (the cost ledger), for a global day budget. */
  day(): SpendView['day'];
  log?(msg: string): void;
}

/**
 * A person's own omni MCP calls (`omni mcp` outside any session) against the global policies
 * (policies.yaml) only: there is no session, so no session or agent policies, no state between
 * calls and no log of its own to record in. Nothing can be held for a person who is the caller
 * already, so an ask is refused like a deny (fail closed), saying so.
 */
export class UserPolicies {
  constructor(private readonly deps: UserPoliciesDeps) {}

  async decide(req: Extract<DecisionRequest, { phase: 'mcp' }>, cwd: string): Promise<Verdict> {
    const file = path.join(this.deps.configDir, 'policies.yaml');
    if (!fs.existsSync(file)) return { verdict: 'none' };
    const policies = compileSnapshot({ source: file, text: fs.readFileSync(file, 'utf8'), level: 'global' }, { cwd, configDir: this.deps.configDir });
    if (!policies.some((p) => p.policy.phases.includes('mcp'))) return { verdict: 'none' };
    const all = this.deps.listSessions();
    const none = { usd: 0, unpricedModels: [] };
    const r = await evaluatePolicies(
      policies,
      {
        phase: 'mcp',
        session: { id: 'user', name: os.userInfo().username, harness: 'none', cwd },
        // The person's tree is every session: roots are their children, every live one counts.
        mcp: { tool: req.tool, args: req.args, tree: { children: all.filter((s) => !s.parent).length, live: all.filter((s) => isLive(s.status)).length, depth: 0 } },
        spend: { session: none, tree: none, day: this.deps.day() },
      },
      new PolicyState(),
    );
    if (r.verdict === 'deny' || r.verdict === 'ask') {
      this.deps.log?.(`mcp ${req.tool} as the user: ${r.verdict} by ${r.policies.join(', ')}: ${r.reason ?? ''}`);
      const reason = r.verdict === 'ask' ? `${r.reason ?? 'a policy asks'} (an ask cannot be held for a call outside any session, so it is refused)` : r.reason;
      return { verdict: 'deny', ...(reason ? { reason } : {}), policy: r.policies[0] };
    }
    return { verdict: r.verdict, policy: r.policies[0] };
  }
}
