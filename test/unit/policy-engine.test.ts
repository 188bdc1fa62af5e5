import { describe, expect, it } from 'vitest';
import { evaluatePolicies } from '../../src/policy/engine.js';
import { PolicyState } from '../../src/policy/state.js';
import type { Level, LoadedPolicy, Policy, PolicyDecision } from '../../src/policy/types.js';
import { bash, load, prompt, step } from '../helpers/policy.js';

function pol(name: string, level: Level, decide: PolicyDecision | (() => PolicyDecision), calls?: string[]): LoadedPolicy {
  const policy: Policy = {
    name,
    phases: ['tool_call'],
    evaluate: () => {
      calls?.push(name);
      return typeof decide === 'function' ? decide() : decide;
    },
  };
  return { policy, level };
}

describe('policy engine combination rules', () => {
  it('evaluates session, then agent, then global; a deny wins at once and drops everything else', async () => {
    const calls: string[] = [];
    const policies = [
      pol('g', 'global', { verdict: 'ask', reason: 'global asks' }, calls),
      pol('a', 'agent', { verdict: 'deny', reason: 'agent denies', updates: [{ op: 'label', name: 'x' }] }, calls),
      pol('s', 'session', { verdict: 'ask', reason: 'session asks', updates: [{ op: 'label', name: 'y' }] }, calls),
    ];
    const r = await evaluatePolicies(policies, bash('ls'), new PolicyState());
    expect(calls).toEqual(['s', 'a']); // global never looked at
    expect(r.verdict).toBe('deny');
    expect(r.reason).toBe('agent denies');
    expect(r.policies).toEqual(['a']);
    expect(r.updates).toEqual([]);
    expect(r.asks).toEqual([]);
  });

  it('accumulates asks from every level and joins their reasons; updates of asks and no-opinions are returned', async () => {
    const policies = [
      pol('one', 'global', { verdict: 'ask', reason: 'first', updates: [{ op: 'incr', name: 'c' }] }),
      pol('two', 'session', { verdict: 'ask', reason: 'second' }),
      pol('quiet', 'agent', { updates: [{ op: 'label', name: 'seen' }] }),
      pol('ok', 'agent', { verdict: 'allow' }),
    ];
    const r = await evaluatePolicies(policies, bash('ls'), new PolicyState());
    expect(r.verdict).toBe('ask');
    expect(r.policies).toEqual(['two', 'one']);
    expect(r.reason).toBe('two: second; one: first');
    expect(r.asks.map((a) => a.grantKey)).toEqual(['Bash', 'Bash']);
    expect(r.updates).toEqual([{ op: 'label', name: 'seen' }, { op: 'incr', name: 'c' }]);
  });

  it('a policy that throws counts as a deny naming it', async () => {
    const policies = [pol('ok', 'session', { verdict: 'allow' }), pol('broken', 'agent', () => { throw new Error('boom'); })];
    const r = await evaluatePolicies(policies, bash('ls'), new PolicyState());
    expect(r.verdict).toBe('deny');
    expect(r.policies).toEqual(['broken']);
    expect(r.reason).toMatch(/broken failed \(boom\)/);
    expect(r.votes.at(-1)?.verdict).toBe('error');
  });

  it('a session grant turns a later ask with the same key into an allow; another key still asks', async () => {
    const state = new PolicyState();
    const key = { current: 'k1' };
    const policies = [pol('p', 'session', () => ({ verdict: 'ask', reason: 'why', grantKey: key.current }))];
    const first = await step(policies, bash('ls'), state, 'approve-session');
    expect(first.verdict).toBe('ask');
    const second = await evaluatePolicies(policies, bash('ls'), state);
    expect(second.verdict).toBe('allow');
    expect(second.votes[0]?.granted).toBe(true);
    key.current = 'k2';
    expect((await evaluatePolicies(policies, bash('ls'), state)).verdict).toBe('ask');
  });

  it('allow vs none: no verdict at all is none; phases a policy does not list are skipped', async () => {
    expect((await evaluatePolicies([pol('q', 'session', {})], bash('ls'), new PolicyState())).verdict).toBe('none');
    const r = await evaluatePolicies([pol('d', 'session', { verdict: 'deny' })], prompt('hi'), new PolicyState());
    expect(r.verdict).toBe('none');
  });

  it('state updates apply only when the action goes ahead (rule policies through the real engine)', async () => {
    const policies = load(`
policies:
  - name: counter
    rules:
      - when: { command: ls }
        then: { incr: lists }
  - name: gate
    rules:
      - when: { command: "git push" }
        verdict: ask
        then: { label: pushed }
      - when: { command: "rm" }
        verdict: deny
        reason: no rm
`);
    const state = new PolicyState();
    await step(policies, bash('ls'), state);
    expect(state.counter('lists')).toBe(1);
    // ask denied by the person: neither the ask's update nor the other policy's applies
    const asked = await step(policies, bash('ls && git push'), state, 'deny');
    expect(asked.verdict).toBe('ask');
    expect(asked.updates).toEqual([{ op: 'incr', name: 'lists' }, { op: 'label', name: 'pushed' }]);
    expect(state.counter('lists')).toBe(1);
    expect(state.hasLabel('pushed')).toBe(false);
    // approved: both apply
    await step(policies, bash('ls && git push'), state, 'approve');
    expect(state.counter('lists')).toBe(2);
    expect(state.hasLabel('pushed')).toBe(true);
    // denied by a policy: nothing applies
    const denied = await step(policies, bash('ls; rm x'), state);
    expect(denied.verdict).toBe('deny');
    expect(denied.updates).toEqual([]);
    expect(state.counter('lists')).toBe(2);
  });
});
