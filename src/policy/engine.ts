import { PolicyState } from './state.js';
import { LEVELS, type EngineResult, type LoadedPolicy, type PolicySubject, type PolicyVote, type StateUpdate } from './types.js';

/**
 * Evaluate a subject against a session's policies: session level first, then agent, then
 * global; a deny wins at once; asks accumulate (minus those a session grant covers); a policy
 * that throws counts as a deny. State updates are returned, not applied: the caller applies
 * them if the action goes ahead (at once, or when a person approves the ask).
 */
export async function evaluatePolicies(policies: readonly LoadedPolicy[], subject: PolicySubject, state: PolicyState): Promise<EngineResult> {
  const ordered = [...policies].sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level));
  const votes: PolicyVote[] = [];
  const asks: EngineResult['asks'] = [];
  const updates: StateUpdate[] = [];
  let allowed = false;
  for (const { policy, level } of ordered) {
    if (!policy.phases.includes(subject.phase)) continue;
    let decision;
    try {
      decision = await policy.evaluate(subject, state);
    } catch (err) {
      const reason = `policy ${policy.name} failed (${(err as Error)?.message ?? String(err)}), so the action is denied`;
      votes.push({ policy: policy.name, level, verdict: 'error', reason });
      return { verdict: 'deny', reason, policies: [policy.name], votes, asks: [], updates: [] };
    }
    if (!decision.verdict) {
      if (decision.updates) updates.push(...decision.updates);
      continue;
    }
    if (decision.verdict === 'deny') {
      votes.push({ policy: policy.name, level, verdict: 'deny', reason: decision.reason });
      const reason = decision.reason ?? `denied by policy ${policy.name}`;
      return { verdict: 'deny', reason, policies: [policy.name], votes, asks: [], updates: [], ...(decision.stop ? { stop: true } : {}) };
    }
    if (decision.updates) updates.push(...decision.updates);
    if (decision.verdict === 'ask') {
      const grantKey = decision.grantKey ?? subject.tool?.name ?? subject.phase;
      if (state.hasGrant(policy.name, grantKey)) {
        votes.push({ policy: policy.name, level, verdict: 'allow', reason: decision.reason, granted: true });
        allowed = true;
        continue;
      }
      votes.push({ policy: policy.name, level, verdict: 'ask', reason: decision.reason });
      asks.push({ policy: policy.name, reason: decision.reason, grantKey });
    } else {
      votes.push({ policy: policy.name, level, verdict: 'allow', reason: decision.reason });
      allowed = true;
    }
  }
  if (asks.length) {
    const reason = asks.map((a) => (a.reason ? `${a.policy}: ${a.reason}` : a.policy)).join('; ');
    return { verdict: 'ask', reason, policies: asks.map((a) => a.policy), votes, asks, updates };
  }
  if (allowed) {
    const allowers = votes.filter((v) => v.verdict === 'allow').map((v) => v.policy);
    return { verdict: 'allow', reason: votes.find((v) => v.verdict === 'allow')?.reason, policies: allowers, votes, asks, updates };
  }
  return { verdict: 'none', policies: [], votes, asks, updates };
}
