import { describe, expect, it } from 'vitest';
import { compileRules, evaluateNetwork, hostMatches, matchRule } from '../../src/egress/rules.js';
import type { EgressRequest } from '../../src/egress/types.js';

const req = (host: string, path = '/', method = 'GET', port = 443, scheme: 'http' | 'https' = 'https'): EgressRequest => ({ scheme, host, port, method, path });
const one = (rule: string) => compileRules([rule])[0]!;

describe('matchRule', () => {
  const table: Array<[string, EgressRequest, boolean]> = [
    ['api.github.com', req('api.github.com'), true],
    ['api.github.com', req('API.GitHub.com'), true],
    ['api.github.com', req('api.github.com.'), true],
    ['API.GITHUB.COM', req('api.github.com', '/x', 'POST', 8443), true],
    ['api.github.com', req('github.com'), false],
    ['api.github.com', req('xapi.github.com'), false],
    ['*.github.com', req('api.github.com'), true],
    ['*.github.com', req('a.b.github.com'), true],
    ['*.github.com', req('github.com'), false],
    ['*.github.com', req('evilgithub.com'), false],
    ['*', req('anything.example'), true],
    ['api.github.com:443', req('api.github.com'), true],
    ['api.github.com:443', req('api.github.com', '/', 'GET', 8443), false],
    ['127.0.0.1:18001', req('127.0.0.1', '/v1', 'POST', 18001, 'http'), true],
    ['[::1]:8080', req('::1', '/', 'GET', 8080), true],
    ['::1', req('::1', '/', 'GET', 1), true],
    ['api.github.com/repos/**', req('api.github.com', '/repos'), true],
    ['api.github.com/repos/**', req('api.github.com', '/repos/o/r/pulls'), true],
    ['api.github.com/repos/**', req('api.github.com', '/reposx'), false],
    ['api.github.com/repos/**', req('api.github.com', '/user'), false],
    ['api.github.com/repos/*', req('api.github.com', '/repos/o'), true],
    ['api.github.com/repos/*', req('api.github.com', '/repos/o/r'), false],
    ['api.github.com/repos/*/*/pulls', req('api.github.com', '/repos/o/r/pulls'), true],
    ['api.github.com/Repos/**', req('api.github.com', '/repos/o'), false],
    ['GET api.github.com/repos/**', req('api.github.com', '/repos/o', 'GET'), true],
    ['get api.github.com/repos/**', req('api.github.com', '/repos/o', 'GET'), true],
    ['GET api.github.com/repos/**', req('api.github.com', '/repos/o', 'POST'), false],
    ['GET|HEAD api.github.com', req('api.github.com', '/x', 'HEAD'), true],
    ['GET|HEAD api.github.com', req('api.github.com', '/x', 'DELETE'), false],
    ['* api.github.com/x', req('api.github.com', '/x', 'PATCH'), true],
    ['POST *.example.com:8443/v1/**', req('a.example.com', '/v1/chat', 'POST', 8443), true],
    ['POST *.example.com:8443/v1/**', req('a.example.com', '/v1/chat', 'POST', 443), false],
    ['  api.github.com  ', req('api.github.com'), true],
  ];
  it.each(table)('%s vs %j → %s', (rule, r, expected) => {
    expect(matchRule(one(rule), r)).toBe(expected);
  });
});

describe('compileRules', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['   ', /empty/],
    ['https://api.github.com', /no scheme/],
    ['api.*.com', /wildcard/],
    ['*api.github.com', /wildcard/],
    ['*.10.0.0.1', /IP address/],
    ['api.github.com:0', /not a port/],
    ['api.github.com:70000', /not a port/],
    ['api.github.com:http', /not a port/],
    ['api.github.com:', /not a port/],
    ['GE7 api.github.com', /not a method/],
    ['GET api.github.com extra', /expected/],
    ['api.github.com/[a', /bad path glob/],
    ['bad_host!.com', /not a valid host name/],
    ['[::1', /unclosed/],
    ['[zz::1]:80', /not an IPv6 address/],
    ['/only/a/path', /no host/],
  ];
  it.each(bad)('rejects %j (%s) naming the rule', (rule, why) => {
    expect(() => compileRules(['good.example', rule])).toThrow(why);
    expect(() => compileRules([rule])).toThrow(`invalid network rule "${rule}"`);
  });

  it('keeps the text and the parts', () => {
    const r = one('GET|HEAD *.Example.com:8443/a/**');
    expect(r).toMatchObject({ text: 'GET|HEAD *.Example.com:8443/a/**', methods: ['GET', 'HEAD'], host: 'example.com', subdomains: true, port: 8443, pathGlob: '/a/**' });
    expect(one('* example.com').methods).toBeUndefined();
  });
});

describe('evaluateNetwork', () => {
  const settings = { allow: compileRules(['*.github.com', 'registry.npmjs.org', 'GET example.com/docs/**']), deny: compileRules(['POST api.github.com/repos/*/*/git/**', 'gist.github.com']) };
  it('deny wins over allow, then allow, else undefined', () => {
    expect(evaluateNetwork(settings, req('api.github.com', '/repos/o/r/git/refs', 'POST'))).toBe('deny');
    expect(evaluateNetwork(settings, req('api.github.com', '/repos/o/r/git/refs', 'GET'))).toBe('allow');
    expect(evaluateNetwork(settings, req('gist.github.com'))).toBe('deny');
    expect(evaluateNetwork(settings, req('registry.npmjs.org', '/x', 'GET', 80, 'http'))).toBe('allow');
    expect(evaluateNetwork(settings, req('example.com', '/docs/a'))).toBe('allow');
    expect(evaluateNetwork(settings, req('example.com', '/docs/a', 'POST'))).toBeUndefined();
    expect(evaluateNetwork(settings, req('github.com'))).toBeUndefined();
    expect(evaluateNetwork({ allow: [], deny: [] }, req('x.test'))).toBeUndefined();
  });
});

describe('hostMatches', () => {
  it.each([
    ['api.github.com', 'api.github.com', true],
    ['api.github.com', 'API.GITHUB.COM.', true],
    ['*.github.com', 'api.github.com', true],
    ['*.github.com', 'github.com', false],
    ['*.github.com', 'x.evil-github.com', false],
    ['*', 'x', true],
    ['127.0.0.1', '127.0.0.1', true],
  ] as const)('%s ~ %s → %s', (p, h, expected) => {
    expect(hostMatches(p, h)).toBe(expected);
  });
});
