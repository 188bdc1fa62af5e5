import { describe, expect, it } from 'vitest';
import { networkPolicy } from '../../src/daemon/sandbox-service.js';
import { PolicyState } from '../../src/policy/state.js';
import type { PolicySubject } from '../../src/policy/types.js';

const subject = (host: string, method = 'GET', p = '/', port = 443): PolicySubject => ({
  phase: 'egress',
  session: { id: 's_1', name: 'x', harness: 'claude', cwd: '/w' },
  egress: { scheme: 'https', host, port, method, path: p },
});

describe('sandbox_network: the sandbox.network section as an egress policy', () => {
  const state = new PolicyState();
  const ask = networkPolicy(['api.github.com', '*.npmjs.org', 'GET api.example.com/v1/**', '127.0.0.1:4000'], ['POST api.github.com/repos/*/*/issues'], 'ask');

  it('allows listed hosts, subdomains, routes and host:port', async () => {
    expect((await ask.policy.evaluate(subject('api.github.com'), state)).verdict).toBe('allow');
    expect((await ask.policy.evaluate(subject('registry.npmjs.org'), state)).verdict).toBe('allow');
    expect((await ask.policy.evaluate(subject('api.example.com', 'GET', '/v1/a/b'), state)).verdict).toBe('allow');
    expect((await ask.policy.evaluate(subject('127.0.0.1', 'POST', '/v1/messages', 4000), state)).verdict).toBe('allow');
  });

  it('a deny rule wins over an allow of the same host', async () => {
    const d = await ask.policy.evaluate(subject('api.github.com', 'POST', '/repos/o/r/issues'), state);
    expect(d).toMatchObject({ verdict: 'deny' });
    expect(d.reason).toContain('sandbox.network.deny');
  });

  it('anything else asks, and "approve for the session" covers the host', async () => {
    const a = await ask.policy.evaluate(subject('api.example.com', 'POST', '/v1/x'), state);
    expect(a).toMatchObject({ verdict: 'ask', grantKey: 'api.example.com' });
    const other = await ask.policy.evaluate(subject('127.0.0.1', 'GET', '/', 4001), state);
    expect(other.verdict).toBe('ask');
    expect((await ask.policy.evaluate(subject('npmjs.org'), state)).verdict).toBe('ask'); // *.x is not the apex
  });

  it('with unknown: deny, anything unlisted is refused with the reason', async () => {
    const deny = networkPolicy(['api.github.com'], [], 'deny');
    const d = await deny.policy.evaluate(subject('evil.example'), state);
    expect(d).toMatchObject({ verdict: 'deny' });
    expect(d.reason).toContain('evil.example is not in sandbox.network.allow');
  });

  it('is an egress-phase policy evaluated at the global level (after the session and agent ones)', () => {
    expect(ask.policy.phases).toEqual(['egress']);
    expect(ask.level).toBe('global');
    expect(() => networkPolicy(['https://api.github.com/'], [], 'ask')).toThrow();
  });
});
