import { describe, expect, it } from 'vitest';
import { EgressProxy, parseAuthority } from '../../src/egress/proxy.js';
import type { EgressProxyOptions } from '../../src/egress/proxy.js';

describe('parseAuthority (CONNECT targets, absolute URIs, pins)', () => {
  it.each([
    ['api.github.com:443', undefined, { host: 'api.github.com', port: 443 }],
    ['API.GitHub.com.:8443', undefined, { host: 'api.github.com', port: 8443 }],
    ['example.test', 80, { host: 'example.test', port: 80 }],
    ['10.0.0.1:3128', undefined, { host: '10.0.0.1', port: 3128 }],
    ['[::1]:443', undefined, { host: '::1', port: 443 }],
    ['[::1]', 443, { host: '::1', port: 443 }],
    ['fd00:ec2::254', undefined, { host: 'fd00:ec2::254', port: undefined }],
    ['under_score.test:1', undefined, { host: 'under_score.test', port: 1 }],
  ] as const)('%s → %j', (s, def, expected) => {
    expect(parseAuthority(s, def)).toEqual(expected);
  });
  it.each(['', 'host:0', 'host:65536', 'host:x', 'a b:80', 'evil.com/x:80', '[zz]:80', 'host:', '-lead.test:1', 'a@b:80'])('%j is refused', (s) => {
    expect(parseAuthority(s, 443)).toBeUndefined();
  });
});

describe('EgressProxy options', () => {
  const base = { listen: { port: 0 }, ca: { certPem: '', keyPem: '' }, decide: async () => ({ verdict: 'allow' as const }), secrets: [], resolve: {}, trusted: [], onEvent: () => {} } satisfies EgressProxyOptions;
  it('rejects pins that are not addresses and trusted entries without a port', () => {
    expect(() => new EgressProxy({ ...base, resolve: { 'x.test': 'other.test' } })).toThrow(/"other.test" \(for x.test\) is not an ip or ip:port/);
    expect(() => new EgressProxy({ ...base, trusted: ['model.test'] })).toThrow(/"model.test" is not host:port/);
    expect(() => new EgressProxy({ ...base, resolve: { 'x.test': '127.0.0.1:8080', 'y.test:443': '[::1]:8443' }, trusted: ['::1:8080', '[::1]:9', 'm.test:1'] })).not.toThrow();
  });
});
