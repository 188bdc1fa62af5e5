import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { PathMatchers } from '../../src/egress/rules.js';
import { gitPush, injectSecrets, pushAllowed, scrub } from '../../src/egress/secrets.js';
import type { EgressRequest, ResolvedSecret } from '../../src/egress/types.js';

const req = (host: string, path = '/', method = 'GET', scheme: 'http' | 'https' = 'https', port = scheme === 'https' ? 443 : 80): EgressRequest => ({ scheme, host, port, method, path });

const GH: ResolvedSecret = {
  name: 'github',
  value: 'ghp_REAL',
  placeholder: 'omni-placeholder-github',
  inject: [
    { host: 'api.github.com', header: 'authorization', value: 'Bearer ${secret}' },
    { host: 'github.com', header: 'authorization', value: 'basic:x-access-token' },
  ],
  push: ['me/app', 'Org/Lib.git'],
};
const NPM: ResolvedSecret = {
  name: 'npm',
  value: 'npm_REAL',
  placeholder: 'ph',
  inject: [{ host: '*.npmjs.org', paths: ['/-/**', '/@me/**'], header: 'x-npm-token', value: '${secret}' }],
  push: [],
};
const MODEL: ResolvedSecret = {
  name: 'model',
  value: 'sk-REAL',
  placeholder: 'ph',
  inject: [{ host: '127.0.0.1', header: 'x-api-key', value: '${secret}' }, { host: 'model.test:8443', header: 'x-api-key', value: '${secret}' }],
  push: [],
  loopbackHttp: true,
};
const ALL = [GH, NPM, MODEL];

const inject = (r: EgressRequest, headers: http.OutgoingHttpHeaders = {}, upstreamAddress?: string) => {
  const h = { ...headers };
  const names = injectSecrets(r, h, ALL, { upstreamAddress });
  return { names, h };
};

describe('injectSecrets', () => {
  it('replaces the placeholder header with the real value on a bound https host', () => {
    const { names, h } = inject(req('api.github.com', '/user'), { authorization: 'Bearer omni-placeholder-github', accept: '*/*' });
    expect(names).toEqual(['github']);
    expect(h).toEqual({ authorization: 'Bearer ghp_REAL', accept: '*/*' });
  });

  it('sets the header when the client sent none, and overwrites any case variant', () => {
    expect(inject(req('api.github.com')).h.authorization).toBe('Bearer ghp_REAL');
    const { h } = inject(req('api.github.com'), { Authorization: 'token x' });
    expect(h).toEqual({ authorization: 'Bearer ghp_REAL' });
  });

  it('basic:USER gives Basic base64(USER:secret)', () => {
    const { h } = inject(req('github.com', '/me/app.git/info/refs'));
    expect(h.authorization).toBe(`Basic ${Buffer.from('x-access-token:ghp_REAL').toString('base64')}`);
  });

  it('never over plain http (it would cross the network in the clear)', () => {
    const { names, h } = inject(req('api.github.com', '/user', 'GET', 'http'), { authorization: 'Bearer omni-placeholder-github' });
    expect(names).toEqual([]);
    expect(h.authorization).toBe('Bearer omni-placeholder-github');
    // Not even to a loopback address, unless the secret says loopbackHttp.
    expect(inject(req('api.github.com', '/', 'GET', 'http'), {}, '127.0.0.1').names).toEqual([]);
  });

  it('loopbackHttp secrets go over plain http only when the upstream address is loopback', () => {
    expect(inject(req('127.0.0.1', '/v1/messages', 'POST', 'http', 18001), {}, '127.0.0.1')).toEqual({ names: ['model'], h: { 'x-api-key': 'sk-REAL' } });
    expect(inject(req('127.0.0.1', '/v1/messages', 'POST', 'http', 18001), {}, '10.0.0.1').names).toEqual([]);
    expect(inject(req('127.0.0.1', '/v1/messages', 'POST', 'http', 18001)).names).toEqual([]);
  });

  it('never for TRACE or CONNECT', () => {
    expect(inject(req('api.github.com', '/', 'TRACE')).names).toEqual([]);
    expect(inject(req('api.github.com', '/', 'trace')).names).toEqual([]);
    expect(inject(req('api.github.com', '/', 'CONNECT')).names).toEqual([]);
  });

  it('only on the bound host (subdomain wildcards as in rules), and the bound paths', () => {
    expect(inject(req('evil.example'), { authorization: 'Bearer omni-placeholder-github' })).toEqual({ names: [], h: { authorization: 'Bearer omni-placeholder-github' } });
    expect(inject(req('api.github.com.evil.example')).names).toEqual([]);
    expect(inject(req('registry.npmjs.org', '/-/whoami')).h).toEqual({ 'x-npm-token': 'npm_REAL' });
    expect(inject(req('registry.npmjs.org', '/@me/pkg/-/pkg-1.0.0.tgz')).names).toEqual(['npm']);
    expect(inject(req('registry.npmjs.org', '/left-pad')).names).toEqual([]);
    expect(inject(req('npmjs.org', '/-/whoami')).names).toEqual([]);
  });

  it('matches bound paths the same through a caller-owned glob cache (as the proxy keeps one)', () => {
    const paths = new PathMatchers();
    const names = (path: string) => injectSecrets(req('registry.npmjs.org', path), {}, [NPM], { paths });
    for (let i = 0; i < 2; i++) {
      expect(names('/-/whoami')).toEqual(['npm']);
      expect(names('/@me/pkg')).toEqual(['npm']);
      expect(names('/left-pad')).toEqual([]);
    }
  });

  it('any port unless the injection host names one', () => {
    expect(inject(req('api.github.com', '/', 'GET', 'https', 8443)).names).toEqual(['github']);
    expect(inject(req('model.test', '/v1', 'POST', 'https', 8443)).names).toEqual(['model']);
    expect(inject(req('model.test', '/v1', 'POST', 'https', 443)).names).toEqual([]);
  });

  it('the first matching injection per header wins; URL and other headers untouched', () => {
    const other: ResolvedSecret = { ...GH, name: 'other', value: 'OTHER', inject: [{ host: 'api.github.com', header: 'authorization', value: '${secret}' }] };
    const h: http.OutgoingHttpHeaders = { cookie: 'a=b' };
    expect(injectSecrets(req('api.github.com'), h, [GH, other])).toEqual(['github']);
    expect(h).toEqual({ cookie: 'a=b', authorization: 'Bearer ghp_REAL' });
  });

  it('a secret with an empty value is skipped', () => {
    const h: http.OutgoingHttpHeaders = {};
    expect(injectSecrets(req('api.github.com'), h, [{ ...GH, value: '' }])).toEqual([]);
    expect(h).toEqual({});
  });
});

describe('gitPush / pushAllowed', () => {
  it('recognises receive-pack POSTs and the info/refs probe, with or without .git', () => {
    expect(gitPush(req('github.com', '/me/app.git/git-receive-pack', 'POST'), '')).toEqual({ repo: 'me/app' });
    expect(gitPush(req('github.com', '/me/app/git-receive-pack', 'POST'), '')).toEqual({ repo: 'me/app' });
    expect(gitPush(req('github.com', '/me/app.git/info/refs'), 'service=git-receive-pack')).toEqual({ repo: 'me/app' });
    expect(gitPush(req('github.com', '/me/app.git/info/refs'), '?service=git-receive-pack')).toEqual({ repo: 'me/app' });
    expect(gitPush(req('gitlab.com', '/group/sub/repo.git/git-receive-pack', 'POST'), '')).toEqual({ repo: 'group/sub/repo' });
    expect(gitPush(req('github.com', '/me/app.git/git%2Dreceive-pack', 'POST'), '')).toEqual({ repo: 'me/app' });
  });

  it('fetches are not pushes', () => {
    expect(gitPush(req('github.com', '/me/app.git/info/refs'), 'service=git-upload-pack')).toBeUndefined();
    expect(gitPush(req('github.com', '/me/app.git/git-upload-pack', 'POST'), '')).toBeUndefined();
    expect(gitPush(req('github.com', '/me/app.git/info/refs'), '')).toBeUndefined();
    expect(gitPush(req('api.github.com', '/repos/me/app'), '')).toBeUndefined();
  });

  it('a push to a bound host needs the repo in the push list (case-insensitive, .git ignored)', () => {
    expect(pushAllowed(ALL, req('github.com', '/me/app.git/git-receive-pack', 'POST'), '')).toEqual({ ok: true });
    expect(pushAllowed(ALL, req('github.com', '/ME/APP/git-receive-pack', 'POST'), '')).toEqual({ ok: true });
    expect(pushAllowed(ALL, req('github.com', '/org/lib/info/refs'), 'service=git-receive-pack')).toEqual({ ok: true });
    const r = pushAllowed(ALL, req('github.com', '/me/other.git/git-receive-pack', 'POST'), '');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/me\/other.*github\.com.*github/);
    expect(pushAllowed(ALL, req('github.com', '/me/other.git/info/refs'), 'service=git-receive-pack').ok).toBe(false);
    // Over plain http too: the host is bound whatever the scheme.
    expect(pushAllowed(ALL, req('github.com', '/me/other.git/git-receive-pack', 'POST', 'http'), '').ok).toBe(false);
  });

  it('pushes to hosts no secret is bound to, and non-pushes, are left to the policy', () => {
    expect(pushAllowed(ALL, req('gitlab.com', '/x/y.git/git-receive-pack', 'POST'), '')).toEqual({ ok: true });
    expect(pushAllowed(ALL, req('github.com', '/me/other.git/git-upload-pack', 'POST'), '')).toEqual({ ok: true });
  });

  it('an empty push list refuses every push on the host', () => {
    const s: ResolvedSecret = { ...GH, push: [] };
    const r = pushAllowed([s], req('github.com', '/me/app.git/git-receive-pack', 'POST'), '');
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/push list is empty/) });
  });
});

describe('scrub', () => {
  it('replaces real values and their Basic form by [secret:NAME]', () => {
    const basic = Buffer.from('x-access-token:ghp_REAL').toString('base64');
    expect(scrub(`token ghp_REAL and sk-REAL, header Basic ${basic}; ghp_REAL again`, ALL)).toBe('token [secret:github] and [secret:model], header Basic [secret:github]; [secret:github] again');
    expect(scrub('nothing here', ALL)).toBe('nothing here');
    expect(scrub('x', [{ ...GH, value: '' }])).toBe('x');
    // Too short to be a credential: messages are not garbled by it.
    expect(scrub('a loopback address', [{ ...GH, value: 'k' }])).toBe('a loopback address');
  });
});
