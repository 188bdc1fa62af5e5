import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAgentSpec } from '../../src/agents/spec.js';
import { DEFAULT_CONFIG, loadConfig, parseConfig } from '../../src/daemon/config.js';
import { OmniError } from '../../src/core/errors.js';
import { YamlError, YamlSource } from '../../src/core/yaml.js';
import { mergeSandbox, parseSandboxBlock, parseSecretsBlock, validateNetworkRule } from '../../src/sandbox/settings.js';
import { DEFAULT_SANDBOX, type SecretBinding } from '../../src/sandbox/types.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-sandbox-settings-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const HOME = path.join(dir, 'home');
const CFG_DIR = path.join(dir, 'cfg');
fs.mkdirSync(HOME, { recursive: true });
fs.mkdirSync(CFG_DIR, { recursive: true });
fs.writeFileSync(path.join(HOME, 'corp-ca.pem'), '-----BEGIN CERTIFICATE-----\n');
fs.writeFileSync(path.join(CFG_DIR, 'local-ca.pem'), '-----BEGIN CERTIFICATE-----\n');
const CFG = path.join(CFG_DIR, 'config.yaml');
const H = ['claude', 'codex', 'pi'];

const cfg = (text: string) => parseConfig(text, CFG, { home: HOME });
const cfgError = (text: string): string => {
  try {
    cfg(text);
  } catch (err) {
    expect(err).toBeInstanceOf(YamlError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
};

const FULL = `approvals:
  popup: false
sandbox:
  enabled: true
  network:
    allow: ["registry.npmjs.org", "*.githubusercontent.com", "GET api.example.com/v1/**"]
    deny: ["POST api.github.com/repos/*/*/issues"]
    unknown: deny
    resolve: { "api.github.com": "127.0.0.1:8443", "mirror.test": "::1", "v6.test": "[::1]:9000" }
    upstream_ca: [ ~/corp-ca.pem, local-ca.pem ]
  write: [ ~/scratch, ./out, /abs/dir ]
  read: [ ~/.gitconfig ]
  env: [ MY_VAR, MYTOOL_* ]
secrets:
  github:
    preset: github
    from: { env: GH_TOKEN }
    push: [octo/hello]
  npm:
    from: { file: ~/.npm-token }
    env: NPM_TOKEN
    inject:
      - host: registry.npmjs.org
        header: X-Npm-Auth
        value: "Token \${secret}"
        paths: ["/-/**", "/@scope/*"]
      - host: "*.npmjs.org"
  git:
    from: { command: "pass show git" }
    inject:
      - host: git.example.com
        value: basic:oauth2
`;

const GITHUB: SecretBinding = {
  name: 'github',
  from: { env: 'GH_TOKEN' },
  env: ['GH_TOKEN', 'GITHUB_TOKEN'],
  inject: [
    { host: 'api.github.com', header: 'authorization', value: 'Bearer ${secret}' },
    { host: 'github.com', header: 'authorization', value: 'basic:x-access-token' },
  ],
  push: ['octo/hello'],
};

describe('sandbox settings: parsing', () => {
  it('parses the full example (config.yaml) into the written layer', () => {
    expect(cfg(FULL)).toEqual({
      approvals: { popup: false },
      tmux: { mouse: false },
      sandbox: {
        enabled: true,
        network: {
          allow: ['registry.npmjs.org', '*.githubusercontent.com', 'GET api.example.com/v1/**'],
          deny: ['POST api.github.com/repos/*/*/issues'],
          unknown: 'deny',
          resolve: { 'api.github.com': '127.0.0.1:8443', 'mirror.test': '::1', 'v6.test': '[::1]:9000' },
          upstreamCa: [path.join(HOME, 'corp-ca.pem'), path.join(CFG_DIR, 'local-ca.pem')],
        },
        write: [path.join(HOME, 'scratch'), path.join(CFG_DIR, 'out'), '/abs/dir'],
        read: [path.join(HOME, '.gitconfig')],
        env: ['MY_VAR', 'MYTOOL_*'],
        secrets: [
          GITHUB,
          {
            name: 'npm',
            from: { file: path.join(HOME, '.npm-token') },
            env: ['NPM_TOKEN'],
            inject: [
              { host: 'registry.npmjs.org', header: 'x-npm-auth', value: 'Token ${secret}', paths: ['/-/**', '/@scope/*'] },
              { host: '*.npmjs.org', header: 'authorization', value: 'Bearer ${secret}' },
            ],
            push: [],
          },
          { name: 'git', from: { command: 'pass show git' }, env: [], inject: [{ host: 'git.example.com', header: 'authorization', value: 'basic:oauth2' }], push: [] },
        ],
      },
    });
  });

  it('keeps only what was written, so an unwritten scalar does not override another layer', () => {
    expect(cfg('sandbox:\n  network:\n    allow: [a.test]\n').sandbox).toEqual({ network: { allow: ['a.test'] } });
    expect(cfg('approvals: { popup: true }\n').sandbox).toEqual({});
    expect(cfg('secrets: {}\n').sandbox).toEqual({ secrets: [] });
    expect(cfg('secrets:\n  t: { from: { env: T }, inject: [{ host: x.test }] }\nsandbox: true\n').sandbox).toEqual({
      enabled: true,
      secrets: [{ name: 't', from: { env: 'T' }, env: [], inject: [{ host: 'x.test', header: 'authorization', value: 'Bearer ${secret}' }], push: [] }],
    });
  });

  it('expands the github preset; explicit keys replace the preset fields', () => {
    const [plain] = cfg('secrets:\n  github: { preset: github, from: { env: GH_TOKEN } }\n').sandbox.secrets!;
    expect(plain).toEqual({ ...GITHUB, push: [] });
    const [over] = cfg(`secrets:
  gh:
    preset: github
    from: { command: gh auth token }
    env: [MY_GH]
    inject:
      - { host: ghe.corp.test, value: "token \${secret}" }
    push: octo/hello
`).sandbox.secrets!;
    expect(over).toEqual({ name: 'gh', from: { command: 'gh auth token' }, env: ['MY_GH'], inject: [{ host: 'ghe.corp.test', header: 'authorization', value: 'token ${secret}' }], push: ['octo/hello'] });
    // env only: inject still comes from the preset
    const [envOnly] = cfg('secrets:\n  gh: { preset: github, from: { env: X }, env: Y }\n').sandbox.secrets!;
    expect(envOnly!.env).toEqual(['Y']);
    expect(envOnly!.inject).toEqual(GITHUB.inject);
  });

  it('accepts the shorthand sandbox: true / false, in config and in an agent spec', () => {
    expect(cfg('sandbox: true\n').sandbox).toEqual({ enabled: true });
    expect(cfg('sandbox: false\n').sandbox).toEqual({ enabled: false });
    const spec = (s: string) => parseAgentSpec(`name: a\nexecutor: { harness: claude }\n${s}`, path.join(dir, 'agents', 'a.yaml'), H, { home: HOME });
    expect(spec('sandbox: true\n').sandbox).toEqual({ enabled: true });
    expect(spec('sandbox: false\n').sandbox).toEqual({ enabled: false });
    expect(spec('').sandbox).toBeUndefined();
  });

  it('in an agent spec a sandbox mapping means enabled unless it says enabled: false; in config it does not', () => {
    const f = path.join(dir, 'agents', 'a.yaml');
    const spec = (s: string) => parseAgentSpec(`name: a\nexecutor: { harness: claude }\n${s}`, f, H, { home: HOME });
    expect(spec('sandbox:\n  write: [out]\n').sandbox).toEqual({ enabled: true, write: [path.join(dir, 'agents', 'out')] });
    expect(spec('sandbox:\n  enabled: false\n  read: [~/x]\n').sandbox).toEqual({ enabled: false, read: [path.join(HOME, 'x')] });
    expect(spec('secrets:\n  gh: { preset: github, from: { file: tok } }\n').sandbox).toEqual({
      secrets: [{ ...GITHUB, name: 'gh', from: { file: path.join(dir, 'agents', 'tok') }, push: [] }],
    });
    expect(cfg('sandbox:\n  write: [out]\n').sandbox).toEqual({ write: [path.join(CFG_DIR, 'out')] });
  });

  it('resolves ~ against the given home and relative paths against the file folder', () => {
    const y = new YamlSource('/x/y/agent.yaml', 'write: [~, ~/a/../b, rel/c, ../up, /abs/./d]\n').root();
    const layer = parseSandboxBlock(y, { baseDir: '/x/y', home: '/home/u', inAgentSpec: false });
    expect(layer.write).toEqual(['/home/u', '/home/u/b', '/x/y/rel/c', '/x/up', '/abs/d']);
    // a bare ~ (YAML's null) in a path list is the home folder; a quoted one too
    const bare = parseSandboxBlock(new YamlSource('/x/a.yaml', 'write: ~\nread: ["~", ~]\n').root(), { baseDir: '/x', home: '/home/u', inAgentSpec: false });
    expect(bare).toEqual({ write: ['/home/u'], read: ['/home/u'] });
    const s = parseSecretsBlock(new YamlSource('/x/y/a.yaml', 'k: { from: { file: ~/t }, inject: [{ host: h.test }] }\n').root(), { baseDir: '/x/y', home: '/home/u', inAgentSpec: true });
    expect(s[0]!.from).toEqual({ file: '/home/u/t' });
  });

  it('validates network rule syntax', () => {
    for (const ok of ['registry.npmjs.org', '*.githubusercontent.com', 'GET api.example.com/v1/**', 'POST api.github.com/repos/*/*/issues', 'GET|HEAD x.test', '* x.test/a', 'localhost:8080', '10.0.0.1:443/p', '[::1]:8443', 'x.test/']) {
      expect(validateNetworkRule(ok), ok).toBeUndefined();
    }
    for (const [bad, msg] of [
      ['https://x.test', /scheme/],
      ['GET x.test:', /port/],
      ['x_.test/a b', /no spaces/],
      ['GE-T x.test', /not a method/],
      ['GET x.test extra', /not a rule/],
      ['x.test:0', /port/],
      ['x.test:99999', /port/],
      ['a.*.test', /leading "\*\."/],
      ['*', /leading "\*\."/],
      ['', /empty/],
      [':80', /no host/],
    ] as const) {
      expect(validateNetworkRule(bad), bad).toMatch(msg);
    }
  });
});

describe('sandbox settings: errors name file:line:column and what is valid', () => {
  const at = (l: number, c: number) => `${CFG}:${l}:${c}: `;

  it('unknown keys, at the key, listing the valid ones', () => {
    expect(cfgError('sandbox:\n  enabled: true\n  netwrk: {}\n')).toBe(`${at(3, 3)}unknown key "netwrk" in sandbox (did you mean "network"?); valid: enabled, network, write, read, env`);
    expect(cfgError('sandbox:\n  network:\n    alow: []\n')).toMatch(new RegExp(`^${at(3, 5)}unknown key "alow" in sandbox.network .*valid: allow, deny, unknown, resolve, upstream_ca$`));
    expect(cfgError('secrets:\n  gh:\n    from: { env: X }\n    injects: []\n')).toMatch(new RegExp(`^${at(4, 5)}unknown key "injects" in secrets.gh .*valid: preset, from, env, inject, push$`));
    expect(cfgError('secrets:\n  gh:\n    from: { env: X }\n    inject: [{ host: h.test, heder: x }]\n')).toMatch(new RegExp(`^${at(4, 30)}unknown key "heder" in secrets.gh.inject\\[0\\] .*valid: host, header, value, paths$`));
    // Other sections follow in the list of valid keys (tmux, …).
    expect(cfgError('approvals: {}\nsandbx: true\n')).toMatch(`${at(2, 1)}unknown key "sandbx" in config.yaml (did you mean "sandbox"?); valid: approvals, sandbox, secrets`);
  });

  it('a bad network.unknown value', () => {
    expect(cfgError('sandbox:\n  network:\n    unknown: allow\n')).toBe(`${at(3, 14)}sandbox.network.unknown must be one of ask, deny, not "allow"`);
  });

  it('a bad resolve address or host', () => {
    expect(cfgError('sandbox:\n  network:\n    resolve:\n      api.github.com: 127.0.0.1:70000\n')).toBe(`${at(4, 23)}sandbox.network.resolve."api.github.com": the port in "127.0.0.1:70000" must be a number from 1 to 65535`);
    expect(cfgError('sandbox:\n  network:\n    resolve: { a.test: mirror.local }\n')).toMatch(new RegExp(`^${at(3, 24)}sandbox.network.resolve."a.test": "mirror.local" is not an IP address`));
    expect(cfgError('sandbox:\n  network:\n    resolve: { "https://a.test": 1.2.3.4 }\n')).toMatch(new RegExp(`^${at(3, 16)}sandbox.network.resolve: "https://a.test" has a scheme`));
  });

  it('a bad env name', () => {
    expect(cfgError('sandbox:\n  env: [OK, 1BAD]\n')).toMatch(new RegExp(`^${at(2, 13)}sandbox.env "1BAD" must be a variable name`));
    expect(cfgError('sandbox:\n  env: ["*"]\n')).toMatch(new RegExp(`^${at(2, 9)}sandbox.env "\\*" must be a variable name .*prefix ending in "\\*"`));
    expect(cfgError('secrets:\n  s:\n    from: { env: X }\n    env: [A_*]\n    inject: [{ host: h.test }]\n')).toMatch(new RegExp(`^${at(4, 11)}secrets.s.env "A_\\*" must be a variable name`));
  });

  it('a secret with two sources, or none, or no inject', () => {
    expect(cfgError('secrets:\n  s:\n    from: { env: X, command: y }\n    inject: [{ host: h.test }]\n')).toBe(`${at(3, 21)}secrets.s.from takes exactly one of env, file, command, not both "env" and "command"`);
    expect(cfgError('secrets:\n  s:\n    inject: [{ host: h.test }]\n')).toMatch(new RegExp(`^${at(3, 5)}secrets.s needs "from"`));
    expect(cfgError('secrets:\n  s:\n    from: { env: X }\n')).toMatch(new RegExp(`^${at(3, 5)}secrets.s needs at least one "inject"`));
    expect(cfgError('secrets:\n  s:\n    from: { env: X }\n    inject: []\n')).toMatch(new RegExp(`^${at(4, 13)}secrets.s needs at least one "inject"`));
    expect(cfgError('secrets:\n  bad name:\n    from: { env: X }\n')).toMatch(new RegExp(`^${at(2, 3)}secret name "bad name" must use letters`));
    expect(cfgError('secrets:\n  a: { preset: github, from: { env: X } }\n  b: { preset: github, from: { env: Y } }\n')).toMatch(new RegExp(`^${at(3, 6)}secrets.b: the variable GH_TOKEN is already bound to secret "a"`));
    expect(cfgError('secrets:\n  a: { preset: gitlab, from: { env: X } }\n')).toMatch(new RegExp(`^${at(2, 16)}secrets.a.preset must be one of github, not "gitlab"`));
  });

  it('an inject value without ${secret}, a bad header or path', () => {
    expect(cfgError('secrets:\n  s:\n    from: { env: X }\n    inject:\n      - host: h.test\n        value: "Bearer token"\n')).toBe(`${at(6, 16)}secrets.s.inject[0].value "Bearer token" must contain \${secret} (e.g. "Bearer \${secret}"), or be basic:USER`);
    expect(cfgError('secrets:\n  s:\n    from: { env: X }\n    inject:\n      - host: h.test\n        value: "basic:"\n')).toMatch(new RegExp(`^${at(6, 16)}secrets.s.inject\\[0\\].value "basic:": basic:USER needs a user name`));
    expect(cfgError('secrets:\n  s:\n    from: { env: X }\n    inject:\n      - host: h.test\n        header: "bad header"\n')).toMatch(new RegExp(`^${at(6, 17)}secrets.s.inject\\[0\\].header "bad header" is not a header name`));
    expect(cfgError('secrets:\n  s:\n    from: { env: X }\n    inject:\n      - host: h.test\n        paths: [/ok, repos/**]\n')).toMatch(new RegExp(`^${at(6, 22)}secrets.s.inject\\[0\\].paths "repos/\\*\\*" must start with "/"`));
    expect(cfgError('secrets:\n  s:\n    from: { env: X }\n    inject:\n      - host: h.test/v1\n')).toMatch(new RegExp(`^${at(5, 15)}secrets.s.inject\\[0\\].host: "h.test/v1" has a path`));
    expect(cfgError('secrets:\n  s:\n    from: { env: X }\n    inject:\n      - header: x\n')).toMatch(new RegExp(`^${at(5, 9)}secrets.s.inject\\[0\\] needs a "host"`));
  });

  it('a bad push repository', () => {
    expect(cfgError('secrets:\n  s:\n    preset: github\n    from: { env: X }\n    push: [octo/hello, octo]\n')).toBe(`${at(5, 24)}secrets.s.push "octo" must be owner/repo (letters, digits, ".", "-", "_")`);
  });

  it('a bad network rule', () => {
    expect(cfgError('sandbox:\n  network:\n    allow:\n      - ok.test\n      - https://x.test/a\n')).toMatch(new RegExp(`^${at(5, 9)}sandbox.network.allow: "https://x.test/a" has a scheme`));
    expect(cfgError('sandbox:\n  network:\n    deny: ["FETCH! x.test"]\n')).toMatch(new RegExp(`^${at(3, 12)}sandbox.network.deny: "FETCH!" in "FETCH! x.test" is not a method`));
  });

  it('wrong types, paths and files', () => {
    expect(cfgError('sandbox: yes please\n')).toMatch(new RegExp(`^${at(1, 10)}sandbox must be true, false or a mapping`));
    expect(cfgError('sandbox:\n  enabled: "true"\n')).toBe(`${at(2, 12)}sandbox.enabled must be a boolean, not a string`);
    expect(cfgError('sandbox:\n  write: [~bob/x]\n')).toMatch(new RegExp(`^${at(2, 11)}sandbox.write "~bob/x": only "~" and "~/…" are expanded`));
    expect(cfgError('sandbox:\n  network:\n    upstream_ca: [missing.pem]\n')).toMatch(new RegExp(`^${at(3, 19)}sandbox.network.upstream_ca: missing.pem is not a readable file \\(looked for ${path.join(CFG_DIR, 'missing.pem')}\\)`));
  });

  it('agent specs report the same errors against the spec file', () => {
    const f = path.join(dir, 'a.yaml');
    const err = (text: string) => {
      try {
        parseAgentSpec(text, f, H, { home: HOME });
      } catch (e) {
        expect(e).toBeInstanceOf(YamlError);
        return (e as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(err('name: a\nexecutor: { harness: claude }\nsandbox:\n  network: { unknown: maybe }\n')).toBe(`${f}:4:23: sandbox.network.unknown must be one of ask, deny, not "maybe"`);
    expect(err('name: a\nexecutor: { harness: claude }\nsecrets:\n  s: { from: { file: x, env: Y }, inject: [{ host: h.test }] }\n')).toMatch(new RegExp(`^${f}:4:25: secrets.s.from takes exactly one`));
  });
});

describe('config.yaml loading', () => {
  const write = (text: string) => {
    const d = fs.mkdtempSync(path.join(dir, 'c-'));
    fs.writeFileSync(path.join(d, 'config.yaml'), text);
    return d;
  };
  it('defaults when missing or empty; keeps approvals.popup', () => {
    expect(loadConfig(path.join(dir, 'nowhere'))).toEqual(DEFAULT_CONFIG);
    expect(loadConfig(write(''))).toEqual(DEFAULT_CONFIG);
    expect(loadConfig(write('approvals:\n  popup: false\n')).approvals.popup).toBe(false);
    expect(loadConfig(write('sandbox:\n  write: [~/w]\n'), { home: '/home/u' }).sandbox).toEqual({ write: ['/home/u/w'] });
  });
  it('throws OmniError config_invalid with file:line:column', () => {
    const d = write('approvals:\n  popup: "no"\n');
    const f = path.join(d, 'config.yaml');
    const get = (dd: string) => {
      try {
        loadConfig(dd);
      } catch (e) {
        expect(e).toBeInstanceOf(OmniError);
        expect((e as OmniError).code).toBe('config_invalid');
        return (e as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(get(d)).toBe(`${f}:2:10: approvals.popup must be a boolean, not a string`);
    const d2 = write('approvals:\n  pop: true\n');
    expect(get(d2)).toBe(`${path.join(d2, 'config.yaml')}:2:3: unknown key "pop" in approvals; valid: popup`);
    const d3 = write('approvals: [\n');
    expect(get(d3)).toMatch(new RegExp(`^${path.join(d3, 'config.yaml')}:\\d+:\\d+: invalid YAML`));
  });
});

describe('sandbox settings: merging layers', () => {
  const sec = (name: string, env: string): SecretBinding => ({ name, from: { env }, env: [env], inject: [{ host: 'h.test', header: 'authorization', value: 'Bearer ${secret}' }], push: [] });

  it('starts from the defaults', () => {
    expect(mergeSandbox()).toEqual(DEFAULT_SANDBOX);
    expect(mergeSandbox(undefined, {})).toEqual(DEFAULT_SANDBOX);
    const m = mergeSandbox();
    m.network.allow.push('x');
    expect(DEFAULT_SANDBOX.network.allow).toEqual([]);
  });

  it('later layers win for scalars; lists concatenate without duplicates; resolve and secrets merge', () => {
    const config = { enabled: false, network: { allow: ['a.test', 'b.test'], unknown: 'deny' as const, resolve: { 'a.test': '1.1.1.1', 'b.test': '2.2.2.2' }, upstreamCa: ['/ca1'] }, write: ['/w1'], env: ['A'], secrets: [sec('one', 'ONE'), sec('two', 'TWO')] };
    const agent = { enabled: true, network: { allow: ['b.test', 'c.test'], deny: ['POST c.test/x'], resolve: { 'b.test': '3.3.3.3' }, upstreamCa: ['/ca1', '/ca2'] }, write: ['/w1', '/w2'], read: ['/r'], env: ['A', 'B_*'], secrets: [sec('two', 'TWO2'), sec('three', 'THREE')] };
    expect(mergeSandbox(config, agent, { enabled: false })).toEqual({
      enabled: false,
      network: { allow: ['a.test', 'b.test', 'c.test'], deny: ['POST c.test/x'], unknown: 'deny', resolve: { 'a.test': '1.1.1.1', 'b.test': '3.3.3.3' }, upstreamCa: ['/ca1', '/ca2'] },
      write: ['/w1', '/w2'],
      read: ['/r'],
      env: ['A', 'B_*'],
      secrets: [sec('one', 'ONE'), sec('two', 'TWO2'), sec('three', 'THREE')],
    });
    expect(mergeSandbox(config, agent).enabled).toBe(true);
    expect(mergeSandbox(config, { network: { unknown: 'ask' } }).network.unknown).toBe('ask');
  });

  it('merges what the parsers return (config.yaml under an agent spec under the CLI flag)', () => {
    const c = cfg('sandbox:\n  network:\n    unknown: deny\n    allow: [a.test]\nsecrets:\n  gh: { preset: github, from: { env: GH_TOKEN } }\n').sandbox;
    const a = parseAgentSpec('name: a\nexecutor: { harness: claude }\nsandbox:\n  network: { allow: [b.test] }\nsecrets:\n  gh: { preset: github, from: { env: OTHER } }\n', path.join(dir, 'a.yaml'), H, { home: HOME }).sandbox;
    const m = mergeSandbox(c, a);
    expect(m.enabled).toBe(true);
    expect(m.network.unknown).toBe('deny');
    expect(m.network.allow).toEqual(['a.test', 'b.test']);
    expect(m.secrets.map((s) => [s.name, s.from])).toEqual([['gh', { env: 'OTHER' }]]);
    expect(mergeSandbox(c, a, { enabled: false }).enabled).toBe(false);
  });
});
